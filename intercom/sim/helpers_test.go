package sim

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/intercom-gateway/gateway/intercom/internal/fakeclock"
	"github.com/intercom-gateway/gateway/intercom/spectest"
	"github.com/tidwall/gjson"
)

// testToken is the access token the tests send; it is not a real token.
const testToken = "sim-test-token"

var testStart = time.Date(2024, 3, 10, 12, 0, 0, 0, time.UTC)

// harness is a simulator on loopback with a client whose traffic is
// validated against the OpenAPI file. Requests with undocumented responses are sent
// with the raw client so they are not reported as mismatches.
type harness struct {
	t     *testing.T
	sim   *Server
	srv   *httptest.Server
	clock *fakeclock.Clock
	spec  *spectest.Transport
	// checked sends through spec validation; raw does not.
	checked *http.Client
	raw     *http.Client
}

func newHarness(t *testing.T, opts Options) *harness {
	t.Helper()
	validator := spectest.ForTest(t)
	clock := fakeclock.New(testStart)
	if opts.Now == nil {
		opts.Now = clock.Now
	}
	if opts.Seed == 0 {
		opts.Seed = 42
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if len(opts.DataAttributes) == 0 {
		opts.DataAttributes = []DataAttributeSeed{
			{Model: "contact", Name: "plan", DataType: "string"},
			{Model: "contact", Name: "seats", DataType: "integer"},
			{Model: "contact", Name: "paid", DataType: "boolean"},
			{Model: "contact", Name: "renewal", DataType: "date"},
			{Model: "company", Name: "tier", DataType: "string"},
			{Model: "company", Name: "verified", DataType: "boolean"},
		}
	}
	s, err := New(opts)
	if err != nil {
		t.Fatalf("New() error = %v", err)
	}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	transport := spectest.NewTransport(validator, srv.Client().Transport)
	transport.CheckOnCleanup(t)
	return &harness{
		t: t, sim: s, srv: srv, clock: clock, spec: transport,
		checked: &http.Client{Transport: transport},
		raw:     srv.Client(),
	}
}

// reply is a response with its body read.
type reply struct {
	status int
	header http.Header
	body   []byte
}

func (r reply) json(path string) gjson.Result { return gjson.GetBytes(r.body, path) }

// call sends an authenticated request with the standard headers through the
// validating client.
func (h *harness) call(method, path, body string) reply {
	h.t.Helper()
	return h.send(h.checked, method, path, body, nil)
}

// callRaw sends like call but without spec validation, for responses the
// OpenAPI file does not describe.
func (h *harness) callRaw(method, path, body string) reply {
	h.t.Helper()
	return h.send(h.raw, method, path, body, nil)
}

func (h *harness) send(client *http.Client, method, path, body string, edit func(*http.Request)) reply {
	h.t.Helper()
	var reader io.Reader
	if body != "" {
		reader = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(context.Background(), method, h.srv.URL+path, reader)
	if err != nil {
		h.t.Fatalf("build request: %v", err)
	}
	req.Header.Set("Authorization", "Bearer "+testToken)
	req.Header.Set("Intercom-Version", "2.10")
	req.Header.Set("Accept", "application/json")
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if edit != nil {
		edit(req)
	}
	resp, err := client.Do(req)
	if err != nil {
		h.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		h.t.Fatalf("%s %s: read body: %v", method, path, err)
	}
	return reply{status: resp.StatusCode, header: resp.Header, body: data}
}

// mustStatus fails the test unless r has the wanted status.
func mustStatus(t *testing.T, r reply, want int) {
	t.Helper()
	if r.status != want {
		t.Fatalf("status = %d, want %d; body %s", r.status, want, r.body)
	}
}

// mustError checks an error.list response's status, code and message.
func mustError(t *testing.T, r reply, status int, code, message string) {
	t.Helper()
	mustStatus(t, r, status)
	if got := r.json("type").String(); got != "error.list" {
		t.Errorf("type = %q, want error.list; body %s", got, r.body)
	}
	if got := r.json("errors.0.code").String(); got != code {
		t.Errorf("code = %q, want %q; body %s", got, code, r.body)
	}
	if got := r.json("errors.0.message").String(); got != message {
		t.Errorf("message = %q, want %q", got, message)
	}
}

// createContact creates a contact and returns its Intercom id.
func (h *harness) createContact(body string) string {
	h.t.Helper()
	r := h.call("POST", "/contacts", body)
	mustStatus(h.t, r, http.StatusOK)
	return r.json("id").String()
}

func (h *harness) createCompany(body string) string {
	h.t.Helper()
	r := h.call("POST", "/companies", body)
	mustStatus(h.t, r, http.StatusOK)
	return r.json("id").String()
}

// searchIDs runs a search and returns the ids of the first page.
func (h *harness) searchIDs(query string) []string {
	h.t.Helper()
	r := h.call("POST", "/contacts/search", `{"query":`+query+`}`)
	mustStatus(h.t, r, http.StatusOK)
	var ids []string
	for _, c := range r.json("data").Array() {
		ids = append(ids, c.Get("id").String())
	}
	return ids
}
