package ingest_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/tidwall/gjson"

	"github.com/intercom-gateway/gateway/ingest"
)

// FuzzIngestBody posts arbitrary bodies to every route: the handler must
// answer a JSON reply with a known status, and every event it accepts must
// be a JSON object with a type and a messageId.
func FuzzIngestBody(f *testing.F) {
	f.Add("/v1/batch", []byte(`{"batch":[{"type":"identify","userId":"u","traits":{"email":"a@b.c"}}]}`))
	f.Add("/v1/track", []byte(`{"userId":"u","event":"e","properties":{"":{"a.b":1}}}`))
	f.Add("/v1/group", []byte(`{"groupId":"g","traits":{"tags":["x"]}}`))
	f.Add("/v1/batch", []byte(`{"writeKey":"wk","batch":[{"type":"page"},"x",null,{"type":7}]}`))
	f.Add("/v1/page", []byte(`[1,2]`))
	f.Fuzz(func(t *testing.T, route string, body []byte) {
		sink := &memorySink{}
		h := ingest.NewHandler(ingest.Options{
			MaxBodyBytes: 64 << 10,
			Resolve:      func(k string) (string, bool) { return "d", k == "wk" },
			Sink:         sink,
			Now:          func() time.Time { return time.Unix(1700000000, 0) },
		})
		req := httptest.NewRequest("POST", "/v1/batch", bytes.NewReader(body))
		if len(route) > 0 && route[0] == '/' && !bytes.ContainsAny([]byte(route), " \x00\r\n?#%") {
			req.URL.Path = route
		}
		req.SetBasicAuth("wk", "")
		rr := httptest.NewRecorder()
		h.ServeHTTP(rr, req)

		switch rr.Code {
		case http.StatusOK, http.StatusBadRequest, http.StatusUnauthorized, http.StatusRequestEntityTooLarge, http.StatusNotFound, http.StatusMethodNotAllowed,
			http.StatusMovedPermanently, http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
			// The router redirects unclean paths such as /v1//batch.
		default:
			t.Fatalf("unexpected status %d", rr.Code)
		}
		if rr.Code < 300 || rr.Code >= 500 || rr.Code == http.StatusBadRequest || rr.Code == http.StatusUnauthorized || rr.Code == http.StatusRequestEntityTooLarge {
			var reply ingest.Reply
			if err := json.Unmarshal(rr.Body.Bytes(), &reply); err != nil {
				t.Fatalf("reply is not JSON: %q", rr.Body.String())
			}
		}
		for _, e := range sink.events {
			v := gjson.ParseBytes(e.Body)
			if !gjson.ValidBytes(e.Body) || !v.IsObject() || v.Get("type").String() != e.Type || v.Get("messageId").String() != e.MessageID {
				t.Fatalf("accepted event is malformed: %s", e.Body)
			}
		}
	})
}
