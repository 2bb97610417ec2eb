// Package ingest is the gateway's HTTP front door. It speaks the tracking
// API that RudderStack and Segment SDKs already use, so pointing an SDK's
// data plane or host at the gateway is all a team changes.
//
// Routes: POST /v1/batch, /v1/identify, /v1/track, /v1/group, and
// /v1/page, /v1/screen, /v1/alias (accepted, acknowledged and reported as
// not sent to Intercom). A request is authenticated by its write key, sent
// as the HTTP Basic user name (the password is ignored) or as "writeKey"
// in the body. Bodies may be gzip-encoded.
//
// Contract: the handler answers 200 only after the Sink has accepted every
// valid event of the request. Each invalid event is reported by index with
// the reason, and never stops the valid events of the same batch. Errors
// that concern the whole request get the usual status: 401 for a missing
// or unknown write key, 413 past the size limit, 400 for a body that is
// not JSON, 503 when the Sink cannot store the events.
package ingest
