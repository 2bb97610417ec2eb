package intercom_test

import (
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/intercom-gateway/gateway/intercom"
)

func TestClassify(t *testing.T) {
	tests := []struct {
		status int
		want   intercom.Outcome
	}{
		{200, intercom.OutcomeDelivered}, {202, intercom.OutcomeDelivered}, {204, intercom.OutcomeDelivered},
		{400, intercom.OutcomeRejected}, {404, intercom.OutcomeRejected}, {422, intercom.OutcomeRejected},
		{405, intercom.OutcomeRejected}, {413, intercom.OutcomeRejected},
		{401, intercom.OutcomeConfiguration}, {403, intercom.OutcomeConfiguration},
		{406, intercom.OutcomeConfiguration}, {415, intercom.OutcomeConfiguration},
		{301, intercom.OutcomeConfiguration}, {302, intercom.OutcomeConfiguration},
		{408, intercom.OutcomeRetrying}, {409, intercom.OutcomeRetrying}, {429, intercom.OutcomeRetrying},
		{500, intercom.OutcomeRetrying}, {502, intercom.OutcomeRetrying}, {503, intercom.OutcomeRetrying},
		{504, intercom.OutcomeRetrying}, {0, intercom.OutcomeRetrying}, {700, intercom.OutcomeRetrying},
	}
	for _, tt := range tests {
		if got := intercom.Classify(tt.status, nil); got != tt.want {
			t.Errorf("Classify(%d) = %q, want %q", tt.status, got, tt.want)
		}
	}
	if intercom.OutcomeInvalid != "invalid_event" {
		t.Errorf("OutcomeInvalid = %q, want invalid_event", intercom.OutcomeInvalid)
	}
}

func TestClassifyWithReason(t *testing.T) {
	body := []byte(`{"type":"error.list","request_id":null,"errors":[{"code":"media_type_not_acceptable","message":"The Accept header should send a media type of application/json"}]}`)
	outcome, reason := intercom.ClassifyWithReason(406, body)
	if outcome != intercom.OutcomeConfiguration {
		t.Errorf("outcome = %q, want configuration", outcome)
	}
	for _, part := range []string{"406", "media_type_not_acceptable", "gateway sent an Accept or Content-Type header"} {
		if !strings.Contains(reason, part) {
			t.Errorf("reason %q lacks %q", reason, part)
		}
	}
	_, reason = intercom.ClassifyWithReason(400, []byte(`{"type":"error.list","errors":[{"code":"parameter_invalid","message":"Custom attribute 'x' does not exist"}]}`))
	if !strings.Contains(reason, "Custom attribute 'x' does not exist") {
		t.Errorf("400 reason %q lacks Intercom's message", reason)
	}
}

func TestParseError(t *testing.T) {
	tests := []struct {
		name, body string
		want       *intercom.ErrorList
		wantErr    bool
	}{
		{"full", `{"type":"error.list","request_id":"abc","errors":[{"code":"conflict","message":"m","field":"email"}]}`,
			&intercom.ErrorList{Type: "error.list", RequestID: "abc", Errors: []intercom.ErrorItem{{Code: "conflict", Message: "m", Field: "email"}}}, false},
		{"null request id and message", `{"type":"error.list","request_id":null,"errors":[{"code":"bad_request","message":null}]}`,
			&intercom.ErrorList{Type: "error.list", Errors: []intercom.ErrorItem{{Code: "bad_request"}}}, false},
		{"no request id, two errors", `{"type":"error.list","errors":[{"code":"a"},{"code":"b","message":"x"}]}`,
			&intercom.ErrorList{Type: "error.list", Errors: []intercom.ErrorItem{{Code: "a"}, {Code: "b", Message: "x"}}}, false},
		{"empty errors", `{"type":"error.list","errors":[]}`, &intercom.ErrorList{Type: "error.list", Errors: []intercom.ErrorItem{}}, false},
		{"empty body", ``, nil, true},
		{"contact, not error", `{"type":"contact","id":"1"}`, nil, true},
		{"no type", `{"errors":[]}`, nil, true},
		{"errors not array", `{"type":"error.list","errors":{}}`, nil, true},
		{"code is a number", `{"type":"error.list","errors":[{"code":5}]}`, nil, true},
		{"not JSON", `<html>`, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := intercom.ParseError([]byte(tt.body))
			if (err != nil) != tt.wantErr {
				t.Fatalf("ParseError() error = %v, want error %v", err, tt.wantErr)
			}
			if tt.wantErr {
				return
			}
			if got.Type != tt.want.Type || got.RequestID != tt.want.RequestID || !slices.Equal(got.Errors, tt.want.Errors) {
				t.Errorf("ParseError() = %+v, want %+v", got, tt.want)
			}
		})
	}
	_, err := intercom.ParseError([]byte(`{"type":"list"}`))
	if !errors.Is(err, intercom.ErrNotErrorList) {
		t.Errorf("error = %v, want ErrNotErrorList", err)
	}
}

func TestConflictContactID(t *testing.T) {
	tests := []struct {
		body         string
		id           string
		archived, ok bool
	}{
		{`{"type":"error.list","request_id":"r","errors":[{"code":"conflict","message":"A contact matching those details already exists with id=6762f0dd1bb69f9f2193bb83"}]}`, "6762f0dd1bb69f9f2193bb83", false, true},
		{`{"type":"error.list","errors":[{"code":"conflict","message":"An archived contact matching those details already exists with id=test1"}]}`, "test1", true, true},
		{`{"type":"error.list","errors":[{"code":"conflict","message":"Multiple existing users match this email address"}]}`, "", false, false},
		{`{"type":"error.list","errors":[{"code":"not_found","message":"already exists with id=abc"}]}`, "", false, false},
		{`not json`, "", false, false},
	}
	for _, tt := range tests {
		id, archived, ok := intercom.ConflictContactID([]byte(tt.body))
		if id != tt.id || archived != tt.archived || ok != tt.ok {
			t.Errorf("ConflictContactID(%s) = %q, %v, %v; want %q, %v, %v", tt.body, id, archived, ok, tt.id, tt.archived, tt.ok)
		}
	}
}

func TestParseRateLimit(t *testing.T) {
	reset := time.Unix(1487332520, 0)
	tests := []struct {
		name    string
		header  http.Header
		want    intercom.RateLimit
		ok      bool
		wantErr bool
	}{
		{"canonical", http.Header{"X-Ratelimit-Limit": {"167"}, "X-Ratelimit-Remaining": {"0"}, "X-Ratelimit-Reset": {"1487332520"}},
			intercom.RateLimit{Limit: 167, Remaining: 0, Reset: reset}, true, false},
		{"lowercase keys", http.Header{"x-ratelimit-limit": {"83"}, "x-ratelimit-remaining": {"12"}, "x-ratelimit-reset": {" 1487332520 "}},
			intercom.RateLimit{Limit: 83, Remaining: 12, Reset: reset}, true, false},
		{"no limit header", http.Header{"X-Ratelimit-Remaining": {"5"}, "X-Ratelimit-Reset": {"1487332520"}},
			intercom.RateLimit{Remaining: 5, Reset: reset}, true, false},
		{"absent", http.Header{}, intercom.RateLimit{}, false, false},
		{"remaining only", http.Header{"X-Ratelimit-Remaining": {"5"}}, intercom.RateLimit{}, false, false},
		{"negative", http.Header{"X-Ratelimit-Remaining": {"-1"}, "X-Ratelimit-Reset": {"1487332520"}}, intercom.RateLimit{}, false, true},
		{"plus sign", http.Header{"X-Ratelimit-Remaining": {"+1"}, "X-Ratelimit-Reset": {"1487332520"}}, intercom.RateLimit{}, false, true},
		{"float reset", http.Header{"X-Ratelimit-Remaining": {"1"}, "X-Ratelimit-Reset": {"1487332520.5"}}, intercom.RateLimit{}, false, true},
		{"zero reset", http.Header{"X-Ratelimit-Remaining": {"1"}, "X-Ratelimit-Reset": {"0"}}, intercom.RateLimit{}, false, true},
		{"huge limit", http.Header{"X-Ratelimit-Limit": {"99999999999"}, "X-Ratelimit-Remaining": {"1"}, "X-Ratelimit-Reset": {"1487332520"}}, intercom.RateLimit{}, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok, err := intercom.ParseRateLimit(tt.header)
			if (err != nil) != tt.wantErr || ok != tt.ok {
				t.Fatalf("ParseRateLimit() = %+v, %v, %v; want ok %v, error %v", got, ok, err, tt.ok, tt.wantErr)
			}
			if ok && (got.Limit != tt.want.Limit || got.Remaining != tt.want.Remaining || !got.Reset.Equal(tt.want.Reset)) {
				t.Errorf("ParseRateLimit() = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestRouteOf(t *testing.T) {
	tests := []struct{ method, path, want string }{
		{"POST", "/contacts", "POST /contacts"},
		{"put", "/contacts/6762f0dd1bb69f9f2193bb83", "PUT /contacts/{id}"},
		{"POST", "/contacts/search", "POST /contacts/search"},
		{"DELETE", "/contacts/a/companies/b", "DELETE /contacts/{id}/companies/{id}"},
		{"GET", "/companies?company_id=secret-ish", "GET /companies"},
		{"POST", "/contacts/abc/unarchive", "POST /contacts/{id}/unarchive"},
		{"GET", "/a/b/c/d/e/f/g", "GET other"},
	}
	for _, tt := range tests {
		if got := intercom.RouteOf(tt.method, tt.path); got != tt.want {
			t.Errorf("RouteOf(%q, %q) = %q, want %q", tt.method, tt.path, got, tt.want)
		}
	}
}

func TestInferDataType(t *testing.T) {
	tests := []struct {
		raw, want string
		ok        bool
	}{
		{`"pro"`, "string", true}, {`""`, "string", true},
		{`3`, "integer", true}, {`-12`, "integer", true},
		{`4.5`, "float", true}, {`1e3`, "float", true},
		{`true`, "boolean", true}, {`false`, "boolean", true},
		{`"2024-05-01T10:00:00Z"`, "date", true}, {`"2024-05-01T10:00:00.123+02:00"`, "date", true},
		{`"2024-05-01"`, "date", true}, {`"2024-05-01T10:00:00"`, "date", true},
		{`"2024-13-01"`, "string", true}, {`"May 1, 2024"`, "string", true},
		{`null`, "", false}, {`{"a":1}`, "", false}, {`[1]`, "", false},
	}
	for _, tt := range tests {
		got, ok := intercom.InferDataType([]byte(tt.raw))
		if got != tt.want || ok != tt.ok {
			t.Errorf("InferDataType(%s) = %q, %v; want %q, %v", tt.raw, got, ok, tt.want, tt.ok)
		}
	}
}
