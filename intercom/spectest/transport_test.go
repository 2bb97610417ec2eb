package spectest

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestTransportRecordsMismatches(t *testing.T) {
	v := ForTest(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/intercom/contacts/good" {
			_, _ = w.Write([]byte(`{"type":"contact","id":"good","role":"user","owner_id":null}`))
			return
		}
		_, _ = w.Write([]byte(`{"type":"contact","id":"bad","owner_id":"not a number"}`))
	}))
	defer srv.Close()

	transport := NewTransport(v, srv.Client().Transport)
	transport.Prefix = "/intercom"
	client := &http.Client{Transport: transport}
	get := func(ctx context.Context, path string, token bool) {
		req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/intercom"+path, nil)
		if token {
			req.Header.Set("Authorization", "Bearer t")
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		resp.Body.Close()
	}

	get(context.Background(), "/contacts/good", true)
	if m := transport.Mismatches(); len(m) != 0 {
		t.Fatalf("valid exchange recorded mismatches: %v", m)
	}
	get(context.Background(), "/contacts/bad", true)
	get(WithoutRequestValidation(context.Background()), "/contacts/good", false)
	get(context.Background(), "/contacts/good", false)

	m := transport.Mismatches()
	if len(m) != 2 {
		t.Fatalf("mismatches = %v, want the bad body and the request without token", m)
	}
	if m[0].Status != 200 || !strings.Contains(m[0].Err, "owner_id") {
		t.Errorf("first mismatch = %+v, want the owner_id response error", m[0])
	}
	if m[1].Status != 0 || !strings.Contains(m[1].Err, "bearer") {
		t.Errorf("second mismatch = %+v, want the missing token request error", m[1])
	}
	if n := transport.Exchanges(); n != 4 {
		t.Errorf("Exchanges() = %d, want 4", n)
	}
}
