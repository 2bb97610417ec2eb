package ingest_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tidwall/gjson"

	"github.com/intercom-gateway/gateway/ingest"
)

// memorySink records accepted events, or fails when err is set.
type memorySink struct {
	mu     sync.Mutex
	events []ingest.Event
	err    error
}

func (s *memorySink) Accept(_ context.Context, events []ingest.Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return s.err
	}
	s.events = append(s.events, events...)
	return nil
}

func newServer(t *testing.T, sink *memorySink) *httptest.Server {
	t.Helper()
	h := ingest.NewHandler(ingest.Options{
		MaxBodyBytes: 64 << 10,
		Resolve: func(k string) (string, bool) {
			if k == "wk_good" {
				return "acme", true
			}
			return "", false
		},
		Sink: sink,
		Now:  func() time.Time { return time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC) },
	})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

func post(t *testing.T, url, writeKey string, body []byte, gz bool) (int, ingest.Reply) {
	t.Helper()
	if gz {
		var b bytes.Buffer
		w := gzip.NewWriter(&b)
		_, _ = w.Write(body)
		_ = w.Close()
		body = b.Bytes()
	}
	req, err := http.NewRequest("POST", url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if gz {
		req.Header.Set("Content-Encoding", "gzip")
	}
	if writeKey != "" {
		req.SetBasicAuth(writeKey, "")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var reply ingest.Reply
	if err := json.Unmarshal(data, &reply); err != nil {
		t.Fatalf("reply is not JSON: %s", data)
	}
	return resp.StatusCode, reply
}

func TestBatchAcceptsValidAndReportsInvalid(t *testing.T) {
	sink := &memorySink{}
	srv := newServer(t, sink)
	body := `{"batch":[
		{"type":"identify","userId":"u1","messageId":"m1","traits":{"email":"a@example.com"}},
		{"type":"track","userId":"u1","event":"Clicked"},
		{"type":"bogus","messageId":"m3"},
		"not an object",
		{"type":"page","userId":"u1","name":"Home"},
		{"event":"no type"}
	]}`
	status, reply := post(t, srv.URL+"/v1/batch", "wk_good", []byte(body), false)
	if status != 200 || !reply.Success {
		t.Fatalf("status %d reply %+v, want 200 success", status, reply)
	}
	if reply.Accepted != 3 || reply.NotSent != 1 {
		t.Errorf("accepted %d notSent %d, want 3 and 1", reply.Accepted, reply.NotSent)
	}
	if len(reply.Rejected) != 3 {
		t.Fatalf("rejected = %+v, want 3", reply.Rejected)
	}
	if reply.Rejected[0].Index != 2 || reply.Rejected[0].MessageID != "m3" || !strings.Contains(reply.Rejected[0].Error, `"bogus"`) {
		t.Errorf("rejection 0 = %+v", reply.Rejected[0])
	}
	if !strings.Contains(reply.Rejected[2].Error, "no type") {
		t.Errorf("rejection 2 = %+v", reply.Rejected[2])
	}

	if len(sink.events) != 3 {
		t.Fatalf("sink has %d events, want 3", len(sink.events))
	}
	first := sink.events[0]
	if first.Destination != "acme" || first.MessageID != "m1" || first.Key != "userId:u1" {
		t.Errorf("first event = %+v", first)
	}
	second := sink.events[1]
	if !strings.HasPrefix(second.MessageID, "gw-") || gjson.GetBytes(second.Body, "messageId").String() != second.MessageID {
		t.Errorf("generated messageId not set in the body: %s", second.Body)
	}
	if got := gjson.GetBytes(second.Body, "receivedAt").String(); got != "2026-12-04T10:00:00Z" {
		t.Errorf("receivedAt = %q", got)
	}
}

func TestSingleRoutesSetType(t *testing.T) {
	sink := &memorySink{}
	srv := newServer(t, sink)
	status, reply := post(t, srv.URL+"/v1/group", "wk_good", []byte(`{"groupId":"g1","userId":"u1","traits":{"name":"Acme"}}`), true)
	if status != 200 || reply.Accepted != 1 {
		t.Fatalf("status %d reply %+v", status, reply)
	}
	ev := sink.events[0]
	if ev.Type != "group" || gjson.GetBytes(ev.Body, "type").String() != "group" || ev.Key != "group:g1" {
		t.Errorf("event = %+v body %s", ev, ev.Body)
	}

	status, reply = post(t, srv.URL+"/v1/track", "wk_good", []byte(`{"type":"identify","userId":"u1"}`), false)
	if status != 400 || len(reply.Rejected) != 1 || !strings.Contains(reply.Rejected[0].Error, "/v1/identify") {
		t.Errorf("mismatched type: status %d reply %+v", status, reply)
	}
}

func TestRequestErrors(t *testing.T) {
	sink := &memorySink{}
	srv := newServer(t, sink)
	huge := `{"batch":[{"type":"track","userId":"u","event":"e","properties":{"blob":"` + strings.Repeat("x", 70<<10) + `"}}]}`
	deep := `{"batch":[{"type":"track","userId":"u","event":"e","properties":` + strings.Repeat(`{"a":`, 10000) + `1` + strings.Repeat(`}`, 10000) + `}]}`
	tests := []struct {
		name, path, key, body string
		gzip                  bool
		status                int
		want                  string
	}{
		{"no write key", "/v1/batch", "", `{"batch":[]}`, false, 401, "missing write key"},
		{"unknown write key", "/v1/batch", "wk_bad", `{"batch":[{"type":"track"}]}`, false, 401, "unknown write key"},
		{"malformed JSON", "/v1/batch", "wk_good", `{"batch":[`, false, 400, "not valid JSON"},
		{"no batch", "/v1/batch", "wk_good", `{"events":[]}`, false, 400, "no batch array"},
		{"empty batch", "/v1/batch", "wk_good", `{"batch":[]}`, false, 400, "empty"},
		{"too large", "/v1/batch", "wk_good", huge, false, 413, "larger than"},
		{"too large gzip", "/v1/batch", "wk_good", huge, true, 413, "larger than"},
		{"not gzip", "/v1/batch", "wk_good", "plain", false, 400, "not valid JSON"},
		{"deep nesting", "/v1/batch", "wk_good", deep, false, 400, "no valid event"},
		{"invalid UTF-8", "/v1/track", "wk_good", "{\"userId\":\"u\",\"event\":\"\xff\"}", false, 400, "no valid event"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, reply := post(t, srv.URL+tt.path, tt.key, []byte(tt.body), tt.gzip)
			if status != tt.status {
				t.Errorf("status = %d, want %d (%+v)", status, tt.status, reply)
			}
			if !strings.Contains(reply.Error, tt.want) {
				t.Errorf("error = %q, want it to contain %q", reply.Error, tt.want)
			}
		})
	}
	if len(sink.events) != 0 {
		t.Errorf("bad requests stored %d events", len(sink.events))
	}
}

func TestWriteKeyInBody(t *testing.T) {
	sink := &memorySink{}
	srv := newServer(t, sink)
	status, reply := post(t, srv.URL+"/v1/batch", "", []byte(`{"writeKey":"wk_good","batch":[{"type":"track","userId":"u","event":"e"}]}`), false)
	if status != 200 || reply.Accepted != 1 {
		t.Errorf("status %d reply %+v", status, reply)
	}
}

func TestSinkFailureIs503(t *testing.T) {
	sink := &memorySink{err: errors.New("disk full")}
	srv := newServer(t, sink)
	status, reply := post(t, srv.URL+"/v1/track", "wk_good", []byte(`{"userId":"u","event":"e"}`), false)
	if status != 503 || reply.Success || !strings.Contains(reply.Error, "disk full") {
		t.Errorf("status %d reply %+v, want 503 naming the cause", status, reply)
	}
}

func TestWrongMethod(t *testing.T) {
	srv := newServer(t, &memorySink{})
	resp, err := http.Get(srv.URL + "/v1/batch")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET /v1/batch = %d, want 405", resp.StatusCode)
	}
}
