package mapping

import (
	"fmt"
	"strconv"

	"github.com/tidwall/gjson"
)

// IntercomAPIVersion is the Intercom REST API version whose requests the
// mapping plans; the host sends it as the Intercom-Version header.
const IntercomAPIVersion = "2.10"

// Outcome is the category in which one event's delivery ended. Every event
// ends in exactly one outcome.
type Outcome string

const (
	// OutcomeDelivered means every call succeeded.
	OutcomeDelivered Outcome = "delivered"
	// OutcomeInvalidEvent means the event itself is wrong (unsupported type,
	// missing identifier, invalid JSON, too deep). It is never retried.
	OutcomeInvalidEvent Outcome = "invalid_event"
	// OutcomeRejected means Intercom responded 400, 404 or 422 after any
	// recovery. The event is kept with Intercom's messages for replay.
	OutcomeRejected Outcome = "rejected"
	// OutcomeConfiguration means the destination is misconfigured: 401,
	// 403, an unknown region, an unsupported API version. The destination
	// stops sending and its events wait.
	OutcomeConfiguration Outcome = "configuration"
	// OutcomeRetrying means a temporary failure: 408, an unresolved 409,
	// 429, 5xx or no response. The host retries the event later.
	OutcomeRetrying Outcome = "retrying"
)

// severity orders outcomes when several calls of one step fail: the event
// takes the most severe one.
func (o Outcome) severity() int {
	switch o {
	case OutcomeConfiguration:
		return 4
	case OutcomeRetrying:
		return 3
	case OutcomeRejected:
		return 2
	case OutcomeInvalidEvent:
		return 1
	}
	return 0
}

// ClassifyStatus maps an HTTP status from Intercom to an outcome. Status 0
// means no response was received.
func ClassifyStatus(status int) Outcome {
	switch {
	case status >= 200 && status < 300:
		return OutcomeDelivered
	case status == 0, status == 408, status == 409, status == 429, status >= 500:
		return OutcomeRetrying
	case status == 401, status == 403:
		return OutcomeConfiguration
	case status == 406, status == 415:
		// The gateway itself sent a wrong Accept or Content-Type header.
		return OutcomeConfiguration
	case status >= 400:
		return OutcomeRejected
	}
	// 1xx and 3xx are not answers the Intercom API gives.
	return OutcomeRetrying
}

// response is one answer from the host, in the order of the requests.
type response struct {
	status int
	body   gjson.Result
	err    string
}

func (r response) ok() bool { return r.status >= 200 && r.status < 300 }

// intercomError is one entry of Intercom's error.list, kept for the result.
type intercomError struct {
	status  int
	code    string
	message string
	call    string
}

// errorsOf extracts Intercom's error messages from a failed response. A
// body that is not an error.list yields one entry with the status alone.
func errorsOf(call string, r response) []intercomError {
	var out []intercomError
	r.body.Get("errors").ForEach(func(_, e gjson.Result) bool {
		out = append(out, intercomError{
			status:  r.status,
			code:    e.Get("code").String(),
			message: e.Get("message").String(),
			call:    call,
		})
		return true
	})
	if len(out) == 0 {
		msg := r.err
		if msg == "" && r.status == 0 {
			msg = "no answer"
		}
		if msg == "" {
			msg = "HTTP " + strconv.Itoa(r.status)
		}
		out = append(out, intercomError{status: r.status, message: msg, call: call})
	}
	return out
}

// failureMessage explains a failed call to the person reading the result.
// A response with both a status and an error text was made by the host on
// Intercom's behalf, without sending the request.
func failureMessage(call string, r response, outcome Outcome) string {
	first := errorsOf(call, r)[0].message
	if r.status != 0 && r.err != "" {
		return fmt.Sprintf("%s: not sent, because %s (%s)", call, r.err, first)
	}
	switch outcome {
	case OutcomeConfiguration:
		if r.status == 406 || r.status == 415 {
			return fmt.Sprintf("%s: Intercom answered %d (%s); the gateway sent a wrong Accept or Content-Type header, which is a bug to report", call, r.status, first)
		}
		return fmt.Sprintf("%s: Intercom answered %d (%s); check the destination's access token and region", call, r.status, first)
	case OutcomeRetrying:
		if r.status == 0 {
			return fmt.Sprintf("%s: no answer from Intercom (%s); the event will be retried", call, first)
		}
		return fmt.Sprintf("%s: Intercom answered %d (%s); the event will be retried", call, r.status, first)
	}
	return fmt.Sprintf("%s: Intercom answered %d (%s)", call, r.status, first)
}

// failCalls ends the event after a step whose requests went out together:
// the outcome is the most severe of the failed calls, and every failed
// call's errors are reported.
func (s *step) failCalls(calls []string, responses []response) []byte {
	worst := OutcomeDelivered
	var worstCall string
	var worstResponse response
	var errs []intercomError
	for i, r := range responses {
		if r.ok() {
			continue
		}
		call := ""
		if i < len(calls) {
			call = calls[i]
		}
		errs = append(errs, errorsOf(call, r)...)
		if o := ClassifyStatus(r.status); o.severity() > worst.severity() {
			worst, worstCall, worstResponse = o, call, r
		}
	}
	s.out.buf = appendResult(s.out.buf[:s.start], worst, failureMessage(worstCall, worstResponse, worst), s.allWarnings(), errs)
	return s.out.buf
}
