package intercom_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/intercom-gateway/gateway/intercom"
	"github.com/intercom-gateway/gateway/intercom/sim"
)

func TestBaseURL(t *testing.T) {
	tests := []struct {
		region, want string
	}{
		{"", "https://api.intercom.io"},
		{"standard", "https://api.intercom.io"},
		{"us", "https://api.intercom.io"},
		{" US ", "https://api.intercom.io"},
		{"eu", "https://api.eu.intercom.io"},
		{"au", "https://api.au.intercom.io"},
	}
	for _, tt := range tests {
		got, err := intercom.BaseURL(tt.region)
		if err != nil || got != tt.want {
			t.Errorf("BaseURL(%q) = %q, %v; want %q", tt.region, got, err, tt.want)
		}
	}
	for _, bad := range []string{"uk", "europe", "api.eu.intercom.io"} {
		got, err := intercom.BaseURL(bad)
		var cfgErr *intercom.ConfigError
		if !errors.As(err, &cfgErr) || got != "" {
			t.Errorf("BaseURL(%q) = %q, %v; want a *ConfigError and no URL", bad, got, err)
		}
	}
}

func TestNewRejectsInvalidConfig(t *testing.T) {
	tests := []struct {
		name  string
		cfg   intercom.Config
		field string
	}{
		{"missing token", intercom.Config{}, "Token"},
		{"token with newline", intercom.Config{Token: "abc\ndef"}, "Token"},
		{"unknown region", intercom.Config{Token: "t", Region: "mars"}, "Region"},
		{"relative base URL", intercom.Config{Token: "t", BaseURL: "localhost:8080"}, "BaseURL"},
		{"base URL with user", intercom.Config{Token: "t", BaseURL: "http://user:pw@127.0.0.1"}, "BaseURL"},
		{"unknown policy", intercom.Config{Token: "t", AttributePolicy: "ignore"}, "AttributePolicy"},
		{"negative timeout", intercom.Config{Token: "t", Timeout: -time.Second}, "Timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := intercom.New(tt.cfg)
			var cfgErr *intercom.ConfigError
			if !errors.As(err, &cfgErr) {
				t.Fatalf("New() error = %v, want *ConfigError", err)
			}
			if !strings.Contains(cfgErr.Field, tt.field) {
				t.Errorf("Field = %q, want %q", cfgErr.Field, tt.field)
			}
			if strings.Contains(err.Error(), "def") || strings.Contains(err.Error(), ":pw@") {
				t.Errorf("error message leaks a secret: %v", err)
			}
		})
	}
	c, err := intercom.New(intercom.Config{Token: "t", Region: "eu"})
	if err != nil || c.BaseURL() != "https://api.eu.intercom.io" {
		t.Errorf("region eu: BaseURL() = %v, %v", c, err)
	}
}

func TestRequestHeaders(t *testing.T) {
	var mu sync.Mutex
	var seen []http.Header
	record := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			seen = append(seen, r.Header.Clone())
			mu.Unlock()
			next.ServeHTTP(w, r)
		})
	}
	s := newSetup(t, setupOptions{wrap: record, config: intercom.Config{AttributePolicy: intercom.PolicyDrop}})
	s.do("POST", "/contacts", `{"email":"a@example.com"}`)
	s.do("GET", "/companies?company_id=none", "")

	if len(seen) != 2 {
		t.Fatalf("server saw %d requests, want 2", len(seen))
	}
	for i, h := range seen {
		if h.Get("Authorization") != "Bearer "+testToken {
			t.Errorf("request %d: Authorization header is not the bearer token", i)
		}
		if h.Get("Intercom-Version") != "2.10" || h.Get("Accept") != "application/json" {
			t.Errorf("request %d: Intercom-Version %q Accept %q", i, h.Get("Intercom-Version"), h.Get("Accept"))
		}
		if h.Get("User-Agent") != intercom.DefaultUserAgent {
			t.Errorf("request %d: User-Agent %q, want %q", i, h.Get("User-Agent"), intercom.DefaultUserAgent)
		}
	}
	if seen[0].Get("Content-Type") != "application/json" {
		t.Errorf("POST Content-Type = %q, want application/json", seen[0].Get("Content-Type"))
	}
	if ct := seen[1].Get("Content-Type"); ct != "" {
		t.Errorf("GET without body has Content-Type %q, want none", ct)
	}
}

func TestCustomUserAgentAndPrefix(t *testing.T) {
	var agent string
	mount := func(next http.Handler) http.Handler {
		mux := http.NewServeMux()
		mux.Handle("/intercom/", http.StripPrefix("/intercom", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			agent = r.Header.Get("User-Agent")
			next.ServeHTTP(w, r)
		})))
		return mux
	}
	s := newSetup(t, setupOptions{wrap: mount, config: intercom.Config{UserAgent: "acme/2"}})
	// The base URL has a path prefix; requests keep it.
	c, err := intercom.New(intercom.Config{Token: testToken, BaseURL: s.srv.URL + "/intercom/", HTTPClient: s.srv.Client(), UserAgent: "acme/2", RateLimiter: intercom.NewRateLimiter()})
	if err != nil {
		t.Fatalf("New() error = %v", err)
	}
	resp, err := c.Do(context.Background(), intercom.Request{Method: "GET", Path: "/data_attributes?model=contact"})
	if err != nil || resp.Status != http.StatusOK {
		t.Fatalf("Do() = %d, %v; want 200", resp.Status, err)
	}
	if agent != "acme/2" {
		t.Errorf("User-Agent = %q, want acme/2", agent)
	}
}

func TestInvalidRequests(t *testing.T) {
	s := newSetup(t, setupOptions{})
	tests := []intercom.Request{
		{Method: "", Path: "/contacts"},
		{Method: "TRACE", Path: "/contacts"},
		{Method: "GET", Path: "contacts"},
		{Method: "GET", Path: "//evil.example/contacts"},
		{Method: "GET", Path: "/companies?name=a b"},
		{Method: "POST", Path: "/contacts", Body: []byte(`{"email":`)},
	}
	for _, req := range tests {
		_, err := s.client.Do(context.Background(), req)
		if !errors.Is(err, intercom.ErrInvalidRequest) {
			t.Errorf("Do(%s %q) error = %v, want ErrInvalidRequest", req.Method, req.Path, err)
		}
	}
	if n := len(s.events.snapshot().attempts); n != 0 {
		t.Errorf("invalid requests made %d HTTP attempts, want 0", n)
	}
}

func TestConflictIsAResponse(t *testing.T) {
	s := newSetup(t, setupOptions{})
	first := s.do("POST", "/contacts", `{"email":"a@example.com","external_id":"u1"}`)
	if first.Status != http.StatusOK {
		t.Fatalf("create: status %d, body %s", first.Status, first.Body)
	}
	dup := s.do("POST", "/contacts", `{"external_id":"u1"}`)
	if dup.Status != http.StatusConflict || dup.Attempts != 1 {
		t.Fatalf("duplicate: status %d after %d attempts, want one 409", dup.Status, dup.Attempts)
	}
	id, archived, ok := intercom.ConflictContactID(dup.Body)
	if !ok || archived || !strings.Contains(string(first.Body), `"id":"`+id+`"`) {
		t.Errorf("ConflictContactID = %q, %v, %v; want the first contact's id", id, archived, ok)
	}
	if got := intercom.Classify(dup.Status, dup.Body); got != intercom.OutcomeRetrying {
		t.Errorf("Classify(409) = %q, want retrying", got)
	}

	s.do("POST", "/contacts/"+id+"/archive", "")
	again := s.do("POST", "/contacts", `{"external_id":"u1"}`)
	if gotID, archived, ok := intercom.ConflictContactID(again.Body); !ok || !archived || gotID != id {
		t.Errorf("archived conflict: ConflictContactID = %q, %v, %v; want %q, true, true", gotID, archived, ok, id)
	}
}

func TestRetryAfter503ThenRecovery(t *testing.T) {
	s := newSetup(t, setupOptions{
		wrap:   failFirst(2, http.StatusServiceUnavailable, "service_unavailable", "Sorry, the API service is temporarily unavailable"),
		config: intercom.Config{RetryBaseDelay: 100 * time.Millisecond, RetryMaxDelay: time.Second},
	})
	resp := s.do("GET", "/data_attributes?model=contact", "")
	if resp.Status != http.StatusOK || resp.Attempts != 3 {
		t.Fatalf("status %d after %d attempts, want 200 after 3", resp.Status, resp.Attempts)
	}
	sleeps := s.clock.Sleeps()
	if len(sleeps) != 2 {
		t.Fatalf("slept %v, want two back-off waits", sleeps)
	}
	// With zero jitter the n-th retry waits half of base*2^(n-1).
	if sleeps[0] != 50*time.Millisecond || sleeps[1] != 100*time.Millisecond {
		t.Errorf("back-off = %v, want [50ms 100ms]", sleeps)
	}
	retries := s.events.snapshot().retries
	if len(retries) != 2 || retries[0].Reason != "status_503" {
		t.Errorf("retry events = %+v", retries)
	}
}

func TestRetriesAreBounded(t *testing.T) {
	s := newSetup(t, setupOptions{
		wrap:   failFirst(100, http.StatusInternalServerError, "server_error", "Unknown server error"),
		config: intercom.Config{MaxRetries: 2},
	})
	resp := s.do("GET", "/data_attributes?model=contact", "")
	if resp.Status != http.StatusInternalServerError || resp.Attempts != 3 {
		t.Errorf("status %d after %d attempts, want the last 500 after 3", resp.Status, resp.Attempts)
	}

	none := newSetup(t, setupOptions{
		wrap:   failFirst(100, http.StatusBadGateway, "bad_gateway", "Bad Gateway"),
		config: intercom.Config{MaxRetries: -1},
	})
	if resp := none.do("GET", "/data_attributes", ""); resp.Attempts != 1 {
		t.Errorf("MaxRetries -1: %d attempts, want 1", resp.Attempts)
	}
}

func TestNoRetryOnClientErrors(t *testing.T) {
	s := newSetup(t, setupOptions{})
	for _, path := range []string{"/contacts/nope", "/companies?company_id=nope"} {
		resp := s.do("GET", path, "")
		if resp.Status != http.StatusNotFound || resp.Attempts != 1 {
			t.Errorf("GET %s: status %d after %d attempts, want one 404", path, resp.Status, resp.Attempts)
		}
	}
}

func TestDroppedConnectionIsRetried(t *testing.T) {
	s := newSetup(t, setupOptions{wrap: dropFirst(1)})
	resp := s.do("POST", "/events", `{"event_name":"x","created_at":1700000000,"user_id":"nobody"}`)
	if resp.Status != http.StatusNotFound || resp.Attempts != 2 {
		t.Errorf("status %d after %d attempts, want 404 after 2", resp.Status, resp.Attempts)
	}

	always := newSetup(t, setupOptions{sim: simWithFaults(1), config: intercom.Config{MaxRetries: 2}})
	_, err := always.client.Do(context.Background(), intercom.Request{Method: "GET", Path: "/contacts/x"})
	var te *intercom.TransportError
	if !errors.As(err, &te) || te.Attempts != 3 {
		t.Fatalf("error = %v, want *TransportError after 3 attempts", err)
	}
	if strings.Contains(err.Error(), testToken) {
		t.Errorf("error message contains the token: %v", err)
	}
}

func TestAttemptTimeout(t *testing.T) {
	slowFirst := func(next http.Handler) http.Handler {
		var once sync.Once
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			slow := false
			once.Do(func() { slow = true })
			if slow {
				select {
				case <-r.Context().Done():
				case <-time.After(2 * time.Second):
				}
				return
			}
			next.ServeHTTP(w, r)
		})
	}
	s := newSetup(t, setupOptions{wrap: slowFirst, config: intercom.Config{Timeout: 100 * time.Millisecond}})
	resp := s.do("GET", "/data_attributes", "")
	if resp.Status != http.StatusOK || resp.Attempts != 2 {
		t.Errorf("status %d after %d attempts, want 200 after a timed-out first attempt", resp.Status, resp.Attempts)
	}

	never := newSetup(t, setupOptions{
		wrap: func(http.Handler) http.Handler {
			return http.HandlerFunc(func(http.ResponseWriter, *http.Request) { time.Sleep(300 * time.Millisecond) })
		},
		config: intercom.Config{Timeout: 50 * time.Millisecond, MaxRetries: -1},
	})
	_, err := never.client.Do(context.Background(), intercom.Request{Method: "GET", Path: "/data_attributes"})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error = %v, want one wrapping context.DeadlineExceeded", err)
	}
}

func TestRedirectsAreNotFollowed(t *testing.T) {
	var hits int
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits++ }))
	defer target.Close()
	redirect := httptest.NewServer(http.RedirectHandler(target.URL+"/contacts", http.StatusFound))
	defer redirect.Close()
	c, err := intercom.New(intercom.Config{Token: testToken, BaseURL: redirect.URL, RateLimiter: intercom.NewRateLimiter()})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Do(context.Background(), intercom.Request{Method: "GET", Path: "/contacts/x"})
	if err != nil || resp.Status != http.StatusFound || hits != 0 {
		t.Errorf("status %d, err %v, redirect target hit %d times; want the 302 returned and no hit", resp.Status, err, hits)
	}
	if got := intercom.Classify(resp.Status, resp.Body); got != intercom.OutcomeConfiguration {
		t.Errorf("Classify(302) = %q, want configuration", got)
	}
}

func TestUnauthorizedIsConfiguration(t *testing.T) {
	s := newSetup(t, setupOptions{
		sim:    simWithTokens(map[string]string{testToken: "eu"}),
		config: intercom.Config{},
	})
	resp := s.do("GET", "/data_attributes", "")
	if resp.Status != http.StatusUnauthorized || resp.Attempts != 1 {
		t.Fatalf("status %d after %d attempts, want one 401", resp.Status, resp.Attempts)
	}
	outcome, reason := intercom.ClassifyWithReason(resp.Status, resp.Body)
	if outcome != intercom.OutcomeConfiguration || !strings.Contains(reason, "token_not_found") {
		t.Errorf("ClassifyWithReason = %q, %q", outcome, reason)
	}
}

func TestObserverSeesAttempts(t *testing.T) {
	s := newSetup(t, setupOptions{wrap: failFirst(1, http.StatusGatewayTimeout, "server_timeout", "Server timed out when making request")})
	s.do("PUT", "/contacts/abc", `{"name":"x"}`)
	attempts := s.events.snapshot().attempts
	routes := []string{}
	for _, a := range attempts {
		routes = append(routes, a.Route)
	}
	// The attribute check does not run for a body without custom_attributes.
	if len(attempts) != 2 || attempts[0].Status != 504 || attempts[1].Status != 404 || attempts[1].Route != "PUT /contacts/{id}" {
		t.Errorf("attempts = %+v (routes %v)", attempts, routes)
	}
}

func TestBaseURLOverridesRegion(t *testing.T) {
	s := newSetup(t, setupOptions{sim: sim.Options{Region: "eu", Tokens: map[string]string{testToken: "eu"}}, config: intercom.Config{Region: "eu"}})
	if s.client.BaseURL() != s.srv.URL {
		t.Fatalf("BaseURL() = %q, want the loopback override %q", s.client.BaseURL(), s.srv.URL)
	}
	if resp := s.do("GET", "/data_attributes", ""); resp.Status != http.StatusOK {
		t.Errorf("EU token against an EU simulator: status %d, want 200", resp.Status)
	}
}
