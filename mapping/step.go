package mapping

import (
	"fmt"
	"strconv"

	"github.com/tidwall/gjson"
)

// Step runs one step of the contract described in the package
// documentation: it reads the step input and appends the step output to dst,
// returning the extended slice. It never panics and never returns more than
// MaxOutputSize bytes past len(dst).
func Step(dst, input []byte) (out []byte) {
	start := len(dst)
	defer func() {
		if r := recover(); r != nil {
			// A panic is a bug in the mapping; the event must still end
			// with a result the host can act on.
			out = appendResult(dst[:start], OutcomeInvalidEvent, fmt.Sprintf("the mapping failed on this event (%v); report it with the event attached", r), nil, nil)
		}
		if len(out)-start > MaxOutputSize {
			out = appendResult(out[:start], OutcomeInvalidEvent, fmt.Sprintf("the mapping's output for this event exceeds %d bytes; send a smaller event", MaxOutputSize), nil, nil)
		}
	}()

	s := &step{out: jsonWriter{buf: dst}, start: start}
	if err := s.parse(input); err != nil {
		return s.fail(err.outcome, err.msg)
	}
	s.run()
	return s.out.buf
}

// stepError is a failure that ends the event with the given outcome.
type stepError struct {
	outcome Outcome
	msg     string
}

// step holds what one call of Step works with.
type step struct {
	event     gjson.Result
	ev        *eventView
	settings  Settings
	now       int64
	state     gjson.Result
	phase     string
	responses []response
	// warnings carries the warnings of earlier steps (from the state) and
	// those this step adds.
	warnings []string
	out      jsonWriter
	// start is the offset of this step's output in out.buf.
	start int
	// requests counts requests written by this step.
	requests int
}

func (s *step) parse(input []byte) *stepError {
	if len(input) > MaxInputSize {
		return &stepError{OutcomeInvalidEvent, fmt.Sprintf("the step input is %d bytes, more than the limit of %d; send a smaller event", len(input), MaxInputSize)}
	}
	if err := checkJSONShape(input, MaxNestingDepth); err != nil {
		return &stepError{OutcomeInvalidEvent, "invalid event: " + err.Error()}
	}
	if !gjson.ValidBytes(input) {
		return &stepError{OutcomeInvalidEvent, "invalid event: the step input is not valid JSON"}
	}
	root := gjson.ParseBytes(input)
	if !root.IsObject() {
		return &stepError{OutcomeInvalidEvent, "invalid event: the step input is " + describe(root) + ", not a JSON object"}
	}

	s.event = root.Get("event")
	if !s.event.IsObject() {
		return &stepError{OutcomeInvalidEvent, "invalid event: the event is " + describe(s.event) + ", not a JSON object"}
	}
	if len(s.event.Raw) > MaxEventSize {
		return &stepError{OutcomeInvalidEvent, fmt.Sprintf("invalid event: the event is %d bytes, more than the limit of %d", len(s.event.Raw), MaxEventSize)}
	}

	settings, err := parseSettings(root.Get("settings"))
	if err != nil {
		return &stepError{OutcomeConfiguration, "invalid destination settings: " + err.Error()}
	}
	s.settings = settings

	if now := root.Get("now"); now.Type == gjson.Number {
		s.now = now.Int()
	}

	s.state = root.Get("state")
	s.phase = s.state.Get("phase").String()
	s.state.Get("warnings").ForEach(func(_, w gjson.Result) bool {
		s.warnings = append(s.warnings, w.String())
		return true
	})
	root.Get("responses").ForEach(func(_, r gjson.Result) bool {
		s.responses = append(s.responses, response{
			status: int(r.Get("status").Int()),
			body:   r.Get("body"),
			err:    r.Get("error").String(),
		})
		return true
	})
	return nil
}

func (s *step) run() {
	s.ev = newEventView(s.event)
	eventType := s.ev.top.get("type")
	switch eventType.String() {
	case "identify":
		s.identify()
	case "track":
		s.track()
	case "group":
		s.group()
	default:
		if eventType.Type != gjson.String {
			s.fail(OutcomeInvalidEvent, "invalid event: the event type is "+describe(eventType)+"; send identify, track or group")
			return
		}
		s.fail(OutcomeInvalidEvent, fmt.Sprintf("invalid event: event type %q is not sent to Intercom; only identify, track and group are", eventType.Str))
	}
}

// expect checks that the host returned one response per request of the
// previous step. A mismatch is a host bug, reported as retrying so that no
// event is lost because of it.
func (s *step) expect(n int) bool {
	if len(s.responses) == n {
		return true
	}
	s.fail(OutcomeRetrying, fmt.Sprintf("the host returned %d responses to step %q, which sent %d requests; the event will be retried", len(s.responses), s.phase, n))
	return false
}

// beginRequest starts one request of this step's output. reason tells a
// person reading a dry run why the call is made.
func (s *step) beginRequest(method, path, reason string) {
	if s.requests == 0 {
		s.out.openObject()
		s.out.key("requests")
		s.out.openArray()
	}
	s.requests++
	s.out.openObject()
	s.out.strField("method", method)
	s.out.strField("path", path)
	s.out.strField("reason", reason)
}

// endRequest closes a request opened by beginRequest.
func (s *step) endRequest() { s.out.closeObject() }

// bodyless writes a request without a body.
func (s *step) bodyless(method, path, reason string) {
	s.beginRequest(method, path, reason)
	s.endRequest()
}

// finishRequests closes the request list and writes the state for the next
// step: the phase, the fields given as key-value pairs and the warnings.
func (s *step) finishRequests(phase string, state ...string) []byte {
	s.out.closeArray()
	s.out.key("state")
	s.out.openObject()
	s.out.strField("phase", phase)
	for i := 0; i+1 < len(state); i += 2 {
		s.out.strField(state[i], state[i+1])
	}
	if len(s.warnings) > 0 {
		s.out.key("warnings")
		s.out.openArray()
		for _, w := range s.warnings {
			s.out.str(w)
		}
		s.out.closeArray()
	}
	s.out.closeObject()
	s.out.closeObject()
	return s.out.buf
}

// fail discards any requests written so far and writes a final result.
func (s *step) fail(outcome Outcome, msg string) []byte {
	s.out.buf = appendResult(s.out.buf[:s.resultStart()], outcome, msg, s.allWarnings(), nil)
	return s.out.buf
}

// failCall ends the event because a call failed.
func (s *step) failCall(call string, r response) []byte {
	outcome := ClassifyStatus(r.status)
	s.out.buf = appendResult(s.out.buf[:s.resultStart()], outcome, failureMessage(call, r, outcome), s.allWarnings(), errorsOf(call, r))
	return s.out.buf
}

// done ends the event as delivered.
func (s *step) done(msg string) []byte {
	s.out.buf = appendResult(s.out.buf[:s.resultStart()], OutcomeDelivered, msg, s.allWarnings(), nil)
	return s.out.buf
}

// resultStart returns the offset of this step's output, so that a result
// replaces any requests already written.
func (s *step) resultStart() int { return s.start }

func (s *step) allWarnings() []string {
	return append(s.settings.Warnings[:len(s.settings.Warnings):len(s.settings.Warnings)], s.warnings...)
}

func (s *step) warn(format string, args ...any) {
	s.warnings = append(s.warnings, fmt.Sprintf(format, args...))
}

// appendResult appends a final result object.
func appendResult(dst []byte, outcome Outcome, msg string, warnings []string, errs []intercomError) []byte {
	w := jsonWriter{buf: dst}
	w.openObject()
	w.key("result")
	w.openObject()
	w.strField("outcome", string(outcome))
	w.strField("message", msg)
	if len(warnings) > 0 {
		w.key("warnings")
		w.openArray()
		for _, s := range warnings {
			w.str(s)
		}
		w.closeArray()
	}
	if len(errs) > 0 {
		w.key("errors")
		w.openArray()
		for _, e := range errs {
			w.openObject()
			w.strField("call", e.call)
			w.intField("status", int64(e.status))
			if e.code != "" {
				w.strField("code", e.code)
			}
			w.strField("message", e.message)
			w.closeObject()
		}
		w.closeArray()
	}
	w.closeObject()
	w.closeObject()
	return w.buf
}

func itoa(n int) string { return strconv.Itoa(n) }
