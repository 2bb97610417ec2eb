package sim

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/intercom-gateway/gateway/intercom/spectest"
)

func TestAuthentication(t *testing.T) {
	h := newHarness(t, Options{Region: "us", Tokens: map[string]string{testToken: "", "eu-token": "eu"}})
	tests := []struct {
		name       string
		edit       func(*http.Request)
		code       string
		wantReason bool
	}{
		{"missing token", func(r *http.Request) { r.Header.Del("Authorization") }, "unauthorized", false},
		{"not a bearer token", func(r *http.Request) { r.Header.Set("Authorization", "Basic abc") }, "unauthorized", false},
		{"unknown token", func(r *http.Request) { r.Header.Set("Authorization", "Bearer other") }, "unauthorized", false},
		{"token of another region", func(r *http.Request) { r.Header.Set("Authorization", "Bearer eu-token") }, "token_not_found", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The request lacks a valid token on purpose; its 401 is still
			// validated against the OpenAPI file.
			edit := func(r *http.Request) {
				tt.edit(r)
				*r = *r.WithContext(spectest.WithoutRequestValidation(r.Context()))
			}
			r := h.send(h.checked, "GET", "/contacts/abc", "", edit)
			mustStatus(t, r, http.StatusUnauthorized)
			if got := r.json("errors.0.code").String(); got != tt.code {
				t.Errorf("code = %q, want %q", got, tt.code)
			}
			if r.header.Get("X-RateLimit-Limit") != "" {
				t.Errorf("401 carries rate-limit headers; Intercom sends them only on authenticated responses")
			}
			if got := r.header.Get("X-Sim-Reason") != ""; got != tt.wantReason {
				t.Errorf("X-Sim-Reason present = %v, want %v (%q)", got, tt.wantReason, r.header.Get("X-Sim-Reason"))
			}
			if strings.Contains(string(r.body), "eu-token") {
				t.Errorf("body contains the token: %s", r.body)
			}
		})
	}
	mustStatus(t, h.call("GET", "/data_attributes?model=contact", ""), http.StatusOK)
}

func TestEUSimulatorAcceptsEUToken(t *testing.T) {
	h := newHarness(t, Options{Region: "eu", Tokens: map[string]string{testToken: "eu"}})
	mustStatus(t, h.call("GET", "/data_attributes?model=contact", ""), http.StatusOK)
}

func TestHeaderChecks(t *testing.T) {
	h := newHarness(t, Options{})
	noAccept := h.send(h.checked, "GET", "/data_attributes", "", func(r *http.Request) { r.Header.Del("Accept") })
	mustError(t, noAccept, http.StatusNotAcceptable, "media_type_not_acceptable", "The Accept header should send a media type of application/json")
	xml := h.send(h.checked, "GET", "/data_attributes", "", func(r *http.Request) { r.Header.Set("Accept", "application/xml") })
	mustStatus(t, xml, http.StatusNotAcceptable)
	wildcard := h.send(h.checked, "GET", "/data_attributes", "", func(r *http.Request) { r.Header.Set("Accept", "text/html, */*;q=0.1") })
	mustStatus(t, wildcard, http.StatusOK)

	form := h.send(h.checked, "POST", "/contacts", `{"email":"a@example.com"}`, func(r *http.Request) {
		r.Header.Set("Content-Type", "text/plain")
		*r = *r.WithContext(spectest.WithoutRequestValidation(r.Context()))
	})
	mustStatus(t, form, http.StatusUnsupportedMediaType)
	badVersion := h.send(h.raw, "GET", "/data_attributes", "", func(r *http.Request) { r.Header.Set("Intercom-Version", "9.9") })
	mustError(t, badVersion, http.StatusBadRequest, "intercom_version_invalid", `Intercom-Version "9.9" is not a valid version`)
}

func TestRateLimitWindows(t *testing.T) {
	h := newHarness(t, Options{TokenRateLimit: 3, WorkspaceRateLimit: 100})
	reset := fmt.Sprint(testStart.Unix() - testStart.Unix()%10 + 10)
	for i := 1; i <= 3; i++ {
		r := h.call("GET", "/contacts/nope", "")
		mustStatus(t, r, http.StatusNotFound)
		if got := r.header.Get("X-RateLimit-Remaining"); got != fmt.Sprint(3-i) {
			t.Errorf("request %d: remaining = %q, want %d", i, got, 3-i)
		}
		if r.header.Get("X-RateLimit-Limit") != "3" || r.header.Get("X-RateLimit-Reset") != reset {
			t.Errorf("request %d: limit %q reset %q, want 3 and %s", i, r.header.Get("X-RateLimit-Limit"), r.header.Get("X-RateLimit-Reset"), reset)
		}
	}
	r := h.call("GET", "/contacts/nope", "")
	mustError(t, r, http.StatusTooManyRequests, "rate_limit_exceeded", "Exceeded rate limit of 3 in 10_seconds")
	if r.header.Get("X-RateLimit-Remaining") != "0" {
		t.Errorf("429 remaining = %q, want 0", r.header.Get("X-RateLimit-Remaining"))
	}

	h.clock.Advance(10 * time.Second)
	mustStatus(t, h.call("GET", "/contacts/nope", ""), http.StatusNotFound)
}

func TestWorkspaceRateLimit(t *testing.T) {
	h := newHarness(t, Options{TokenRateLimit: 10, WorkspaceRateLimit: 2})
	other := func(r *http.Request) { r.Header.Set("Authorization", "Bearer second-token") }
	mustStatus(t, h.call("GET", "/contacts/nope", ""), http.StatusNotFound)
	mustStatus(t, h.send(h.checked, "GET", "/contacts/nope", "", other), http.StatusNotFound)
	mustStatus(t, h.send(h.checked, "GET", "/contacts/nope", "", other), http.StatusTooManyRequests)
}

// TestRateLimitHeadersLowercase reads the raw HTTP response, because Go's
// client canonicalises header names.
func TestRateLimitHeadersLowercase(t *testing.T) {
	h := newHarness(t, Options{})
	conn, err := net.Dial("tcp", strings.TrimPrefix(h.srv.URL, "http://"))
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "GET /data_attributes HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nAccept: application/json\r\nConnection: close\r\n\r\n", testToken)
	raw, err := io.ReadAll(bufio.NewReader(conn))
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	for _, name := range []string{"x-ratelimit-limit:", "x-ratelimit-remaining:", "x-ratelimit-reset:"} {
		if !strings.Contains(string(raw), "\r\n"+name) {
			t.Errorf("raw response lacks lowercase header %q", name)
		}
	}
}

func TestFaultInjection(t *testing.T) {
	h := newHarness(t, Options{Faults: Faults{ErrorRates: map[int]float64{503: 1}}})
	mustError(t, h.call("GET", "/contacts/nope", ""), http.StatusServiceUnavailable, "service_unavailable", "Sorry, the API service is temporarily unavailable")
	state := h.callRaw("GET", "/_sim/state", "")
	mustStatus(t, state, http.StatusOK)

	drop := newHarness(t, Options{Faults: Faults{DropRate: 1}})
	req, _ := http.NewRequest("GET", drop.srv.URL+"/contacts/x", nil)
	if _, err := drop.raw.Do(req); err == nil {
		t.Errorf("dropped connection returned a response, want an error")
	}
}

func TestFaultInjectionDeterministic(t *testing.T) {
	run := func() string {
		h := newHarness(t, Options{Seed: 7, Faults: Faults{ErrorRates: map[int]float64{500: 0.3, 503: 0.3}}})
		var out strings.Builder
		for range 40 {
			fmt.Fprintf(&out, "%d ", h.call("GET", "/contacts/nope", "").status)
		}
		return out.String()
	}
	first, second := run(), run()
	if first != second {
		t.Fatalf("same seed gave different fault sequences:\n%s\n%s", first, second)
	}
	for _, status := range []string{"500", "503", "404"} {
		if !strings.Contains(first, status) {
			t.Errorf("sequence %q has no %s; the rates should produce each", first, status)
		}
	}
}

func TestFaultLatency(t *testing.T) {
	h := newHarness(t, Options{Faults: Faults{Latency: 50 * time.Millisecond}})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", h.srv.URL+"/data_attributes", nil)
	req.Header.Set("Authorization", "Bearer "+testToken)
	req.Header.Set("Accept", "application/json")
	_, err := h.raw.Do(req)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("request under 50ms latency with a 10ms deadline: error = %v, want deadline exceeded", err)
	}
}

func TestParseErrorRates(t *testing.T) {
	tests := []struct {
		spec    string
		want    string
		wantErr bool
	}{
		{"503:0.1,500:0.05", "500:0.05,503:0.1", false},
		{" 429 : 1 ", "429:1", false},
		{"", "", false},
		{"503", "", true},
		{"200:0.5", "", true},
		{"503:1.5", "", true},
		{"503:NaN", "", true},
		{"503:0.1,503:0.2", "", true},
		{"abc:0.1", "", true},
	}
	for _, tt := range tests {
		got, err := ParseErrorRates(tt.spec)
		if (err != nil) != tt.wantErr {
			t.Errorf("ParseErrorRates(%q) error = %v, want error %v", tt.spec, err, tt.wantErr)
			continue
		}
		if err == nil && FormatErrorRates(got) != tt.want {
			t.Errorf("ParseErrorRates(%q) = %q, want %q", tt.spec, FormatErrorRates(got), tt.want)
		}
	}
}

func TestAdminState(t *testing.T) {
	h := newHarness(t, Options{})
	contact := h.createContact(`{"email":"a@example.com","external_id":"u1","custom_attributes":{"plan":"pro"}}`)
	company := h.createCompany(`{"company_id":"c1"}`)
	mustStatus(t, h.call("POST", "/contacts/"+contact+"/companies", `{"id":"`+company+`"}`), http.StatusOK)

	r := h.callRaw("GET", "/_sim/state", "")
	mustStatus(t, r, http.StatusOK)
	if r.json("contacts.0.custom_attributes.plan").String() != "pro" || r.json("companies.0.contact_ids.0").String() != contact {
		t.Errorf("state = %s", r.body)
	}
	mustStatus(t, h.callRaw("GET", "/_sim/nope", ""), http.StatusNotFound)
}

func TestContactCap(t *testing.T) {
	h := newHarness(t, Options{MaxContacts: 1})
	h.createContact(`{"external_id":"u1"}`)
	r := h.callRaw("POST", "/contacts", `{"external_id":"u2"}`)
	mustStatus(t, r, http.StatusUnprocessableEntity)
	if r.json("errors.0.code").String() != "sim_capacity_reached" {
		t.Errorf("code = %q, want sim_capacity_reached", r.json("errors.0.code").String())
	}
}

func TestConcurrentWrites(t *testing.T) {
	h := newHarness(t, Options{})
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 10 {
				r := h.send(h.raw, "POST", "/contacts", fmt.Sprintf(`{"external_id":"w%d-%d"}`, w, i), nil)
				if r.status != http.StatusOK {
					t.Errorf("create: status %d", r.status)
				}
				h.send(h.raw, "POST", "/contacts", fmt.Sprintf(`{"external_id":"w%d-%d"}`, w, i), nil)
			}
		}()
	}
	wg.Wait()
	if n := len(h.sim.Contacts()); n != 80 {
		t.Errorf("stored %d contacts, want 80 (duplicates rejected)", n)
	}
}

func TestDropWithoutServer(t *testing.T) {
	s, err := New(Options{Faults: Faults{DropRate: 1}, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest("GET", "/contacts/x", nil))
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), "sim_connection_dropped") {
		t.Errorf("in-process drop = %d %s, want 503 sim_connection_dropped", rec.Code, rec.Body.String())
	}
}
