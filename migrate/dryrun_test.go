package migrate

import (
	"context"
	"strings"
	"testing"

	"github.com/tidwall/gjson"

	"github.com/intercom-gateway/gateway/mapping"
)

func TestDryRunWorkspaceAnswers(t *testing.T) {
	ws := newDryRunWorkspace()
	send := func(method, path, body string) mapping.Response {
		t.Helper()
		resp, err := ws.Send(context.Background(), mapping.Request{Method: method, Path: path, Body: []byte(body)})
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		return resp
	}
	search := `{"query":{"operator":"OR","value":[{"field":"external_id","operator":"=","value":"u1"},{"field":"email","operator":"=","value":"ann@example.com"}]}}`

	if r := send("POST", "/contacts/search", search); r.Status != 200 || gjson.GetBytes(r.Body, "data.#").Int() != 0 {
		t.Fatalf("search of an empty workspace = %d %s, want an empty list", r.Status, r.Body)
	}
	created := send("POST", "/contacts", `{"external_id":"u1","email":"Ann@Example.com"}`)
	id := gjson.GetBytes(created.Body, "id").String()
	if created.Status != 200 || id == "" {
		t.Fatalf("create = %d %s, want a contact with an id", created.Status, created.Body)
	}
	byEmail := `{"query":{"field":"email","operator":"=","value":"ann@example.com"}}`
	if r := send("POST", "/contacts/search", byEmail); gjson.GetBytes(r.Body, "data.0.id").String() != id {
		t.Errorf("search by email after the create = %s, want contact %s", r.Body, id)
	}
	if r := send("PUT", "/contacts/"+id, `{"email":"new@example.com"}`); r.Status != 200 || gjson.GetBytes(r.Body, "email").String() != "new@example.com" {
		t.Errorf("update = %d %s", r.Status, r.Body)
	}

	first := send("POST", "/companies", `{"company_id":"acme","name":"Acme"}`)
	again := send("POST", "/companies", `{"company_id":"acme"}`)
	companyID := gjson.GetBytes(first.Body, "id").String()
	if companyID == "" || gjson.GetBytes(again.Body, "id").String() != companyID {
		t.Errorf("company upsert gave %s then %s, want the same id", first.Body, again.Body)
	}
	if r := send("GET", "/companies?company_id=acme", ""); gjson.GetBytes(r.Body, "id").String() != companyID {
		t.Errorf("company lookup = %d %s", r.Status, r.Body)
	}
	if r := send("GET", "/companies?company_id=other", ""); r.Status != 404 {
		t.Errorf("lookup of an unknown company = %d, want 404", r.Status)
	}
	if r := send("POST", "/contacts/"+id+"/companies", `{"id":"`+companyID+`"}`); r.Status != 200 {
		t.Errorf("attach = %d", r.Status)
	}
	if r := send("POST", "/events", `{"event_name":"x"}`); r.Status != 202 || len(r.Body) != 0 {
		t.Errorf("event = %d %q, want 202 without a body", r.Status, r.Body)
	}
	if r := send("POST", "/tags", `{"name":"vip","companies":[{"id":"x"}]}`); r.Status != 200 || gjson.GetBytes(r.Body, "name").String() != "vip" {
		t.Errorf("tag = %d %s", r.Status, r.Body)
	}
	if r := send("POST", "/conversations", `{}`); r.Status != 404 || !strings.Contains(string(r.Body), "does not answer") {
		t.Errorf("unknown route = %d %s, want 404 naming the route", r.Status, r.Body)
	}
}
