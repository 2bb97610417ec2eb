package migrate

import (
	"context"
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"github.com/tidwall/gjson"

	"github.com/intercom-gateway/gateway/mapping"
)

// dryRunWorkspace answers the plugin's requests the way an Intercom
// workspace would if it started empty: searches find only the contacts
// that earlier events of the sample created, writes succeed with an id,
// events are accepted. It never sends anything over the network, and it
// accepts every custom attribute, because the check judges them itself.
type dryRunWorkspace struct {
	mu        sync.Mutex
	contacts  []dryRunContact
	companies map[string]string // company_id → Intercom id
	next      int
}

type dryRunContact struct {
	ID         string `json:"id"`
	Type       string `json:"type"`
	ExternalID string `json:"external_id,omitempty"`
	Email      string `json:"email,omitempty"`
	Role       string `json:"role"`
}

func newDryRunWorkspace() *dryRunWorkspace {
	return &dryRunWorkspace{companies: map[string]string{}}
}

// Send implements host.Sender.
func (w *dryRunWorkspace) Send(_ context.Context, req mapping.Request) (mapping.Response, error) {
	w.mu.Lock()
	defer w.mu.Unlock()

	path, query, _ := strings.Cut(req.Path, "?")
	segments := strings.Split(strings.Trim(path, "/"), "/")
	body := gjson.ParseBytes(req.Body)

	switch {
	case req.Method == "POST" && path == "/contacts/search":
		return w.search(body), nil
	case req.Method == "POST" && path == "/contacts":
		return w.createContact(body), nil
	case req.Method == "PUT" && len(segments) == 2 && segments[0] == "contacts":
		return w.updateContact(segments[1], body), nil
	case req.Method == "POST" && len(segments) == 3 && segments[0] == "contacts" && segments[2] == "unarchive":
		return jsonResponse(200, dryRunContact{ID: segments[1], Type: "contact", Role: "user"}), nil
	case req.Method == "POST" && path == "/companies":
		return w.upsertCompany(body), nil
	case req.Method == "GET" && path == "/companies":
		return w.findCompany(query), nil
	case len(segments) >= 3 && segments[0] == "contacts" && segments[2] == "companies":
		// Attach (POST) and detach (DELETE) both return the company.
		id := body.Get("id").String()
		if len(segments) == 4 {
			id = segments[3]
		}
		return jsonResponse(200, map[string]string{"type": "company", "id": id}), nil
	case req.Method == "POST" && path == "/events":
		return mapping.Response{Status: 202}, nil
	case req.Method == "POST" && path == "/tags":
		return jsonResponse(200, map[string]string{"type": "tag", "id": w.newID("tag"), "name": body.Get("name").String()}), nil
	}
	return errorResponse(404, "not_found", "the migration check's dry run does not answer "+req.Method+" "+path), nil
}

// search returns the contacts whose external_id or email equals a value of
// any condition of the query. It reads the conditions as data and ignores
// the operators, which is enough for the equality searches the mapping
// plans.
func (w *dryRunWorkspace) search(body gjson.Result) mapping.Response {
	externalIDs, emails := map[string]bool{}, map[string]bool{}
	collectConditions(body.Get("query"), externalIDs, emails, 0)
	found := []dryRunContact{}
	for _, c := range w.contacts {
		if (c.ExternalID != "" && externalIDs[c.ExternalID]) || (c.Email != "" && emails[strings.ToLower(c.Email)]) {
			found = append(found, c)
		}
	}
	return jsonResponse(200, map[string]any{"type": "list", "data": found, "total_count": len(found)})
}

// collectConditions walks a search query: a condition has a field and a
// value, and a group's value is a list of conditions.
func collectConditions(q gjson.Result, externalIDs, emails map[string]bool, depth int) {
	if depth > 8 {
		return
	}
	value := q.Get("value")
	if value.IsArray() {
		value.ForEach(func(_, sub gjson.Result) bool {
			collectConditions(sub, externalIDs, emails, depth+1)
			return true
		})
		return
	}
	switch q.Get("field").String() {
	case "external_id":
		externalIDs[value.String()] = true
	case "email":
		emails[strings.ToLower(value.String())] = true
	}
}

func (w *dryRunWorkspace) createContact(body gjson.Result) mapping.Response {
	c := dryRunContact{
		ID:         w.newID("contact"),
		Type:       "contact",
		ExternalID: body.Get("external_id").String(),
		Email:      body.Get("email").String(),
		Role:       "user",
	}
	w.contacts = append(w.contacts, c)
	return jsonResponse(200, c)
}

func (w *dryRunWorkspace) updateContact(escapedID string, body gjson.Result) mapping.Response {
	id, err := url.PathUnescape(escapedID)
	if err != nil {
		id = escapedID
	}
	for i := range w.contacts {
		if w.contacts[i].ID != id {
			continue
		}
		if v := body.Get("external_id"); v.Type == gjson.String {
			w.contacts[i].ExternalID = v.Str
		}
		if v := body.Get("email"); v.Type == gjson.String {
			w.contacts[i].Email = v.Str
		}
		return jsonResponse(200, w.contacts[i])
	}
	return jsonResponse(200, dryRunContact{ID: id, Type: "contact", Role: "user"})
}

// upsertCompany creates the company or returns the one with the same
// company_id, as POST /companies does.
func (w *dryRunWorkspace) upsertCompany(body gjson.Result) mapping.Response {
	companyID := body.Get("company_id").String()
	id, ok := w.companies[companyID]
	if !ok {
		id = w.newID("company")
		w.companies[companyID] = id
	}
	return jsonResponse(200, map[string]string{"type": "company", "id": id, "company_id": companyID})
}

func (w *dryRunWorkspace) findCompany(query string) mapping.Response {
	values, _ := url.ParseQuery(query)
	if id, ok := w.companies[values.Get("company_id")]; ok && values.Get("company_id") != "" {
		return jsonResponse(200, map[string]string{"type": "company", "id": id, "company_id": values.Get("company_id")})
	}
	return errorResponse(404, "company_not_found", "Company Not Found")
}

func (w *dryRunWorkspace) newID(kind string) string {
	w.next++
	return "dryrun-" + kind + "-" + strconv.Itoa(w.next)
}

func jsonResponse(status int, v any) mapping.Response {
	body, err := json.Marshal(v)
	if err != nil {
		return errorResponse(500, "server_error", "the dry run could not encode its response: "+err.Error())
	}
	return mapping.Response{Status: status, Body: body}
}

func errorResponse(status int, code, message string) mapping.Response {
	body, _ := json.Marshal(map[string]any{
		"type":       "error.list",
		"request_id": nil,
		"errors":     []map[string]string{{"code": code, "message": message}},
	})
	return mapping.Response{Status: status, Body: body}
}
