// Package migrate checks a move from Intercom API 1.4 to 2.10 before any
// event fails: it reads the old RudderStack destination settings and a
// sample of real events, and reports what the gateway would do with them.
//
// # Contract
//
// Check takes the settings file (a RudderStack destination export or its
// bare config object) and the events file (NDJSON, a JSON array or a
// {"batch": [...]} object) and returns a Report:
//
//   - the new destination settings for the gateway, with every changed,
//     added or dropped setting and the reason. The access token (apiKey)
//     is never copied into the Report.
//   - every custom attribute the events would write, per model (contact,
//     company), with its inferred Intercom data type, the number of events
//     that carry it, one example value and its state in the workspace.
//   - the problems that block the migration: names Intercom rejects, type
//     conflicts, attributes the workspace lacks or defines with another
//     type, the limit of 250 custom attributes, events the gateway would
//     not deliver, and settings the gateway rejects.
//   - warnings: events that relied on API 1.4 behaviour, events that are
//     not sent, and warnings the mapping raised.
//
// The attributes and the event outcomes come from the mapping plugin
// itself, not from a second implementation of its rules. Each event runs
// through host.Deliverer with the plugin that delivery uses, against an
// in-memory workspace that starts empty and remembers only the contacts
// and companies that earlier events of the sample created. The custom
// attributes are read from the custom_attributes of the planned contact
// and company writes, so the check predicts the names delivery sends.
//
// Without a workspace client, the Report marks each attribute's state as
// unknown. With one, Check lists the workspace's data attributes (GET
// /data_attributes) and compares. Apply creates the missing attributes
// with POST /data_attributes. It never creates one whose name Intercom
// rejects, whose type conflicts or is unknown, and it reports each result.
//
// Nothing in this package prints a token or sends a request other than the
// data attribute calls of the workspace client.
package migrate
