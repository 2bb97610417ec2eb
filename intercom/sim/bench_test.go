package sim

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// The simulator benchmarks call ServeHTTP in process with a recorder, so
// they measure the simulator alone: header checks, rate limiting, JSON
// parsing, the state update and the JSON response.

func benchServer(b *testing.B, opts Options) *Server {
	b.Helper()
	opts.TokenRateLimit, opts.WorkspaceRateLimit = 1<<30, 1<<30
	opts.Seed = 1
	opts.Logger = slog.New(slog.DiscardHandler)
	if opts.DataAttributes == nil {
		opts.DataAttributes = []DataAttributeSeed{{Model: "contact", Name: "plan", DataType: "string"}}
	}
	s, err := New(opts)
	if err != nil {
		b.Fatal(err)
	}
	return s
}

func serve(b *testing.B, s *Server, method, path, body string, want int) *httptest.ResponseRecorder {
	var req *http.Request
	if body == "" {
		req = httptest.NewRequest(method, path, nil)
	} else {
		req = httptest.NewRequest(method, path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer bench-token")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Intercom-Version", "2.10")
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	if rec.Code != want {
		b.Fatalf("%s %s: status %d, want %d: %s", method, path, rec.Code, want, rec.Body.String())
	}
	return rec
}

// seedContacts creates n contacts, every tenth on plan "pro".
func seedContacts(b *testing.B, s *Server, n int) string {
	b.Helper()
	var last string
	for i := range n {
		plan := "free"
		if i%10 == 0 {
			plan = "pro"
		}
		rec := serve(b, s, "POST", "/contacts", fmt.Sprintf(`{"email":"user%d@example.com","external_id":"u%d","custom_attributes":{"plan":%q}}`, i, i, plan), http.StatusOK)
		last = rec.Body.String()
	}
	return last
}

// BenchmarkSimulatorGetContact is the simulator's share of
// BenchmarkClientDo in the intercom package (the same request).
func BenchmarkSimulatorGetContact(b *testing.B) {
	s := benchServer(b, Options{})
	serve(b, s, "POST", "/contacts", `{"email":"bench@example.com","external_id":"bench"}`, http.StatusOK)
	id := s.Contacts()[0].ID
	b.ReportAllocs()
	for b.Loop() {
		serve(b, s, "GET", "/contacts/"+id, "", http.StatusOK)
	}
}

func BenchmarkSimulatorCreateContact(b *testing.B) {
	s := benchServer(b, Options{MaxContacts: 10_000_000})
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		serve(b, s, "POST", "/contacts", fmt.Sprintf(`{"email":"c%d@example.com","external_id":"c%d","name":"Bench","custom_attributes":{"plan":"pro"}}`, i, i), http.StatusOK)
	}
}

// BenchmarkSimulatorSearch searches 1,000 contacts: "indexed" looks up an
// email or external_id (the gateway's identify search), "scan" filters on a
// custom attribute and returns the first page of 50.
func BenchmarkSimulatorSearch(b *testing.B) {
	s := benchServer(b, Options{})
	seedContacts(b, s, 1000)
	queries := map[string]string{
		"indexed": `{"query":{"operator":"OR","value":[{"field":"email","operator":"=","value":"user500@example.com"},{"field":"external_id","operator":"=","value":"u500"}]}}`,
		"scan":    `{"query":{"field":"custom_attributes.plan","operator":"=","value":"pro"}}`,
	}
	for _, name := range []string{"indexed", "scan"} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				serve(b, s, "POST", "/contacts/search", queries[name], http.StatusOK)
			}
		})
	}
}

func BenchmarkSimulatorEvent(b *testing.B) {
	s := benchServer(b, Options{})
	serve(b, s, "POST", "/contacts", `{"external_id":"u1"}`, http.StatusOK)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		serve(b, s, "POST", "/events", fmt.Sprintf(`{"event_name":"ordered","created_at":%d,"user_id":"u1","metadata":{"total":12.5,"sku":"A-1"}}`, 1_700_000_000+i), http.StatusAccepted)
	}
}
