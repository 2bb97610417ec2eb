package sim

import (
	"net/http"
	"strings"
	"testing"
)

func TestDataAttributesList(t *testing.T) {
	h := newHarness(t, Options{DataAttributes: []DataAttributeSeed{
		{Model: "contact", Name: "address_city", DataType: "string"},
		{Model: "contact", Name: "old", DataType: "string", Archived: true},
		{Model: "company", Name: "plan_level", DataType: "integer"},
	}})
	r := h.call("GET", "/data_attributes?model=contact", "")
	mustStatus(t, r, http.StatusOK)
	var custom []string
	for _, a := range r.json("data").Array() {
		if a.Get("model").String() != "contact" {
			t.Errorf("model=contact listed %s", a.Raw)
		}
		if a.Get("custom").Bool() {
			custom = append(custom, a.Get("name").String())
			if a.Get("full_name").String() != "custom_attributes."+a.Get("name").String() {
				t.Errorf("full_name = %q", a.Get("full_name").String())
			}
		}
	}
	if strings.Join(custom, ",") != "address_city" {
		t.Errorf("custom contact attributes = %v, want [address_city] (archived hidden)", custom)
	}
	archived := h.call("GET", "/data_attributes?model=contact&include_archived=true", "")
	if !strings.Contains(string(archived.body), `"name":"old"`) {
		t.Errorf("include_archived=true does not list the archived attribute")
	}
	company := h.call("GET", "/data_attributes?model=company", "")
	if !strings.Contains(string(company.body), `"full_name":"plan.name"`) {
		t.Errorf("company list lacks the standard plan attribute: %s", company.body)
	}
}

func TestDataAttributeCreate(t *testing.T) {
	h := newHarness(t, Options{DataAttributes: []DataAttributeSeed{{Model: "company", Name: "The One Ring", DataType: "string"}}})
	r := h.call("POST", "/data_attributes", `{"name":"Mithril Shirt","model":"contact","data_type":"string","description":"armour"}`)
	mustStatus(t, r, http.StatusOK)
	checks := map[string]string{"type": "data_attribute", "full_name": "custom_attributes.Mithril Shirt", "custom": "true", "api_writable": "true", "description": "armour"}
	for path, want := range checks {
		if got := r.json(path).String(); got != want {
			t.Errorf("%s = %q, want %q", path, got, want)
		}
	}
	mustStatus(t, h.call("POST", "/contacts", `{"email":"a@example.com","custom_attributes":{"Mithril Shirt":"yes"}}`), http.StatusOK)

	tests := []struct{ name, body, message string }{
		{"same model", `{"name":"The One Ring","model":"company","data_type":"string"}`,
			"You already have 'The One Ring' in your company data. To save this as new company data, use a different name."},
		{"other model", `{"name":"Mithril Shirt","model":"company","data_type":"string"}`,
			"You already have 'Mithril Shirt' in your people data. To save this as new company data, use a different name."},
		{"bad characters", `{"name":"!nv@l!d n@me","model":"contact","data_type":"string"}`,
			"Your name for this attribute must only contain alphanumeric characters, currency symbols, and hyphens"},
		{"dot in name", `{"name":"address.city","model":"contact","data_type":"string"}`,
			"Your name for this attribute must only contain alphanumeric characters, currency symbols, and hyphens"},
		{"standard attribute", `{"name":"Name","model":"contact","data_type":"string"}`,
			"'Name' is one of our standard attributes for your people data. To save this as new people data, use a different name."},
		{"bad type", `{"name":"x","model":"contact","data_type":"text"}`, "Data Type isn't an option"},
		{"bad model", `{"name":"x","model":"ticket","data_type":"string"}`, "The Data Attribute model field must be either contact or company"},
		{"one option", `{"name":"x","model":"contact","data_type":"string","options":["a"]}`, "You must have at least two options on a list type data attribute"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Bodies with an invalid enum value break the request schema, so
			// they go through the raw client.
			mustError(t, h.callRaw("POST", "/data_attributes", tt.body), 400, "parameter_invalid", tt.message)
		})
	}
}

func TestDataAttributeSeedErrors(t *testing.T) {
	_, err := New(Options{DataAttributes: []DataAttributeSeed{{Model: "contact", Name: "a.b", DataType: "string"}}})
	if err == nil || !strings.Contains(err.Error(), "a.b") {
		t.Errorf("New() error = %v, want one naming the invalid attribute", err)
	}
}
