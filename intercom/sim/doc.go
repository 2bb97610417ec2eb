// Package sim is an in-process simulator of Intercom's REST API 2.10 for
// tests and demos. It serves the endpoints the gateway uses, with the
// response shapes and error bodies Intercom documents or is observed to
// send:
//
//   - contacts: create, update, get, search, archive, unarchive, attach to
//     and detach from companies;
//   - companies: create-or-update, retrieve by company_id or name, get by id;
//   - data events, tags, and data attributes (list and create).
//
// It reproduces the behaviours integrations trip over: the 400 for an
// undefined custom attribute, 409 conflicts on duplicate contacts (live and
// archived variants), search lag for new contacts, 406 without
// "Accept: application/json", 401 for missing or unknown access tokens,
// per-token and per-workspace rate limits in fixed 10-second windows, and
// injected faults (error statuses, latency, dropped connections).
//
// Where Intercom's exact wording or status is not documented, the simulator
// uses its own wording; such places are marked "simulator wording" in the
// code. Modelling choices are listed on Options.
//
// A Server is an http.Handler and is safe for concurrent use. Its state is
// capped (see Options) so memory stays bounded; GET /_sim/state and the
// State method expose what it holds.
package sim
