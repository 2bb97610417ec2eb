package migrate

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/intercom-gateway/gateway/mapping"
)

func TestNameRejection(t *testing.T) {
	tests := []struct {
		model, name string
		has         string // "" when the name is accepted
	}{
		{modelContact, "address_city", ""},
		{modelContact, "Mithril Shirt", ""},
		{modelContact, "plan-tier", ""},
		{modelContact, "$balance", ""},
		{modelContact, "prix_€", ""},
		{modelContact, "größe", ""},
		{modelContact, "plan", ""},
		{modelCompany, "seats", ""},
		{modelContact, "user.email", `contains "."`},
		{modelContact, "Plan Tier!", `"!"`},
		{modelContact, "a@b", `"@"`},
		{modelContact, "tab\there", "a tab"},
		{modelContact, "nul\x00", "control character"},
		{modelContact, "", "empty"},
		{modelContact, "   ", "empty"},
		{modelContact, "Email", `standard contact attribute "email"`},
		{modelContact, "created_at", `"created_at"`},
		{modelContact, "Last Seen At", `"last_seen_at"`},
		{modelCompany, "Plan", `standard company attribute "plan"`},
		{modelCompany, "monthly_spend", `"monthly_spend"`},
	}
	for _, tt := range tests {
		got := nameRejection(tt.model, tt.name)
		switch {
		case tt.has == "" && got != "":
			t.Errorf("%s %q rejected: %s", tt.model, tt.name, got)
		case tt.has != "" && !strings.Contains(got, tt.has):
			t.Errorf("%s %q: reason %q does not contain %q", tt.model, tt.name, got, tt.has)
		}
	}
}

func TestMergeTypes(t *testing.T) {
	tests := []struct {
		types map[string]int
		want  string
	}{
		{map[string]int{"string": 2}, "string"},
		{map[string]int{"string": 2, "null": 1}, "string"},
		{map[string]int{"integer": 1, "float": 3}, "float"},
		{map[string]int{"integer": 1, "string": 1}, ""},
		{map[string]int{"date": 1, "string": 1}, ""},
		{map[string]int{"null": 2}, ""},
		{map[string]int{"integer": 1, "float": 1, "string": 1}, ""},
	}
	for _, tt := range tests {
		if got := mergeTypes(tt.types); got != tt.want {
			t.Errorf("mergeTypes(%v) = %q, want %q", tt.types, got, tt.want)
		}
	}
}

func TestTypeFits(t *testing.T) {
	tests := []struct {
		defined, inferred string
		want              bool
	}{
		{"string", "string", true},
		{"float", "integer", true},
		{"integer", "float", false},
		{"string", "date", true},
		{"date", "string", false},
		{"datetime", "date", true},
		{"boolean", "string", false},
		{"integer", "", true},
	}
	for _, tt := range tests {
		if got := typeFits(tt.defined, tt.inferred); got != tt.want {
			t.Errorf("typeFits(%q, %q) = %v, want %v", tt.defined, tt.inferred, got, tt.want)
		}
	}
}

func TestWriteModel(t *testing.T) {
	tests := []struct {
		method, path, want string
	}{
		{"POST", "/contacts", modelContact},
		{"PUT", "/contacts/abc", modelContact},
		{"POST", "/companies", modelCompany},
		{"POST", "/contacts/search", ""},
		{"POST", "/contacts/abc/companies", ""},
		{"GET", "/companies?company_id=x", ""},
		{"POST", "/events", ""},
		{"PUT", "/contacts/", ""},
	}
	for _, tt := range tests {
		if got := writeModel(tt.method, tt.path); got != tt.want {
			t.Errorf("writeModel(%s %s) = %q, want %q", tt.method, tt.path, got, tt.want)
		}
	}
}

// call builds a planned call with a JSON body.
func call(method, path, body string) mapping.Call {
	return mapping.Call{Request: mapping.Request{Method: method, Path: path, Body: json.RawMessage(body)}}
}

func TestAttributeCollector(t *testing.T) {
	var c attributeCollector
	c.addEvent("e1", []mapping.Call{
		call("POST", "/contacts/search", `{"query":{"field":"external_id","operator":"=","value":"u"}}`),
		call("POST", "/contacts", `{"external_id":"u","custom_attributes":{"a.b":1,"plan":"pro","cleared":null}}`),
		call("PUT", "/contacts/c1", `{"custom_attributes":{"plan":"ignored second write"}}`),
		call("POST", "/companies", `{"company_id":"x","custom_attributes":{"plan_seats":3}}`),
	})
	c.addEvent("e2", []mapping.Call{
		call("PUT", "/contacts/c1", `{"custom_attributes":{"a.b":"one","cleared":true}}`),
	})

	got := map[string]*Attribute{}
	for _, a := range c.list() {
		got[a.Model+" "+a.Name] = a
	}
	if len(got) != 4 {
		t.Fatalf("got %d attributes, want 4: %v", len(got), got)
	}

	ab := got["contact a.b"]
	if ab.Events != 2 || ab.Type != "" || !ab.hasConflict() || ab.Types["integer"] != 1 || ab.Types["string"] != 1 {
		t.Errorf("a.b = %+v, want a conflict of one integer and one string", ab)
	}
	plan := got["contact plan"]
	if plan.Events != 1 || plan.Example != `"pro"` || plan.Type != "string" {
		t.Errorf("plan = %+v, want one event with the first value", plan)
	}
	cleared := got["contact cleared"]
	if cleared.Type != "boolean" || cleared.Example != "true" || cleared.Types["null"] != 1 || cleared.hasConflict() {
		t.Errorf("cleared = %+v, want boolean with a non-null example", cleared)
	}
	if company := got["company plan_seats"]; company == nil || company.Type != "integer" {
		t.Errorf("company plan_seats = %+v", company)
	}

	list := c.list()
	if list[0].Model != modelContact || list[len(list)-1].Model != modelCompany {
		t.Errorf("contacts do not come first: %v", list)
	}
}

func TestCustomAttributeKeysAreData(t *testing.T) {
	// Names that gjson would read as path syntax must come back verbatim.
	names := []string{"a.b", "x*", "q?", "#", "p|q", "@this", `back\slash`, ""}
	fields := make([]string, len(names))
	for i, n := range names {
		key, _ := json.Marshal(n)
		fields[i] = fmt.Sprintf("%s:%d", key, i)
	}
	body := `{"custom_attributes":{` + strings.Join(fields, ",") + `}}`
	members := customAttributeMembers([]byte(body))
	if len(members) != len(names) {
		t.Fatalf("got %d members, want %d", len(members), len(names))
	}
	for i, m := range members {
		if m.name != names[i] || m.value.Int() != int64(i) {
			t.Errorf("member %d = %q:%s, want %q:%d", i, m.name, m.value.Raw, names[i], i)
		}
	}
}
