package intercom

import (
	"fmt"
	"net/http"
)

// Outcome is the gateway's verdict on one Intercom response.
type Outcome string

// The outcomes, as in the gateway's outcome table.
const (
	// OutcomeDelivered: a 2xx status.
	OutcomeDelivered Outcome = "delivered"
	// OutcomeInvalid: the event itself is wrong. Classify never returns it;
	// the mapping layer uses it before any call is made.
	OutcomeInvalid Outcome = "invalid_event"
	// OutcomeRejected: Intercom rejected the request (400, 404, 422 and other
	// 4xx not listed elsewhere). Retrying the same request cannot succeed.
	OutcomeRejected Outcome = "rejected"
	// OutcomeConfiguration: the destination is misconfigured (401, 403), or
	// the gateway sent headers Intercom cannot accept (406, 415), or the base
	// URL redirects (3xx). The destination should stop sending.
	OutcomeConfiguration Outcome = "configuration"
	// OutcomeRetrying: a temporary condition (408, 409, 429, 5xx). Retry
	// with back-off; for 429 wait for X-RateLimit-Reset.
	OutcomeRetrying Outcome = "retrying"
)

// Classify returns the outcome of an Intercom response with the given status.
// A 409 is "retrying" because the mapping plugin resolves conflicts itself and
// only an unresolved one reaches this function. Statuses outside 200-599 are
// "retrying", as no valid response was obtained.
func Classify(status int, body []byte) Outcome {
	outcome, _ := ClassifyWithReason(status, body)
	return outcome
}

// ClassifyWithReason returns Classify's outcome and one sentence for an
// operator: Intercom's first error code and message when the body is an
// error.list, and the fix for configuration outcomes.
func ClassifyWithReason(status int, body []byte) (Outcome, string) {
	detail := ""
	if list, err := ParseError(body); err == nil && len(list.Errors) > 0 {
		detail = ": " + list.Messages()
	}
	text := fmt.Sprintf("status %d %s%s", status, http.StatusText(status), detail)

	switch {
	case status >= 200 && status < 300:
		return OutcomeDelivered, text
	case status >= 300 && status < 400:
		return OutcomeConfiguration, text + "; the base URL redirects, check the region or base URL setting"
	case status == http.StatusUnauthorized:
		return OutcomeConfiguration, text + "; the access token is missing, invalid, revoked or belongs to another region"
	case status == http.StatusForbidden:
		return OutcomeConfiguration, text + "; the access token or workspace plan does not allow this call"
	case status == http.StatusNotAcceptable || status == http.StatusUnsupportedMediaType:
		return OutcomeConfiguration, text + "; the gateway sent an Accept or Content-Type header Intercom rejects, which is a gateway bug or a proxy rewriting headers"
	case status == http.StatusRequestTimeout, status == http.StatusConflict, status == http.StatusTooManyRequests:
		return OutcomeRetrying, text
	case status >= 400 && status < 500:
		return OutcomeRejected, text
	case status >= 500 && status < 600:
		return OutcomeRetrying, text
	}
	return OutcomeRetrying, text + "; not a valid HTTP status"
}
