package spectest

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

const errorBody = `{"type":"error.list","request_id":"b7b2e6a0-3c1d-4f3e-9a52-6d0c9d8f0a11","errors":[{"code":"conflict","message":"A contact matching those details already exists with id=6762f0dd1bb69f9f2193bb83"}]}`

func exchange(method, path, body string) Exchange {
	u, _ := url.Parse("http://127.0.0.1:1234" + path)
	h := http.Header{}
	h.Set("Authorization", "Bearer test-token")
	h.Set("Intercom-Version", "2.10")
	h.Set("Accept", "application/json")
	if body != "" {
		h.Set("Content-Type", "application/json")
	}
	return Exchange{Method: method, URL: u, Header: h, Body: []byte(body)}
}

func withResponse(ex Exchange, status int, body string) Exchange {
	ex.Status = status
	ex.RespHeader = http.Header{}
	if body != "" {
		ex.RespHeader.Set("Content-Type", "application/json; charset=utf-8")
	}
	ex.RespBody = []byte(body)
	ex.HasResponse = true
	return ex
}

func TestValidateRequest(t *testing.T) {
	v := ForTest(t)
	tests := []struct {
		name    string
		ex      Exchange
		wantErr string
	}{
		{"create contact", exchange("POST", "/contacts", `{"email":"a@example.com","custom_attributes":{"plan":"pro"}}`), ""},
		{"create contact without identifier", exchange("POST", "/contacts", `{"name":"x"}`), "doesn't match"},
		{"create contact owner as string", exchange("POST", "/contacts", `{"email":"a@example.com","owner_id":"12"}`), "owner_id"},
		{"update contact", exchange("PUT", "/contacts/6762f0dd1bb69f9f2193bb83", `{"name":"A"}`), ""},
		{"search", exchange("POST", "/contacts/search", `{"query":{"operator":"OR","value":[{"field":"email","operator":"=","value":"a@example.com"},{"field":"external_id","operator":"=","value":"u1"}]},"pagination":{"per_page":50}}`), ""},
		{"search without query", exchange("POST", "/contacts/search", `{"pagination":{"per_page":5}}`), "query"},
		{"company with boolean attribute", exchange("POST", "/companies", `{"company_id":"c1","name":"Acme","size":10,"custom_attributes":{"paid":true,"seats":4.5}}`), ""},
		{"company with nested attribute", exchange("POST", "/companies", `{"company_id":"c1","custom_attributes":{"x":{"y":1}}}`), "custom_attributes"},
		{"company size as string", exchange("POST", "/companies", `{"company_id":"c1","size":"ten"}`), "size"},
		{"tag companies", exchange("POST", "/tags", `{"name":"vip","companies":[{"id":"6657ac2e6abd0166b52ae1a7"}]}`), ""},
		{"event with rich metadata", exchange("POST", "/events", `{"event_name":"ordered","created_at":1700000000,"user_id":"u1","metadata":{"total":12.5,"price":{"amount":3499,"currency":"eur"},"link":{"url":"https://example.com","value":"x"}}}`), ""},
		{"event without created_at", exchange("POST", "/events", `{"event_name":"ordered","user_id":"u1"}`), "doesn't match"},
		{"data attributes list", exchange("GET", "/data_attributes?model=contact", ""), ""},
		{"data attribute bad type", exchange("POST", "/data_attributes", `{"name":"plan","model":"contact","data_type":"text"}`), "data_type"},
		{"company retrieve", exchange("GET", "/companies?company_id=c%201", ""), ""},
		{"unknown path", exchange("GET", "/nope", ""), "no operation"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := v.ValidateRequest(context.Background(), tt.ex)
			if tt.wantErr == "" && err != nil {
				t.Fatalf("ValidateRequest() error = %v, want nil", err)
			}
			if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("ValidateRequest() error = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestValidateRequestWithoutToken(t *testing.T) {
	v := ForTest(t)
	ex := exchange("GET", "/contacts/abc", "")
	ex.Header.Del("Authorization")
	err := v.ValidateRequest(context.Background(), ex)
	if err == nil || !strings.Contains(err.Error(), "bearer") {
		t.Fatalf("ValidateRequest() error = %v, want a missing bearer token error", err)
	}
	if strings.Contains(err.Error(), "test-token") {
		t.Fatalf("error contains the token: %v", err)
	}
}

func TestValidateResponse(t *testing.T) {
	v := ForTest(t)
	company := `{"type":"company","id":"6657ac2e6abd0166b52ae1a7","company_id":"c1","name":"Acme","custom_attributes":{"paid":true},"tags":{"type":"tag.list","tags":[]},"segments":{"type":"segment.list","segments":[]},"plan":{}}`
	tests := []struct {
		name    string
		ex      Exchange
		wantErr string
	}{
		{"409 on create contact", withResponse(exchange("POST", "/contacts", `{"email":"a@example.com"}`), 409, errorBody), ""},
		{"409 with wrong body", withResponse(exchange("POST", "/contacts", `{"email":"a@example.com"}`), 409, `{"errors":"x"}`), "doesn't match"},
		{"409 on search is undocumented", withResponse(exchange("POST", "/contacts/search", `{"query":{"field":"email","operator":"=","value":"a"}}`), 409, errorBody), "status is not supported"},
		{"event 202 empty", withResponse(exchange("POST", "/events", `{"event_name":"e","created_at":1,"user_id":"u"}`), 202, ""), ""},
		{"event 404", withResponse(exchange("POST", "/events", `{"event_name":"e","created_at":1,"user_id":"u"}`), 404, errorBody), ""},
		{"company lookup single object", withResponse(exchange("GET", "/companies?company_id=c1", ""), 200, company), ""},
		{"company lookup list", withResponse(exchange("GET", "/companies?company_id=c1", ""), 200, `{"type":"list","data":[`+company+`],"total_count":1,"pages":{"type":"pages","page":1,"per_page":15,"total_pages":1}}`), ""},
		{"company lookup wrong type", withResponse(exchange("GET", "/companies?company_id=c1", ""), 200, `{"type":"contact","id":"x"}`), "doesn't match"},
		{"429 anywhere", withResponse(exchange("GET", "/contacts/abc", ""), 429, `{"type":"error.list","request_id":null,"errors":[{"code":"rate_limit_exceeded","message":"Exceeded rate limit of 167 in 10_seconds"}]}`), ""},
		{"418 nowhere", withResponse(exchange("GET", "/contacts/abc", ""), 418, errorBody), "status is not supported"},
		{"wrong content type", withResponse(exchange("GET", "/contacts/abc", ""), 404, errorBody), ""},
	}
	tests[len(tests)-1].ex.RespHeader.Set("Content-Type", "text/html")
	tests[len(tests)-1].wantErr = "Content-Type"
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := v.ValidateResponse(context.Background(), tt.ex)
			if tt.wantErr == "" && err != nil {
				t.Fatalf("ValidateResponse() error = %v, want nil", err)
			}
			if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("ValidateResponse() error = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}
