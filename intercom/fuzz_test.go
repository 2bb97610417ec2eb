package intercom

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/tidwall/gjson"
)

func FuzzParseError(f *testing.F) {
	seeds := []string{
		`{"type":"error.list","request_id":"b7b2","errors":[{"code":"conflict","message":"A contact matching those details already exists with id=6762f0dd1bb69f9f2193bb83"}]}`,
		`{"type":"error.list","request_id":null,"errors":[{"code":"bad_request","message":"bad 'test' parameter"}]}`,
		`{"type":"error.list","errors":[{"code":"parameter_invalid","message":"Custom attribute 'a.b' does not exist"}]}`,
		`{"type":"error.list","errors":{}}`, `{"type":"contact"}`, `[]`, `null`, ``, `{"type":"error.list","errors":[{"code":1}]}`,
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		list, err := ParseError(body)
		id, archived, ok := ConflictContactID(body)
		if err != nil {
			if list != nil || ok {
				t.Fatalf("error %v with a result (%v, %q)", err, list, id)
			}
			return
		}
		if list.Type != "error.list" {
			t.Fatalf("accepted type %q", list.Type)
		}
		if ok && (id == "" || strings.ContainsAny(id, " \t\n")) {
			t.Fatalf("conflict id %q (archived %v) is not a plain id", id, archived)
		}
		_ = list.Messages()
		for _, name := range list.UndefinedAttributes() {
			if name == "" {
				t.Fatalf("empty undefined attribute name from %q", body)
			}
		}
	})
}

func FuzzParseRateLimit(f *testing.F) {
	f.Add("167", "0", "1487332520")
	f.Add("", "5", "1487332520")
	f.Add("83", "-1", "x")
	f.Add("1e3", " 7 ", "1487332520.0")
	f.Add("99999999999999999999", "1", "1")
	f.Fuzz(func(t *testing.T, limit, remaining, reset string) {
		h := http.Header{}
		for name, value := range map[string]string{"x-ratelimit-limit": limit, "x-ratelimit-remaining": remaining, "x-ratelimit-reset": reset} {
			if value != "" {
				h[name] = []string{value}
			}
		}
		rl, ok, err := ParseRateLimit(h)
		if err != nil && ok {
			t.Fatalf("ok with error %v", err)
		}
		if !ok {
			return
		}
		if rl.Limit < 0 || rl.Remaining < 0 || rl.Limit > maxHeaderCount || rl.Remaining > maxHeaderCount || rl.Reset.Unix() <= 0 {
			t.Fatalf("accepted out-of-range %+v from %q %q %q", rl, limit, remaining, reset)
		}
		// Whatever was accepted must not break the limiter.
		l := NewRateLimiter()
		l.Observe(rl, rl.Reset.Add(-RateWindow))
		if wait := l.Reserve(rl.Reset.Add(-RateWindow), nil); wait < 0 || wait > 3*RateWindow {
			t.Fatalf("limiter wait %v out of range for %+v", wait, rl)
		}
	})
}

func FuzzRemoveCustomAttributes(f *testing.F) {
	f.Add(`{"email":"a","custom_attributes":{"a.b":1,"*":2,"":3,"k":{"x":[1]}}}`, "a.b")
	f.Add(`{"custom_attributes":{"\u0041":1}}`, "A")
	f.Add(`{"custom_attributes":{"x":1},"custom_attributes":{"x":2,"y":3}}`, "x")
	f.Add(`[1,2]`, "")
	f.Fuzz(func(t *testing.T, body, name string) {
		if !json.Valid([]byte(body)) || !gjson.Parse(body).IsObject() {
			return
		}
		out := removeCustomAttributes([]byte(body), map[string]bool{name: true})
		if !json.Valid(out) {
			t.Fatalf("invalid JSON %s from %s", out, body)
		}
		members, _ := customAttributeMembers(out)
		for _, m := range members {
			if m.name == name {
				t.Fatalf("%q still present in %s", name, out)
			}
		}
	})
}
