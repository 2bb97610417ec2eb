// Package intercom is the gateway's client for Intercom's REST API 2.10.
//
// A Client sends the requests that the mapping plugin describes (method, path
// relative to the API root, JSON body) and returns Intercom's response. It
// adds the headers Intercom requires: the bearer access token,
// Intercom-Version 2.10, Accept and Content-Type application/json, and a
// User-Agent. It paces requests per access token across Intercom's
// 10-second rate-limit windows. It retries 408, 429, 5xx and network errors
// a bounded number of times with exponential back-off and jitter. And it
// applies the destination's policy for custom attributes that are not
// defined in the workspace.
//
// Do returns an error only when no HTTP response was obtained, when the
// request is invalid, or when the attribute policy stopped the request before
// it was sent. Every HTTP status, including errors after the retries are
// spent, is returned as a Response. Classify maps a status to the gateway's
// outcome.
//
// The access token is never logged and never appears in an error message.
// Tests must point Config.BaseURL at a loopback server: nothing in this
// package's tests dials a real Intercom host.
package intercom
