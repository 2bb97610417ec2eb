package sim

import (
	"net/http"
	"slices"
	"testing"
)

func TestTags(t *testing.T) {
	h := newHarness(t, Options{})
	contact := h.createContact(`{"external_id":"u1"}`)
	company := h.createCompany(`{"company_id":"c1"}`)

	r := h.call("POST", "/tags", `{"name":"VIP","companies":[{"id":"`+company+`"}]}`)
	mustStatus(t, r, http.StatusOK)
	tagID := r.json("id").String()
	if r.json("type").String() != "tag" || r.json("name").String() != "VIP" {
		t.Errorf("tag body = %s", r.body)
	}
	// Names are case-insensitive: the same tag is reused.
	same := h.call("POST", "/tags", `{"name":"vip","users":[{"id":"`+contact+`"}]}`)
	if same.json("id").String() != tagID {
		t.Errorf("tag vip got id %q, want the id of VIP %q", same.json("id").String(), tagID)
	}
	byCompanyID := h.call("POST", "/tags", `{"name":"Gold","companies":[{"company_id":"c1"}]}`)
	mustStatus(t, byCompanyID, http.StatusOK)

	tags := h.sim.Tags()
	if len(tags) != 2 || !slices.Equal(tags[0].CompanyIDs, []string{company}) || !slices.Equal(tags[0].ContactIDs, []string{contact}) {
		t.Fatalf("tags = %+v", tags)
	}
	got := h.call("GET", "/companies/"+company, "")
	if got.json("tags.tags.#").Int() != 2 {
		t.Errorf("company tags = %s, want 2", got.json("tags").Raw)
	}

	mustStatus(t, h.call("POST", "/tags", `{"name":"VIP","companies":[{"id":"`+company+`","untag":true}]}`), http.StatusOK)
	if ids := h.sim.Tags()[0].CompanyIDs; len(ids) != 0 {
		t.Errorf("after untag company ids = %v, want none", ids)
	}

	mustError(t, h.call("POST", "/tags", `{"name":"x","companies":[{"id":"missing"}]}`), 404, "company_not_found", "Company Not Found")
	mustError(t, h.call("POST", "/tags", `{"name":"x","users":[{"id":"missing"}]}`), 404, "not_found", "User Not Found")
	mustError(t, h.call("POST", "/tags", `{"name":"x","users":[{"id":"`+contact+`"}],"companies":[{"id":"`+company+`"}]}`), 400, "parameter_invalid", "invalid tag parameters")
	if n := len(h.sim.Tags()); n != 2 {
		t.Errorf("failed tag requests created tags: %d, want 2", n)
	}
}
