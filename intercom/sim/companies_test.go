package sim

import (
	"net/http"
	"testing"
)

func TestCompanyUpsert(t *testing.T) {
	h := newHarness(t, Options{})
	r := h.call("POST", "/companies", `{"company_id":"c1","name":"Acme","plan":"Pro","size":12,"monthly_spend":155,"remote_created_at":1374138000,"custom_attributes":{"tier":"gold","verified":true}}`)
	mustStatus(t, r, http.StatusOK)
	id := r.json("id").String()
	checks := map[string]string{
		"type": "company", "company_id": "c1", "name": "Acme", "plan.type": "plan", "plan.name": "Pro",
		"size": "12", "monthly_spend": "155", "user_count": "0", "custom_attributes.tier": "gold",
		"custom_attributes.verified": "true", "tags.type": "tag.list", "segments.type": "segment.list",
		"app_id": DefaultWorkspaceID,
	}
	for path, want := range checks {
		if got := r.json(path).String(); got != want {
			t.Errorf("create: %s = %q, want %q", path, got, want)
		}
	}

	upd := h.call("POST", "/companies", `{"company_id":"c1","industry":"Software"}`)
	mustStatus(t, upd, http.StatusOK)
	if upd.json("id").String() != id || upd.json("name").String() != "Acme" || upd.json("industry").String() != "Software" {
		t.Errorf("upsert did not update the same company: %s", upd.body)
	}
	if n := len(h.sim.Companies()); n != 1 {
		t.Errorf("stored %d companies, want 1", n)
	}

	// The schema types monthly_spend as an integer, but Intercom documents
	// that it truncates floats, so this request goes through the raw client.
	spend := h.callRaw("POST", "/companies", `{"company_id":"c1","monthly_spend":155.98}`)
	if got := spend.json("monthly_spend").Int(); got != 155 {
		t.Errorf("monthly_spend 155.98 stored as %d, want 155", got)
	}

	noPlan := h.call("POST", "/companies", `{"company_id":"c2"}`)
	if noPlan.json("plan").Raw != "{}" {
		t.Errorf("company without plan: plan = %s, want {}", noPlan.json("plan").Raw)
	}
}

func TestCompanyErrors(t *testing.T) {
	h := newHarness(t, Options{})
	r := h.call("POST", "/companies", `{"company_id":"c1","test":"invalid"}`)
	mustError(t, r, 400, "bad_request", "bad 'test' parameter")
	if rid := r.json("request_id"); rid.Type.String() != "Null" {
		t.Errorf("request_id = %s, want null as in Intercom's example", rid.Raw)
	}
	mustError(t, h.call("POST", "/companies", `{"company_id":"c1","custom_attributes":{"isOpenSource":true}}`),
		400, "parameter_invalid", "Custom attribute 'isOpenSource' does not exist")
	mustError(t, h.callRaw("POST", "/companies", `{"company_id":"c1","monthly_spend":3000000000}`),
		400, "parameter_invalid", "monthly_spend must be between 0 and 2147483647")
	if n := len(h.sim.Companies()); n != 0 {
		t.Errorf("rejected writes stored %d companies", n)
	}
}

func TestCompanyRetrieve(t *testing.T) {
	h := newHarness(t, Options{})
	id := h.createCompany(`{"company_id":"c 1","name":"Acme & Co"}`)

	byID := h.call("GET", "/companies?company_id=c%201", "")
	mustStatus(t, byID, http.StatusOK)
	if byID.json("type").String() != "company" || byID.json("id").String() != id {
		t.Errorf("lookup by company_id = %s, want the single company object", byID.body)
	}
	byName := h.call("GET", "/companies?name=Acme%20%26%20Co", "")
	if byName.json("id").String() != id {
		t.Errorf("lookup by URL-encoded name = %s, want company %s", byName.body, id)
	}
	mustError(t, h.call("GET", "/companies?company_id=missing", ""), 404, "company_not_found", "Company Not Found")
	mustStatus(t, h.call("GET", "/companies/"+id, ""), http.StatusOK)
	mustError(t, h.call("GET", "/companies/nope", ""), 404, "company_not_found", "Company Not Found")

	all := h.call("GET", "/companies", "")
	if all.json("type").String() != "list" || all.json("total_count").Int() != 1 || all.json("pages.per_page").Int() != 15 {
		t.Errorf("list = %s, want a list of 1 with per_page 15", all.body)
	}
}

func TestCompanyRetrieveAsList(t *testing.T) {
	h := newHarness(t, Options{CompanyLookupAsList: true})
	id := h.createCompany(`{"company_id":"c1"}`)
	r := h.call("GET", "/companies?company_id=c1", "")
	mustStatus(t, r, http.StatusOK)
	if r.json("type").String() != "list" || r.json("data.0.id").String() != id {
		t.Errorf("lookup in list mode = %s, want a list holding %s", r.body, id)
	}
}

func TestAttachDetach(t *testing.T) {
	h := newHarness(t, Options{})
	contact := h.createContact(`{"email":"a@example.com","external_id":"u1"}`)
	company := h.createCompany(`{"company_id":"c1","name":"Acme"}`)

	r := h.call("POST", "/contacts/"+contact+"/companies", `{"id":"`+company+`"}`)
	mustStatus(t, r, http.StatusOK)
	if r.json("user_count").Int() != 1 {
		t.Errorf("after attach user_count = %d, want 1", r.json("user_count").Int())
	}
	got := h.call("GET", "/contacts/"+contact, "")
	if got.json("companies.data.0.id").String() != company || got.json("companies.total_count").Int() != 1 {
		t.Errorf("contact companies = %s, want %s", got.json("companies").Raw, company)
	}
	snap, _ := h.sim.CompanyByCompanyID("c1")
	if len(snap.ContactIDs) != 1 || snap.ContactIDs[0] != contact {
		t.Errorf("state: company contacts = %v, want [%s]", snap.ContactIDs, contact)
	}

	mustError(t, h.callRaw("POST", "/contacts/"+contact+"/companies", `{}`), 400, "parameter_not_found", "company not specified")
	mustError(t, h.call("POST", "/contacts/"+contact+"/companies", `{"id":"123"}`), 404, "company_not_found", "Company Not Found")
	mustError(t, h.call("POST", "/contacts/nope/companies", `{"id":"`+company+`"}`), 404, "not_found", "User Not Found")

	d := h.call("DELETE", "/contacts/"+contact+"/companies/"+company, "")
	mustStatus(t, d, http.StatusOK)
	if d.json("user_count").Int() != 0 {
		t.Errorf("after detach user_count = %d, want 0", d.json("user_count").Int())
	}
	mustError(t, h.call("DELETE", "/contacts/"+contact+"/companies/nope", ""), 404, "company_not_found", "Company Not Found")
	mustError(t, h.call("DELETE", "/contacts/nope/companies/"+company, ""), 404, "not_found", "User Not Found")
}
