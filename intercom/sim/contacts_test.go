package sim

import (
	"net/http"
	"testing"
)

func TestContactCreateGetUpdate(t *testing.T) {
	h := newHarness(t, Options{})
	r := h.call("POST", "/contacts", `{"email":"Ada@Example.com","external_id":"u1","name":"Ada","signed_up_at":1700000000,"owner_id":991267785,"custom_attributes":{"plan":"pro","seats":3}}`)
	mustStatus(t, r, http.StatusOK)
	id := r.json("id").String()
	checks := map[string]string{
		"type": "contact", "role": "user", "email": "Ada@Example.com", "email_domain": "Example.com",
		"external_id": "u1", "name": "Ada", "signed_up_at": "1700000000", "owner_id": "991267785",
		"custom_attributes.plan": "pro", "custom_attributes.seats": "3", "workspace_id": DefaultWorkspaceID,
		"companies.url": "/contacts/" + id + "/companies", "phone": "",
	}
	for path, want := range checks {
		if got := r.json(path).String(); got != want {
			t.Errorf("create: %s = %q, want %q", path, got, want)
		}
	}
	if !r.json("phone").Exists() || r.json("phone").Type.String() != "Null" {
		t.Errorf("create: phone = %s, want null", r.json("phone").Raw)
	}
	if len(id) != 24 {
		t.Errorf("id %q has %d characters, want 24", id, len(id))
	}

	got := h.call("GET", "/contacts/"+id, "")
	mustStatus(t, got, http.StatusOK)
	if got.json("external_id").String() != "u1" {
		t.Errorf("get: external_id = %q, want u1", got.json("external_id").String())
	}

	upd := h.call("PUT", "/contacts/"+id, `{"name":"Ada L.","custom_attributes":{"seats":null,"paid":true}}`)
	mustStatus(t, upd, http.StatusOK)
	if upd.json("name").String() != "Ada L." || upd.json("email").String() != "Ada@Example.com" {
		t.Errorf("update changed the wrong fields: %s", upd.body)
	}
	if upd.json("custom_attributes.seats").Exists() {
		t.Errorf("update: seats still set after null: %s", upd.json("custom_attributes").Raw)
	}
	if upd.json("custom_attributes.plan").String() != "pro" || !upd.json("custom_attributes.paid").Bool() {
		t.Errorf("update: custom_attributes = %s, want plan kept and paid added", upd.json("custom_attributes").Raw)
	}
}

func TestContactErrors(t *testing.T) {
	h := newHarness(t, Options{})
	userID := h.createContact(`{"email":"u@example.com","external_id":"u1"}`)
	leadID := h.createContact(`{"role":"lead","email":"lead@example.com"}`)

	tests := []struct {
		name, method, path, body string
		status                   int
		code, message            string
	}{
		{"undefined attribute", "POST", "/contacts", `{"email":"x@example.com","custom_attributes":{"plan":"pro","isOpenSource":true}}`,
			400, "parameter_invalid", "Custom attribute 'isOpenSource' does not exist"},
		{"undefined attribute on update", "PUT", "/contacts/" + userID, `{"custom_attributes":{"address.city":"Paris"}}`,
			400, "parameter_invalid", "Custom attribute 'address.city' does not exist"},
		{"user to lead", "PUT", "/contacts/" + userID, `{"role":"lead"}`,
			400, "client_error", "Contact with user role can't be converted to a lead"},
		{"owner not in workspace", "POST", "/contacts", `{"email":"o@example.com","owner_id":5}`,
			400, "parameter_invalid", "The owner specified is not a member of the workspace"},
		{"update unknown contact", "PUT", "/contacts/000000000000000000000000", `{"name":"x"}`,
			404, "not_found", "Contact Not Found"},
		{"get unknown contact", "GET", "/contacts/nope", "", 404, "not_found", "Contact Not Found"},
		{"unknown path", "GET", "/nope", "", 404, "not_found", "Resource Not Found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r reply
			if tt.path == "/nope" {
				r = h.callRaw(tt.method, tt.path, tt.body)
			} else {
				r = h.call(tt.method, tt.path, tt.body)
			}
			mustError(t, r, tt.status, tt.code, tt.message)
		})
	}

	if n := len(h.sim.Contacts()); n != 2 {
		t.Errorf("stored %d contacts after rejected writes, want 2", n)
	}
	lead := h.call("PUT", "/contacts/"+leadID, `{"role":"user","external_id":"u2"}`)
	mustStatus(t, lead, http.StatusOK)
	if lead.json("role").String() != "user" {
		t.Errorf("lead to user: role = %q, want user", lead.json("role").String())
	}
}

func TestContactConflicts(t *testing.T) {
	h := newHarness(t, Options{})
	withExternal := h.createContact(`{"email":"a@example.com","external_id":"u1"}`)
	emailOnly := h.createContact(`{"email":"b@example.com"}`)
	archived := h.createContact(`{"email":"c@example.com","external_id":"u3"}`)
	mustStatus(t, h.call("POST", "/contacts/"+archived+"/archive", ""), http.StatusOK)

	live := "A contact matching those details already exists with id="
	tests := []struct {
		name, method, path, body string
		wantStatus               int
		wantMessage              string
	}{
		{"same external_id", "POST", "/contacts", `{"external_id":"u1"}`, 409, live + withExternal},
		{"same email, both without external_id", "POST", "/contacts", `{"email":"b@example.com"}`, 409, live + emailOnly},
		{"email case differs", "POST", "/contacts", `{"email":"B@Example.COM"}`, 409, live + emailOnly},
		{"same email, existing has external_id", "POST", "/contacts", `{"email":"a@example.com"}`, 409, live + withExternal},
		{"archived external_id", "POST", "/contacts", `{"external_id":"u3"}`, 409, "An archived contact matching those details already exists with id=" + archived},
		{"update takes another email", "PUT", "/contacts/" + emailOnly, `{"email":"a@example.com"}`, 409, live + withExternal},
		{"same email, different external_ids", "POST", "/contacts", `{"email":"a@example.com","external_id":"u9"}`, 200, ""},
		{"lead may share an email", "POST", "/contacts", `{"role":"lead","email":"a@example.com"}`, 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := h.call(tt.method, tt.path, tt.body)
			if tt.wantStatus != 409 {
				mustStatus(t, r, tt.wantStatus)
				return
			}
			mustError(t, r, 409, "conflict", tt.wantMessage)
		})
	}
}

func TestContactArchiveUnarchive(t *testing.T) {
	h := newHarness(t, Options{})
	id := h.createContact(`{"email":"a@example.com","external_id":"u1"}`)

	r := h.call("POST", "/contacts/"+id+"/archive", "")
	mustStatus(t, r, http.StatusOK)
	if !r.json("archived").Bool() || r.json("external_id").String() != "u1" {
		t.Errorf("archive body = %s, want archived true with external_id", r.body)
	}
	mustError(t, h.call("GET", "/contacts/"+id, ""), 404, "not_found", "Contact Not Found")
	mustError(t, h.call("PUT", "/contacts/"+id, `{"name":"x"}`), 404, "not_found", "Contact Not Found")

	r = h.call("POST", "/contacts/"+id+"/unarchive", "")
	mustStatus(t, r, http.StatusOK)
	if r.json("archived").Bool() {
		t.Errorf("unarchive body = %s, want archived false", r.body)
	}
	mustStatus(t, h.call("PUT", "/contacts/"+id, `{"name":"Back"}`), http.StatusOK)
	mustError(t, h.call("POST", "/contacts/nope/unarchive", ""), 404, "not_found", "Contact Not Found")
}

func TestContactValidation(t *testing.T) {
	h := newHarness(t, Options{})
	tests := []struct {
		name, body, message string
	}{
		{"milliseconds", `{"email":"a@example.com","signed_up_at":1700000000000}`, "signed_up_at must be a Unix timestamp in seconds, not milliseconds"},
		{"bad role", `{"role":"admin"}`, "role must be either user or lead"},
		{"nested attribute", `{"email":"a@example.com","custom_attributes":{"plan":{"x":1}}}`, "Custom attribute 'plan' must be a string, number, boolean or null"},
		{"email as number", `{"email":5}`, "email must be a string or null"},
		{"no identifier", `{"name":"x"}`, "A contact needs an email, external_id or role"},
		{"not an object", `[1]`, "Request body must be a JSON object"},
		{"invalid JSON", `{"email":`, "Request body is not valid JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mustError(t, h.callRaw("POST", "/contacts", tt.body), 400, "parameter_invalid", tt.message)
		})
	}
}
