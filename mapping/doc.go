// Package mapping turns one RudderStack or Segment event (identify, track or
// group) and the destination settings into the Intercom REST API 2.10 calls
// that deliver it.
//
// The package is pure: it performs no I/O, reads no clock, starts no
// goroutine and keeps no state between calls, so the same code runs natively
// and compiled to a WASI plugin, and every exchange can be recorded and
// replayed.
//
// # The step contract
//
// Delivering an event takes one or more round trips: an identify first
// searches for the contact and then creates or updates it, a group needs the
// company's Intercom id before it can attach a contact. Step runs one round
// trip at a time. Its input is a JSON object:
//
//	{
//	  "event":     {...},          // the event, unchanged, on every step
//	  "settings":  {...},          // destination settings, without the access token
//	  "now":       1733337600,     // host time in Unix seconds (used when the event has no timestamp)
//	  "state":     {...},          // absent on the first step; later, the previous output's "state", unchanged
//	  "responses": [               // absent on the first step; later, one per previous request, in order
//	    {"status": 200, "body": {...}},
//	    {"status": 0, "error": "dial tcp: connection refused"}
//	  ]
//	}
//
// Its output is a JSON object with either requests to send next or the final
// result, never both:
//
//	{"requests": [{"method": "POST", "path": "/contacts/search", "body": {...}}], "state": {...}}
//	{"result": {"outcome": "delivered", "message": "...", "warnings": [...], "errors": [...]}}
//
// Paths are relative to the API root of the destination's region and may
// carry a query string. The requests of one step do not depend on each other,
// so the host may send them concurrently, but it must return their responses
// in request order. A response carries the HTTP status and the body as JSON
// (null when empty or not JSON, with the text in "error"). Status 0 means no
// HTTP answer was received. A status with an "error" text is an answer the
// host made without sending the request, such as a rejection by the
// destination's custom attribute policy. The state is opaque to the host. It is small
// because every step reads the event again instead of carrying it.
//
// Step never panics and always returns a valid JSON object of at most
// MaxOutputSize bytes. Invalid input yields a result with the outcome
// OutcomeInvalidEvent or OutcomeConfiguration and a message that names the
// value at fault.
//
// Run drives the whole loop with a caller-supplied send function, which is
// how the tests, the dry run and the native benchmarks use the package.
package mapping
