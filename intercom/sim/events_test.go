package sim

import (
	"fmt"
	"net/http"
	"slices"
	"testing"
)

func TestEvents(t *testing.T) {
	h := newHarness(t, Options{})
	contact := h.createContact(`{"email":"a@example.com","external_id":"u1"}`)

	r := h.call("POST", "/events", `{"event_name":"ordered","created_at":1700000000,"user_id":"u1","metadata":{"total":12.5,"price":{"amount":3499,"currency":"eur"}}}`)
	mustStatus(t, r, http.StatusAccepted)
	if len(r.body) != 0 {
		t.Errorf("202 body = %q, want empty", r.body)
	}
	// A duplicate (same contact, name and created_at) gets 202 and is not stored.
	mustStatus(t, h.call("POST", "/events", `{"event_name":"ordered","created_at":1700000000,"email":"A@example.com"}`), http.StatusAccepted)
	mustStatus(t, h.call("POST", "/events", `{"event_name":"ordered","created_at":1700000001,"id":"`+contact+`"}`), http.StatusAccepted)

	events := h.sim.Events()
	if len(events) != 2 {
		t.Fatalf("stored %d events, want 2 (one duplicate dropped): %+v", len(events), events)
	}
	if events[0].ContactID != contact || events[0].UserID != "u1" || events[0].Metadata["total"] != 12.5 {
		t.Errorf("first event = %+v", events[0])
	}
	mustError(t, h.call("POST", "/events", `{"event_name":"ordered","created_at":1700000000,"user_id":"ghost"}`), 404, "not_found", "User Not Found")
}

func TestEventMetadataFirstTenKeys(t *testing.T) {
	h := newHarness(t, Options{})
	h.createContact(`{"external_id":"u1"}`)
	metadata := ""
	var want []string
	for i := 12; i >= 1; i-- {
		metadata += fmt.Sprintf(`"k%02d":%d,`, i, i)
		if len(want) < 10 {
			want = append(want, fmt.Sprintf("k%02d", i))
		}
	}
	body := `{"event_name":"e","created_at":1700000000,"user_id":"u1","metadata":{` + metadata[:len(metadata)-1] + `}}`
	mustStatus(t, h.call("POST", "/events", body), http.StatusAccepted)
	got := h.sim.Events()[0].MetadataKeys
	if !slices.Equal(got, want) {
		t.Errorf("kept metadata keys %v, want the first ten in send order %v", got, want)
	}
}

func TestEventValidation(t *testing.T) {
	h := newHarness(t, Options{})
	h.createContact(`{"external_id":"u1"}`)
	tests := []struct {
		name, body, code, message string
	}{
		{"no name", `{"created_at":1,"user_id":"u1"}`, "parameter_not_found", "event_name not specified"},
		{"no time", `{"event_name":"e","user_id":"u1"}`, "parameter_not_found", "created_at not specified"},
		{"milliseconds", `{"event_name":"e","created_at":1700000000000,"user_id":"u1"}`, "parameter_invalid", "created_at must be a Unix timestamp in seconds, not milliseconds"},
		{"no identifier", `{"event_name":"e","created_at":1}`, "parameter_not_found", "one of id, user_id or email must be specified"},
		{"nested metadata", `{"event_name":"e","created_at":1,"user_id":"u1","metadata":{"a":{"b":1}}}`, "parameter_invalid", "metadata 'a' is a nested object; only rich links {url, value} and monetary amounts {amount, currency} may be objects"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mustError(t, h.callRaw("POST", "/events", tt.body), 400, tt.code, tt.message)
		})
	}
}

func TestEventsCapEvictsOldest(t *testing.T) {
	h := newHarness(t, Options{MaxEvents: 2})
	h.createContact(`{"external_id":"u1"}`)
	for i := range 3 {
		mustStatus(t, h.call("POST", "/events", fmt.Sprintf(`{"event_name":"e","created_at":%d,"user_id":"u1"}`, 1700000000+i)), http.StatusAccepted)
	}
	st := h.sim.State()
	if len(st.Events) != 2 || st.Events[0].CreatedAt != 1700000001 || st.EventsEvicted != 1 {
		t.Errorf("events = %+v, evicted %d; want the two newest and one evicted", st.Events, st.EventsEvicted)
	}
	// The evicted event's dedup key is gone, so the same event is stored again.
	mustStatus(t, h.call("POST", "/events", `{"event_name":"e","created_at":1700000000,"user_id":"u1"}`), http.StatusAccepted)
	if last := h.sim.Events()[1]; last.CreatedAt != 1700000000 {
		t.Errorf("re-sent evicted event not stored; newest = %+v", last)
	}
}
