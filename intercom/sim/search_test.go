package sim

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestSearchOperators(t *testing.T) {
	h := newHarness(t, Options{})
	ada := h.createContact(`{"email":"ada@example.com","external_id":"u1","name":"Ada Lovelace","owner_id":991267785,"custom_attributes":{"plan":"pro","seats":5,"paid":true}}`)
	bob := h.createContact(`{"email":"bob@sample.org","external_id":"u2","name":"Bob","unsubscribed_from_emails":true,"custom_attributes":{"plan":"free","seats":1,"paid":false}}`)
	lead := h.createContact(`{"role":"lead","email":"lead@example.com"}`)

	tests := []struct {
		name  string
		query string
		want  []string
	}{
		{"email equals, case-insensitive", `{"field":"email","operator":"=","value":"ADA@example.com"}`, []string{ada}},
		{"external_id not equal", `{"field":"external_id","operator":"!=","value":"u1"}`, []string{bob, lead}},
		{"IN", `{"field":"external_id","operator":"IN","value":["u1","u2","zz"]}`, []string{ada, bob}},
		{"NIN", `{"field":"external_id","operator":"NIN","value":["u1"]}`, []string{bob, lead}},
		{"contains", `{"field":"name","operator":"~","value":"Love"}`, []string{ada}},
		{"does not contain", `{"field":"name","operator":"!~","value":"Love"}`, []string{bob, lead}},
		{"starts with", `{"field":"email","operator":"^","value":"bob@"}`, []string{bob}},
		{"ends with", `{"field":"email","operator":"$","value":"example.com"}`, []string{ada, lead}},
		{"email_domain", `{"field":"email_domain","operator":"=","value":"sample.org"}`, []string{bob}},
		{"role", `{"field":"role","operator":"=","value":"lead"}`, []string{lead}},
		{"boolean", `{"field":"unsubscribed_from_emails","operator":"=","value":true}`, []string{bob}},
		{"integer greater", `{"field":"custom_attributes.seats","operator":">","value":1}`, []string{ada}},
		{"integer at most", `{"field":"custom_attributes.seats","operator":"<=","value":5}`, []string{ada, bob}},
		{"custom boolean", `{"field":"custom_attributes.paid","operator":"=","value":false}`, []string{bob}},
		{"null means unset", `{"field":"external_id","operator":"=","value":null}`, []string{lead}},
		{"not null means set", `{"field":"owner_id","operator":"!=","value":null}`, []string{ada}},
		{"OR of two", `{"operator":"OR","value":[{"field":"email","operator":"=","value":"bob@sample.org"},{"field":"external_id","operator":"=","value":"u1"}]}`, []string{ada, bob}},
		{"AND with nested OR", `{"operator":"AND","value":[{"field":"role","operator":"=","value":"user"},{"operator":"OR","value":[{"field":"custom_attributes.plan","operator":"=","value":"free"},{"field":"name","operator":"^","value":"Ada"}]}]}`, []string{ada, bob}},
		{"nothing matches", `{"field":"email","operator":"=","value":"nobody@example.com"}`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := h.searchIDs(tt.query)
			if !slices.Equal(got, tt.want) {
				t.Errorf("search %s = %v, want %v", tt.query, got, tt.want)
			}
		})
	}
}

func TestSearchRejectsInvalidQueries(t *testing.T) {
	h := newHarness(t, Options{})
	filter := `{"field":"email","operator":"=","value":"a@example.com"}`
	sixteen := strings.TrimSuffix(strings.Repeat(filter+",", 16), ",")
	tests := []struct {
		name, body, wantPart string
	}{
		{"three levels of groups", `{"query":{"operator":"AND","value":[{"operator":"OR","value":[{"operator":"AND","value":[` + filter + `]}]}]}}`, "at most 2 levels"},
		{"sixteen filters", `{"query":{"operator":"OR","value":[` + sixteen + `]}}`, "at most 15"},
		{"date with !=", `{"query":{"field":"created_at","operator":"!=","value":1700000000}}`, "not supported for field \"created_at\""},
		{"tag_id with IN", `{"query":{"field":"tag_id","operator":"IN","value":["1"]}}`, "not supported"},
		{"string value for integer field", `{"query":{"field":"owner_id","operator":"=","value":"12"}}`, "needs an integer value"},
		{"IN without list", `{"query":{"field":"email","operator":"IN","value":"a"}}`, "needs a list value"},
		{"unknown field", `{"query":{"field":"shoe_size","operator":"=","value":"9"}}`, "not a searchable contact field"},
		{"undefined custom attribute", `{"query":{"field":"custom_attributes.nope","operator":"=","value":"9"}}`, "not a searchable contact field"},
		{"missing query", `{"pagination":{"per_page":5}}`, "needs a query"},
		{"per_page too large", `{"query":` + filter + `,"pagination":{"per_page":151}}`, "per_page must be between 1 and 150"},
		{"bad cursor", `{"query":` + filter + `,"pagination":{"starting_after":"nope"}}`, "starting_after"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := h.callRaw("POST", "/contacts/search", tt.body)
			mustStatus(t, r, http.StatusBadRequest)
			if msg := r.json("errors.0.message").String(); !strings.Contains(msg, tt.wantPart) {
				t.Errorf("message = %q, want it to contain %q", msg, tt.wantPart)
			}
		})
	}
}

func TestSearchDatesByDay(t *testing.T) {
	h := newHarness(t, Options{})
	day := time.Date(2024, 3, 10, 0, 0, 0, 0, time.UTC)
	morning := h.createContact(fmt.Sprintf(`{"email":"m@example.com","signed_up_at":%d}`, day.Add(8*time.Hour).Unix()))
	evening := h.createContact(fmt.Sprintf(`{"email":"e@example.com","signed_up_at":%d}`, day.Add(23*time.Hour).Unix()))
	nextDay := h.createContact(fmt.Sprintf(`{"email":"n@example.com","signed_up_at":%d}`, day.Add(25*time.Hour).Unix()))
	noon := day.Add(12 * time.Hour).Unix()

	tests := []struct {
		operator string
		want     []string
	}{
		{"=", []string{morning, evening}},
		{">", []string{nextDay}},
		{"<", nil},
	}
	for _, tt := range tests {
		query := fmt.Sprintf(`{"field":"signed_up_at","operator":%q,"value":%d}`, tt.operator, noon)
		if got := h.searchIDs(query); !slices.Equal(got, tt.want) {
			t.Errorf("signed_up_at %s noon = %v, want %v", tt.operator, got, tt.want)
		}
	}
	before := fmt.Sprintf(`{"field":"signed_up_at","operator":"<","value":%d}`, day.Add(30*time.Hour).Unix())
	if got := h.searchIDs(before); !slices.Equal(got, []string{morning, evening}) {
		t.Errorf("signed_up_at < next day = %v, want the two contacts of the day before", got)
	}
}

func TestSearchDatesUseWorkspaceTimeZone(t *testing.T) {
	tokyo := time.FixedZone("UTC+9", 9*3600)
	h := newHarness(t, Options{TimeZone: tokyo})
	// 2024-03-10 20:00 UTC is 2024-03-11 05:00 in UTC+9.
	late := time.Date(2024, 3, 10, 20, 0, 0, 0, time.UTC).Unix()
	id := h.createContact(fmt.Sprintf(`{"email":"t@example.com","last_seen_at":%d}`, late))
	query := fmt.Sprintf(`{"field":"last_seen_at","operator":"=","value":%d}`, time.Date(2024, 3, 11, 1, 0, 0, 0, tokyo).Unix())
	if got := h.searchIDs(query); !slices.Equal(got, []string{id}) {
		t.Errorf("same day in the workspace zone = %v, want %v", got, []string{id})
	}
}

func TestSearchPagination(t *testing.T) {
	h := newHarness(t, Options{})
	var ids []string
	for i := range 7 {
		ids = append(ids, h.createContact(fmt.Sprintf(`{"email":"p%d@example.com","custom_attributes":{"plan":"pro"}}`, i)))
	}
	query := `{"field":"custom_attributes.plan","operator":"=","value":"pro"}`

	var got []string
	cursor := ""
	for page := 1; page <= 4; page++ {
		body := `{"query":` + query + `,"pagination":{"per_page":3`
		if cursor != "" {
			body += `,"starting_after":"` + cursor + `"`
		}
		r := h.call("POST", "/contacts/search", body+`}}`)
		mustStatus(t, r, http.StatusOK)
		if r.json("total_count").Int() != 7 || r.json("pages.total_pages").Int() != 3 || r.json("pages.page").Int() != int64(page) {
			t.Fatalf("page %d: pages = %s, total_count %d", page, r.json("pages").Raw, r.json("total_count").Int())
		}
		for _, c := range r.json("data").Array() {
			got = append(got, c.Get("id").String())
		}
		cursor = r.json("pages.next.starting_after").String()
		if cursor == "" {
			break
		}
	}
	if !slices.Equal(got, ids) {
		t.Errorf("paged ids = %v, want %v", got, ids)
	}
	if cursor != "" {
		t.Errorf("last page still has a next cursor %q", cursor)
	}

	// A starting_after in the query string is ignored: the first page comes back.
	r := h.call("POST", "/contacts/search?starting_after=abc", `{"query":`+query+`,"pagination":{"per_page":3}}`)
	if first := r.json("data.0.id").String(); first != ids[0] {
		t.Errorf("query-string cursor changed the page: first id %q, want %q", first, ids[0])
	}
	if n := len(h.call("POST", "/contacts/search", `{"query":`+query+`}`).json("data").Array()); n != 7 {
		t.Errorf("default page holds %d contacts, want all 7 (default per_page 50)", n)
	}
}

func TestSearchLagAndArchive(t *testing.T) {
	h := newHarness(t, Options{SearchLag: 2 * time.Minute})
	id := h.createContact(`{"email":"new@example.com","external_id":"n1"}`)
	query := `{"field":"external_id","operator":"=","value":"n1"}`

	if got := h.searchIDs(query); len(got) != 0 {
		t.Fatalf("new contact is searchable at once: %v", got)
	}
	mustError(t, h.call("POST", "/contacts", `{"external_id":"n1"}`), 409, "conflict", "A contact matching those details already exists with id="+id)

	h.clock.Advance(2 * time.Minute)
	if got := h.searchIDs(query); !slices.Equal(got, []string{id}) {
		t.Fatalf("after the lag search = %v, want %v", got, []string{id})
	}
	mustStatus(t, h.call("POST", "/contacts/"+id+"/archive", ""), http.StatusOK)
	if got := h.searchIDs(query); len(got) != 0 {
		t.Errorf("archived contact is searchable: %v", got)
	}
}
