package intercom_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/intercom-gateway/gateway/intercom"
	"github.com/intercom-gateway/gateway/intercom/sim"
	"github.com/tidwall/gjson"
)

// benchSimulator starts a simulator on loopback with limits high enough
// that no benchmark request is rate limited, holding one contact.
func benchSimulator(b *testing.B) (*httptest.Server, string) {
	b.Helper()
	s, err := sim.New(sim.Options{
		TokenRateLimit: 1 << 30, WorkspaceRateLimit: 1 << 30, Seed: 1,
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(s)
	b.Cleanup(srv.Close)
	c, err := intercom.New(intercom.Config{Token: testToken, BaseURL: srv.URL, RateLimiter: intercom.NewRateLimiter(), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	resp, err := c.Do(context.Background(), intercom.Request{Method: "POST", Path: "/contacts", Body: []byte(`{"email":"bench@example.com","external_id":"bench"}`)})
	if err != nil || resp.Status != http.StatusOK {
		b.Fatalf("seed contact: %v %d", err, resp.Status)
	}
	return srv, gjson.GetBytes(resp.Body, "id").String()
}

// BenchmarkClientDo measures one GET /contacts/{id} through Client.Do
// against the simulator on loopback: client overhead plus HTTP plus the
// simulator. Compare with BenchmarkRawHTTPDo for the client's share.
func BenchmarkClientDo(b *testing.B) {
	srv, id := benchSimulator(b)
	c, err := intercom.New(intercom.Config{Token: testToken, BaseURL: srv.URL, HTTPClient: srv.Client(), RateLimiter: intercom.NewRateLimiter(), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	req := intercom.Request{Method: "GET", Path: "/contacts/" + id}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		resp, err := c.Do(ctx, req)
		if err != nil || resp.Status != http.StatusOK {
			b.Fatalf("Do() = %d, %v", resp.Status, err)
		}
	}
}

// BenchmarkRawHTTPDo sends the same request with a bare net/http client
// and the same headers: the HTTP and simulator cost without the client.
func BenchmarkRawHTTPDo(b *testing.B) {
	srv, id := benchSimulator(b)
	client := srv.Client()
	url := srv.URL + "/contacts/" + id
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		req, _ := http.NewRequest("GET", url, nil)
		req.Header.Set("Authorization", "Bearer "+testToken)
		req.Header.Set("Intercom-Version", "2.10")
		req.Header.Set("Accept", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("status %d", resp.StatusCode)
		}
	}
}
