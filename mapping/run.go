package mapping

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/tidwall/gjson"
)

// Request is one Intercom call planned by a step.
type Request struct {
	// Method is the HTTP method.
	Method string `json:"method"`
	// Path is relative to the region's API root and may carry a query
	// string, such as "/companies?company_id=acme".
	Path string `json:"path"`
	// Reason explains the call to a person, as the dry run shows it.
	Reason string `json:"reason,omitempty"`
	// Body is the JSON body, or empty for none.
	Body json.RawMessage `json:"body,omitempty"`
}

// Response is Intercom's response to one Request.
type Response struct {
	// Status is the HTTP status, or 0 when no response was received.
	Status int `json:"status"`
	// Body is the answer's body as received.
	Body json.RawMessage `json:"body,omitempty"`
	// Error describes why there is no response, or why the body is not used.
	Error string `json:"error,omitempty"`
}

// Call is a request and the response it got.
type Call struct {
	Request  Request  `json:"request"`
	Response Response `json:"response"`
}

// Error is one error Intercom reported, as kept in a Result.
type Error struct {
	// Call is the method and path of the failed request.
	Call    string `json:"call"`
	Status  int    `json:"status"`
	Code    string `json:"code,omitempty"`
	Message string `json:"message"`
}

// Result is the end state of one event's delivery.
type Result struct {
	Outcome  Outcome  `json:"outcome"`
	Message  string   `json:"message"`
	Warnings []string `json:"warnings,omitempty"`
	Errors   []Error  `json:"errors,omitempty"`
	// Calls lists every call in the order the steps planned them.
	Calls []Call `json:"calls,omitempty"`
	// Steps counts the steps run.
	Steps int `json:"steps"`
	// PluginFailure is true when the step function itself failed: it
	// trapped, returned an invalid output or never reached a result.
	PluginFailure bool `json:"pluginFailure,omitempty"`
}

// StepFunc runs one step: the native Step, or a plugin call in the host.
// An error means the step could not run at all (a plugin trap, say).
type StepFunc func(dst, input []byte) ([]byte, error)

// SendFunc sends the requests of one step and returns one response per
// request, in order. It reports transport failures as Status 0 responses.
type SendFunc func(ctx context.Context, requests []Request) []Response

// NativeStep is Step as a StepFunc.
func NativeStep(dst, input []byte) ([]byte, error) { return Step(dst, input), nil }

// Limits on one exchange, enforced by Run.
const (
	// DefaultMaxSteps is the maximum number of steps of one event. The
	// longest flow, an identify that recovers an archived contact and
	// attaches a company, takes six.
	DefaultMaxSteps = 10
	// MaxRequestsPerStep bounds the requests one step may plan.
	MaxRequestsPerStep = 64
)

// Exchange runs the step loop for one event.
type Exchange struct {
	// Step runs one step. Required.
	Step StepFunc
	// Send delivers the requests of a step. Required.
	Send SendFunc
	// MaxSteps bounds the steps; 0 means DefaultMaxSteps.
	MaxSteps int
}

// Run delivers one event: it calls Step, sends the planned requests, feeds
// the responses back, and repeats until a step returns a result. event and
// settings are JSON objects; now is the host's time in Unix seconds.
func (x Exchange) Run(ctx context.Context, event, settings []byte, now int64) Result {
	var res Result
	if !gjson.ValidBytes(event) {
		res.Outcome, res.Message = OutcomeInvalidEvent, "invalid event: the event is not valid JSON"
		if err := checkJSONShape(event, MaxNestingDepth); err != nil {
			res.Message = "invalid event: " + err.Error()
		}
		return res
	}
	if len(settings) == 0 {
		settings = []byte("{}")
	}
	if !gjson.ValidBytes(settings) {
		res.Outcome, res.Message = OutcomeConfiguration, "invalid destination settings: the settings are not valid JSON"
		return res
	}
	maxSteps := x.MaxSteps
	if maxSteps <= 0 {
		maxSteps = DefaultMaxSteps
	}

	var input, output []byte
	var state []byte
	var responses []Response
	for res.Steps < maxSteps {
		if err := ctx.Err(); err != nil {
			res.Outcome, res.Message = OutcomeRetrying, "delivery was cancelled ("+err.Error()+"); the event will be retried"
			return res
		}
		input = AppendStepInput(input[:0], event, settings, now, state, responses)
		res.Steps++
		var err error
		output, err = x.Step(output[:0], input)
		if err != nil {
			res.Outcome, res.Message = OutcomeRetrying, fmt.Sprintf("step %d failed: %v; the event will be retried", res.Steps, err)
			res.PluginFailure = true
			return res
		}
		out, perr := ParseStepOutput(output)
		if perr != nil {
			res.Outcome, res.Message = OutcomeRetrying, fmt.Sprintf("step %d returned an invalid output: %v; the event will be retried", res.Steps, perr)
			res.PluginFailure = true
			return res
		}
		if out.Result != nil {
			calls := res.Calls
			steps := res.Steps
			res = *out.Result
			res.Calls, res.Steps = calls, steps
			return res
		}
		responses = x.Send(ctx, out.Requests)
		if len(responses) != len(out.Requests) {
			res.Outcome, res.Message = OutcomeRetrying, fmt.Sprintf("sending step %d returned %d responses for %d requests; the event will be retried", res.Steps, len(responses), len(out.Requests))
			return res
		}
		for i := range out.Requests {
			res.Calls = append(res.Calls, Call{Request: out.Requests[i], Response: responses[i]})
		}
		state = append(state[:0], out.State...)
	}
	res.Outcome = OutcomeRetrying
	res.Message = fmt.Sprintf("the event needed more than %d steps, which points to a mapping bug; it will be retried", maxSteps)
	res.PluginFailure = true
	return res
}

// StepOutput is a parsed step output: either requests with a state, or a
// result.
type StepOutput struct {
	Requests []Request
	State    json.RawMessage
	Result   *Result
}

// ParseStepOutput validates and decodes a step output. It is what a host
// applies to the bytes a plugin returned, so it trusts nothing: the output
// must be one JSON object with either a non-empty request list and a state,
// or a result with a known outcome.
func ParseStepOutput(data []byte) (StepOutput, error) {
	var out StepOutput
	if len(data) > MaxOutputSize {
		return out, fmt.Errorf("output is %d bytes, more than the limit of %d", len(data), MaxOutputSize)
	}
	if !gjson.ValidBytes(data) {
		return out, fmt.Errorf("output is not valid JSON")
	}
	root := gjson.ParseBytes(data)
	if !root.IsObject() {
		return out, fmt.Errorf("output is %s, not a JSON object", describe(root))
	}
	if result := root.Get("result"); result.Exists() {
		r, err := parseResult(result)
		if err != nil {
			return out, err
		}
		out.Result = &r
		return out, nil
	}

	requests := root.Get("requests")
	if !requests.IsArray() {
		return out, fmt.Errorf("output has neither a result nor a requests list")
	}
	var err error
	requests.ForEach(func(_, r gjson.Result) bool {
		if len(out.Requests) == MaxRequestsPerStep {
			err = fmt.Errorf("output plans more than %d requests in one step", MaxRequestsPerStep)
			return false
		}
		var req Request
		req, err = parseRequest(r)
		out.Requests = append(out.Requests, req)
		return err == nil
	})
	if err != nil {
		return out, err
	}
	if len(out.Requests) == 0 {
		return out, fmt.Errorf("output has an empty requests list and no result")
	}
	state := root.Get("state")
	if !state.IsObject() {
		return out, fmt.Errorf("output state is %s, not a JSON object", describe(state))
	}
	out.State = json.RawMessage(state.Raw)
	return out, nil
}

func parseRequest(r gjson.Result) (Request, error) {
	method, path := r.Get("method"), r.Get("path")
	if method.Type != gjson.String || path.Type != gjson.String {
		return Request{}, fmt.Errorf("request %s lacks a string method or path", excerpt(r.Raw))
	}
	switch method.Str {
	case "GET", "POST", "PUT", "DELETE":
	default:
		return Request{}, fmt.Errorf("request method %q is not GET, POST, PUT or DELETE", method.Str)
	}
	req := Request{Method: method.Str, Path: path.Str, Reason: r.Get("reason").String()}
	if body := r.Get("body"); body.Exists() && body.Type != gjson.Null {
		if !body.IsObject() {
			return Request{}, fmt.Errorf("request body for %s %s is %s, not a JSON object", method.Str, excerpt(path.Str), describe(body))
		}
		req.Body = json.RawMessage(body.Raw)
	}
	return req, nil
}

func parseResult(v gjson.Result) (Result, error) {
	var r Result
	outcome := Outcome(v.Get("outcome").String())
	switch outcome {
	case OutcomeDelivered, OutcomeInvalidEvent, OutcomeRejected, OutcomeConfiguration, OutcomeRetrying:
	default:
		return r, fmt.Errorf("result outcome %s is not a known outcome", describe(v.Get("outcome")))
	}
	r.Outcome = outcome
	r.Message = v.Get("message").String()
	v.Get("warnings").ForEach(func(_, w gjson.Result) bool {
		r.Warnings = append(r.Warnings, w.String())
		return true
	})
	v.Get("errors").ForEach(func(_, e gjson.Result) bool {
		r.Errors = append(r.Errors, Error{
			Call:    e.Get("call").String(),
			Status:  int(e.Get("status").Int()),
			Code:    e.Get("code").String(),
			Message: e.Get("message").String(),
		})
		return true
	})
	return r, nil
}

// AppendStepInput appends a step input document to dst. event and settings
// must be valid JSON, and state is the previous output's state or empty. A
// response body that is not valid JSON is passed as null, with its text
// shortened into the error field.
func AppendStepInput(dst, event, settings []byte, now int64, state []byte, responses []Response) []byte {
	dst = append(dst, `{"event":`...)
	dst = append(dst, event...)
	dst = append(dst, `,"settings":`...)
	dst = append(dst, settings...)
	dst = append(dst, `,"now":`...)
	dst = strconv.AppendInt(dst, now, 10)
	if len(state) > 0 {
		dst = append(dst, `,"state":`...)
		dst = append(dst, state...)
		dst = append(dst, `,"responses":[`...)
		for i, r := range responses {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendResponse(dst, r)
		}
		dst = append(dst, ']')
	}
	return append(dst, '}')
}

func appendResponse(dst []byte, r Response) []byte {
	dst = append(dst, `{"status":`...)
	dst = strconv.AppendInt(dst, int64(r.Status), 10)
	errText := r.Error
	switch {
	case len(r.Body) == 0:
	case gjson.ValidBytes(r.Body) && checkJSONShape(r.Body, MaxNestingDepth) == nil:
		dst = append(dst, `,"body":`...)
		dst = append(dst, r.Body...)
	default:
		if errText == "" {
			errText = "the answer is not JSON: " + excerpt(string(r.Body))
		}
	}
	if errText != "" {
		dst = append(dst, `,"error":`...)
		dst = appendQuoted(dst, errText)
	}
	return append(dst, '}')
}
