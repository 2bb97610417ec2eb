package intercom_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/intercom-gateway/gateway/intercom"
	"github.com/intercom-gateway/gateway/intercom/internal/fakeclock"
	"github.com/intercom-gateway/gateway/intercom/sim"
	"github.com/intercom-gateway/gateway/intercom/spectest"
)

// testToken is the access token the tests send; it is not a real token.
const testToken = "tok_client_test_6f1c"

var testStart = time.Date(2024, 3, 10, 12, 0, 3, 0, time.UTC)

// setup is a client wired to a simulator on loopback. Every request and
// documented response is validated against the OpenAPI file.
type setup struct {
	t      *testing.T
	client *intercom.Client
	sim    *sim.Server
	srv    *httptest.Server
	clock  *fakeclock.Clock
	spec   *spectest.Transport
	events *recorder
	logs   *bytes.Buffer
}

type setupOptions struct {
	sim    sim.Options
	config intercom.Config
	// wrap, when set, sits in front of the simulator (faults, recording).
	wrap func(http.Handler) http.Handler
	// manualClock makes waits block until the test advances the clock.
	manualClock bool
}

func newSetup(t *testing.T, o setupOptions) *setup {
	t.Helper()
	validator := spectest.ForTest(t)

	clock := fakeclock.NewAuto(testStart)
	if o.manualClock {
		clock = fakeclock.New(testStart)
	}
	if o.sim.Now == nil {
		o.sim.Now = clock.Now
	}
	if o.sim.Seed == 0 {
		o.sim.Seed = 1
	}
	if o.sim.Logger == nil {
		o.sim.Logger = slog.New(slog.DiscardHandler)
	}
	if o.sim.DataAttributes == nil {
		o.sim.DataAttributes = []sim.DataAttributeSeed{
			{Model: "contact", Name: "plan", DataType: "string"},
			{Model: "contact", Name: "address_city", DataType: "string"},
			{Model: "company", Name: "tier", DataType: "string"},
		}
	}
	simulator, err := sim.New(o.sim)
	if err != nil {
		t.Fatalf("sim.New() error = %v", err)
	}
	var handler http.Handler = simulator
	if o.wrap != nil {
		handler = o.wrap(simulator)
	}
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)

	transport := spectest.NewTransport(validator, srv.Client().Transport)
	transport.CheckOnCleanup(t)

	logs := &bytes.Buffer{}
	events := &recorder{}
	cfg := o.config
	if cfg.Token == "" {
		cfg.Token = testToken
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = srv.URL
	}
	cfg.HTTPClient = &http.Client{Transport: transport}
	cfg.Clock = clock
	if cfg.RateLimiter == nil {
		cfg.RateLimiter = intercom.NewRateLimiter()
	}
	if cfg.Jitter == nil {
		cfg.Jitter = func(time.Duration) time.Duration { return 0 }
	}
	cfg.Observer = events
	cfg.Logger = slog.New(slog.NewTextHandler(&lockedWriter{w: logs}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	client, err := intercom.New(cfg)
	if err != nil {
		t.Fatalf("intercom.New() error = %v", err)
	}
	s := &setup{t: t, client: client, sim: simulator, srv: srv, clock: clock, spec: transport, events: events, logs: logs}
	t.Cleanup(s.checkTokenNotLogged)
	return s
}

// do sends a request and fails the test on a Go error.
func (s *setup) do(method, path, body string) intercom.Response {
	s.t.Helper()
	var b []byte
	if body != "" {
		b = []byte(body)
	}
	resp, err := s.client.Do(context.Background(), intercom.Request{Method: method, Path: path, Body: b})
	if err != nil {
		s.t.Fatalf("Do(%s %s) error = %v", method, path, err)
	}
	return resp
}

func (s *setup) checkTokenNotLogged() {
	if bytes.Contains(s.logs.Bytes(), []byte(testToken)) {
		s.t.Errorf("the access token appears in the client's logs")
	}
}

// recorder is an Observer that keeps every event.
type recorder struct {
	mu         sync.Mutex
	attempts   []intercom.AttemptEvent
	retries    []intercom.RetryEvent
	waits      []intercom.WaitEvent
	attributes []intercom.AttributeEvent
}

func (r *recorder) Attempt(e intercom.AttemptEvent) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.attempts = append(r.attempts, e)
}

func (r *recorder) Retry(e intercom.RetryEvent) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.retries = append(r.retries, e)
}

func (r *recorder) RateLimitWait(e intercom.WaitEvent) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.waits = append(r.waits, e)
}

func (r *recorder) Attributes(e intercom.AttributeEvent) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.attributes = append(r.attributes, e)
}

func (r *recorder) snapshot() recorder {
	r.mu.Lock()
	defer r.mu.Unlock()
	return recorder{
		attempts:   append([]intercom.AttemptEvent(nil), r.attempts...),
		retries:    append([]intercom.RetryEvent(nil), r.retries...),
		waits:      append([]intercom.WaitEvent(nil), r.waits...),
		attributes: append([]intercom.AttributeEvent(nil), r.attributes...),
	}
}

type lockedWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// failFirst responds to the first n requests with status and an Intercom
// error body, then passes requests to next.
func failFirst(n int, status int, code, message string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		var mu sync.Mutex
		seen := 0
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			seen++
			fail := seen <= n
			mu.Unlock()
			if !fail {
				next.ServeHTTP(w, r)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			_, _ = w.Write([]byte(`{"type":"error.list","request_id":null,"errors":[{"code":"` + code + `","message":"` + message + `"}]}`))
		})
	}
}

// dropFirst closes the connection of the first n requests without a response.
func dropFirst(n int) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		var mu sync.Mutex
		seen := 0
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			seen++
			drop := seen <= n
			mu.Unlock()
			if !drop {
				next.ServeHTTP(w, r)
				return
			}
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				_ = conn.Close()
			}
		})
	}
}

func simWithFaults(dropRate float64) sim.Options {
	return sim.Options{Faults: sim.Faults{DropRate: dropRate}}
}

func simWithTokens(tokens map[string]string) sim.Options {
	return sim.Options{Tokens: tokens}
}

func simRate(tokenLimit, workspaceLimit int) sim.Options {
	return sim.Options{TokenRateLimit: tokenLimit, WorkspaceRateLimit: workspaceLimit}
}

// newClientFor returns a second client of the same simulator and token with
// its own limiter, standing for another gateway process.
func newClientFor(t *testing.T, s *setup, limiter *intercom.RateLimiter) *intercom.Client {
	t.Helper()
	c, err := intercom.New(intercom.Config{
		Token: testToken, BaseURL: s.srv.URL, HTTPClient: s.srv.Client(), Clock: s.clock,
		RateLimiter: limiter, Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func errorsIsCanceled(err error) bool { return errors.Is(err, context.Canceled) }
