package sim

import (
	"fmt"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/intercom-gateway/gateway/internal/conformance"
	"github.com/tidwall/gjson"
)

// TestConformanceReplay replays each conformance case's calls against a
// fresh simulator and compares the simulator's responses with the Intercom
// responses recorded in the case.
//
// Assumed format: the project's conformance case files (internal/conformance).
// "expect" lists the calls in order with their bodies, and "mocks" pairs a
// method and URL with the recorded response. A call takes the first unused
// mock of the same method and path, and calls without one are skipped.
//
// The simulator's state is rebuilt from the case, lazily before each call:
// custom attributes of accepted writes are defined, a recorded 409 creates
// the conflicting contact (archived for the archived variant), a recorded
// 2xx on /contacts/{id} creates that contact from the response, and a
// recorded 202 event creates its user. Recorded ids are mapped to the
// simulator's ids in later paths and bodies.
//
// Compared: the status, then for error.list responses the first error's
// code and message with "id=<id>" masked, and for other responses the "type". The one
// allowed difference: a recorded 401 with "Custom attribute '<x>' does not
// exist" matches the simulator's 400, which is Intercom's real status.
func TestConformanceReplay(t *testing.T) {
	dir := conformance.Dir("../..")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("no conformance cases at %s (set %s to a folder of cases)", dir, conformance.EnvDir)
	}
	cases, err := conformance.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		t.Run(c.ID, func(t *testing.T) { newReplay(t).run(c) })
	}
}

type replay struct {
	t   *testing.T
	h   *harness
	ids map[string]string
}

func newReplay(t *testing.T) *replay {
	return &replay{t: t, h: newHarness(t, Options{DataAttributes: []DataAttributeSeed{}}), ids: map[string]string{}}
}

func (r *replay) run(c conformance.Case) {
	used := make([]bool, len(c.Mocks))
	for i, call := range c.Expect {
		mock, ok := takeMock(c.Mocks, used, call)
		if !ok {
			r.t.Logf("call %d %s %s has no recorded response; skipped", i, call.Method, call.Path)
			continue
		}
		r.prepare(call, mock)
		path, body := r.mapIDs(call.Path), r.mapIDs(string(call.Body))
		if body == "null" {
			body = ""
		}
		got := r.h.callRaw(call.Method, path, body)
		if diff := compareResponse(mock, got); diff != "" {
			r.t.Errorf("call %d %s %s: %s", i, call.Method, call.Path, diff)
		}
		r.learn(gjson.GetBytes(mock.Body, "id").String(), got.json("id").String())
	}
}

func takeMock(mocks []conformance.Mock, used []bool, call conformance.Call) (conformance.Mock, bool) {
	for j, m := range mocks {
		if !used[j] && m.Request.Method == call.Method && m.Request.Path == call.Path {
			used[j] = true
			return m, true
		}
	}
	return conformance.Mock{}, false
}

func (r *replay) learn(recorded, simulated string) {
	if recorded != "" && simulated != "" {
		r.ids[recorded] = simulated
	}
}

func (r *replay) mapIDs(s string) string {
	for recorded, simulated := range r.ids {
		s = strings.ReplaceAll(s, recorded, simulated)
	}
	return s
}

var conflictID = regexp.MustCompile(`with id=([A-Za-z0-9_-]+)`)

// prepare creates the state the recorded response implies.
func (r *replay) prepare(call conformance.Call, mock conformance.Mock) {
	ok := mock.Status >= 200 && mock.Status < 300
	model := ""
	switch {
	case strings.HasPrefix(call.Path, "/contacts") && !strings.HasPrefix(call.Path, "/contacts/search"):
		model = "contact"
	case strings.HasPrefix(call.Path, "/companies"):
		model = "company"
	}
	if ok && model != "" {
		r.defineAttributes(model, gjson.GetBytes(call.Body, "custom_attributes"))
	}

	message := gjson.GetBytes(mock.Body, "errors.0.message").String()
	if m := conflictID.FindStringSubmatch(message); mock.Status == http.StatusConflict && m != nil {
		if _, known := r.ids[m[1]]; !known {
			id := r.seedContact(gjson.GetBytes(call.Body, "external_id").String(), gjson.GetBytes(call.Body, "email").String())
			if strings.HasPrefix(message, "An archived contact") {
				r.h.callRaw("POST", "/contacts/"+id+"/archive", "")
			}
			r.ids[m[1]] = id
		}
	}

	parts := strings.Split(strings.Trim(call.Path, "/"), "/")
	if ok && len(parts) >= 2 && parts[0] == "contacts" && parts[1] != "search" {
		if _, known := r.ids[parts[1]]; !known {
			recorded := gjson.ParseBytes(mock.Body)
			r.ids[parts[1]] = r.seedContact(recorded.Get("external_id").String(), recorded.Get("email").String())
		}
	}

	if ok && call.Path == "/events" {
		userID := gjson.GetBytes(call.Body, "user_id").String()
		if _, exists := r.h.sim.ContactByExternalID(userID); userID != "" && !exists {
			r.seedContact(userID, "")
		}
	}
}

// seedContact creates a contact with the given identifiers and returns its id.
func (r *replay) seedContact(externalID, email string) string {
	body := `{"role":"user"`
	if externalID != "" {
		body += fmt.Sprintf(`,"external_id":%q`, externalID)
	}
	if email != "" {
		body += fmt.Sprintf(`,"email":%q`, email)
	}
	got := r.h.callRaw("POST", "/contacts", body+"}")
	if got.status != http.StatusOK {
		r.t.Fatalf("seed contact %s: %d %s", body, got.status, got.body)
	}
	return got.json("id").String()
}

// defineAttributes defines each custom attribute directly in the store,
// because recorded responses may accept names the simulator's create
// validation rejects.
func (r *replay) defineAttributes(model string, object gjson.Result) {
	s := r.h.sim
	s.mu.Lock()
	defer s.mu.Unlock()
	object.ForEach(func(key, value gjson.Result) bool {
		if s.st.customAttribute(model, key.String()) != nil {
			return true
		}
		dataType := "string"
		switch value.Type {
		case gjson.Number:
			dataType = "float"
		case gjson.True, gjson.False:
			dataType = "boolean"
		}
		s.st.attributes = append(s.st.attributes, &dataAttribute{id: s.st.nextAttributes, model: model, name: key.String(), label: key.String(), dataType: dataType, custom: true})
		s.st.nextAttributes++
		return true
	})
}

func compareResponse(mock conformance.Mock, got reply) string {
	recorded := gjson.ParseBytes(mock.Body)
	message := recorded.Get("errors.0.message").String()
	undefinedAttribute := strings.HasPrefix(message, "Custom attribute '") && strings.HasSuffix(message, "' does not exist")
	switch {
	case mock.Status == got.status:
	case mock.Status == http.StatusUnauthorized && got.status == http.StatusBadRequest && undefinedAttribute:
	default:
		return fmt.Sprintf("status %d, recorded %d (simulator body %.300s)", got.status, mock.Status, got.body)
	}
	if recorded.Get("type").String() != "error.list" {
		if want, have := recorded.Get("type").String(), got.json("type").String(); want != "" && want != have {
			return fmt.Sprintf("type %q, recorded %q", have, want)
		}
		return ""
	}
	if want, have := recorded.Get("errors.0.code").String(), got.json("errors.0.code").String(); want != have {
		return fmt.Sprintf("error code %q, recorded %q", have, want)
	}
	mask := func(s string) string { return conflictID.ReplaceAllString(s, "with id=<id>") }
	if want, have := mask(message), mask(got.json("errors.0.message").String()); want != have {
		return fmt.Sprintf("error message %q, recorded %q", have, want)
	}
	return ""
}
