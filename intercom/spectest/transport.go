package spectest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"
)

// Mismatch is one request or response that did not match the OpenAPI file.
type Mismatch struct {
	Method string
	Path   string
	// Status is the response status, or 0 for a request mismatch.
	Status int
	Err    string
}

// String returns the validator's message, which already names the request
// and, for a response, its status.
func (m Mismatch) String() string { return m.Err }

type skipRequestKey struct{}

// WithoutRequestValidation marks ctx so Transport does not validate the
// request made with it. Use it for requests that are broken on purpose
// (no token, unknown path); their responses are still validated.
func WithoutRequestValidation(ctx context.Context) context.Context {
	return context.WithValue(ctx, skipRequestKey{}, true)
}

// Transport is an http.RoundTripper that validates every request it sends
// and every response it receives, and records each mismatch. It never
// changes the traffic. It is safe for concurrent use.
type Transport struct {
	// Base sends the requests; nil means http.DefaultTransport.
	Base http.RoundTripper
	// Validator checks the traffic; it must be set.
	Validator *Validator
	// Prefix is removed from request paths before routing, for a server
	// mounted below the root.
	Prefix string

	mu         sync.Mutex
	mismatches []Mismatch
	exchanges  int
}

// NewTransport returns a Transport that validates with v and sends with base.
func NewTransport(v *Validator, base http.RoundTripper) *Transport {
	return &Transport{Base: base, Validator: v}
}

// RoundTrip sends req through Base and validates both directions.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil && req.Body != http.NoBody {
		var err error
		body, err = io.ReadAll(req.Body)
		_ = req.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("spectest: read request body: %w", err)
		}
		req.Body = io.NopCloser(bytes.NewReader(body))
	}

	ex := Exchange{Method: req.Method, URL: req.URL, Prefix: t.Prefix, Header: req.Header, Body: body}
	if skip, _ := req.Context().Value(skipRequestKey{}).(bool); !skip {
		if err := t.Validator.ValidateRequest(req.Context(), ex); err != nil {
			t.record(Mismatch{Method: req.Method, Path: req.URL.Path, Err: err.Error()})
		}
	}

	base := t.Base
	if base == nil {
		base = http.DefaultTransport
	}
	resp, err := base.RoundTrip(req)
	if err != nil {
		t.count()
		return nil, err
	}

	respBody, readErr := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(respBody))
	t.count()
	if readErr != nil {
		// The caller sees the same truncated body; it is not validated.
		return resp, nil
	}

	ex.Status = resp.StatusCode
	ex.RespHeader = resp.Header
	ex.RespBody = respBody
	ex.HasResponse = true
	if err := t.Validator.ValidateResponse(context.Background(), ex); err != nil {
		t.record(Mismatch{Method: req.Method, Path: req.URL.Path, Status: resp.StatusCode, Err: err.Error()})
	}
	return resp, nil
}

func (t *Transport) record(m Mismatch) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.mismatches = append(t.mismatches, m)
}

func (t *Transport) count() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.exchanges++
}

// Mismatches returns a copy of the mismatches recorded so far.
func (t *Transport) Mismatches() []Mismatch {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]Mismatch(nil), t.mismatches...)
}

// Exchanges returns how many requests went through the transport.
func (t *Transport) Exchanges() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.exchanges
}

// Check fails tb once per recorded mismatch.
func (t *Transport) Check(tb testing.TB) {
	tb.Helper()
	for _, m := range t.Mismatches() {
		tb.Errorf("OpenAPI mismatch: %s", m)
	}
}

// CheckOnCleanup registers Check to run when tb finishes.
func (t *Transport) CheckOnCleanup(tb testing.TB) {
	tb.Helper()
	tb.Cleanup(func() { t.Check(tb) })
}
