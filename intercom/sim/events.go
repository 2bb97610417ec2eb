package sim

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/tidwall/gjson"
)

// maxMetadataKeys is how many metadata keys Intercom tracks per event; the
// first ten in send order are kept and the rest silently ignored.
const maxMetadataKeys = 10

func (s *Server) createEvent(_ *http.Request, body gjson.Result) (int, any, *apiError) {
	f, ok := objectFields(body)
	if !ok {
		return 0, nil, errorf(http.StatusBadRequest, "parameter_invalid", "Request body must be a JSON object")
	}
	name, _, e := f.optString("event_name")
	if e != nil {
		return 0, nil, e
	}
	if !nonEmpty(name) {
		return 0, nil, errorf(http.StatusBadRequest, "parameter_not_found", "event_name not specified")
	}
	createdAt, _, e := timestampField(f, "created_at")
	if e != nil {
		return 0, nil, e
	}
	if createdAt == nil {
		// NOTE: created_at is required by the 2.10 schema; older Intercom
		// versions defaulted it to the current time.
		return 0, nil, errorf(http.StatusBadRequest, "parameter_not_found", "created_at not specified")
	}
	metadata, e := parseMetadata(f.values["metadata"])
	if e != nil {
		return 0, nil, e
	}

	ev := event{name: *name, createdAt: *createdAt, metadata: metadata}
	c, e := s.eventContact(f, &ev)
	if e != nil {
		return 0, nil, e
	}
	ev.contactID = c.id

	// Intercom drops duplicates of (contact, event_name, created_at) but
	// still returns 202.
	key := c.id + "\x00" + ev.name + "\x00" + strconv.FormatInt(ev.createdAt, 10)
	if _, dup := s.st.eventKeys[key]; dup {
		return http.StatusAccepted, nil, nil
	}
	s.storeEvent(ev, key)
	return http.StatusAccepted, nil, nil
}

// eventContact finds the event's contact by id, then user_id, then email.
func (s *Server) eventContact(f fields, ev *event) (*contact, *apiError) {
	id, _, e := f.optString("id")
	if e != nil {
		return nil, e
	}
	userID, _, e := f.optString("user_id")
	if e != nil {
		return nil, e
	}
	email, _, e := f.optString("email")
	if e != nil {
		return nil, e
	}
	switch {
	case nonEmpty(id):
		ev.byID = *id
		if c, ok := s.liveContact(*id); ok {
			return c, nil
		}
	case nonEmpty(userID):
		ev.userID = *userID
		if c, ok := s.st.byExternalID[*userID]; ok && !c.archived {
			return c, nil
		}
	case nonEmpty(email):
		ev.email = *email
		for _, c := range s.st.byEmail[s.emailKey(*email)] {
			if !c.archived {
				return c, nil
			}
		}
	default:
		// Simulator wording: the schema needs one of id, user_id, email.
		return nil, errorf(http.StatusBadRequest, "parameter_not_found", "one of id, user_id or email must be specified")
	}
	return nil, errUserNotFound
}

// parseMetadata keeps the first ten keys. Values must be strings, numbers,
// booleans or null, or one of the two object shapes Intercom accepts: a
// rich link {url, value} and a monetary amount {amount, currency}.
func parseMetadata(v gjson.Result) ([]metadataEntry, *apiError) {
	if !v.Exists() || v.Type == gjson.Null {
		return nil, nil
	}
	f, ok := objectFields(v)
	if !ok {
		return nil, typeError("metadata", "an object")
	}
	var out []metadataEntry
	for _, key := range f.order {
		value := f.values[key]
		if value.IsObject() && !isRichLink(value) && !isMonetary(value) {
			// Simulator wording: Intercom documents "no nested JSON".
			return nil, errorf(http.StatusBadRequest, "parameter_invalid", "metadata '%s' is a nested object; only rich links {url, value} and monetary amounts {amount, currency} may be objects", key)
		}
		if value.IsArray() {
			return nil, errorf(http.StatusBadRequest, "parameter_invalid", "metadata '%s' is a list; metadata values must not be lists", key)
		}
		if len(out) < maxMetadataKeys {
			out = append(out, metadataEntry{key: key, value: json.RawMessage(value.Raw)})
		}
	}
	return out, nil
}

func isRichLink(v gjson.Result) bool {
	f, _ := objectFields(v)
	return len(f.order) == 2 && f.values["url"].Type == gjson.String && f.values["value"].Type == gjson.String
}

func isMonetary(v gjson.Result) bool {
	f, _ := objectFields(v)
	return len(f.order) == 2 && f.values["amount"].Type == gjson.Number && f.values["currency"].Type == gjson.String
}

// storeEvent appends ev, evicting the oldest event at the MaxEvents cap.
func (s *Server) storeEvent(ev event, key string) {
	st := s.st
	if st.eventCount() >= s.opts.MaxEvents {
		old := st.events[st.eventStart]
		delete(st.eventKeys, old.contactID+"\x00"+old.name+"\x00"+strconv.FormatInt(old.createdAt, 10))
		st.events[st.eventStart] = event{}
		st.eventStart++
		st.eventsDropped++
		if st.eventStart > len(st.events)/2 {
			st.events = append([]event(nil), st.events[st.eventStart:]...)
			st.eventStart = 0
		}
	}
	st.events = append(st.events, ev)
	st.eventKeys[key] = struct{}{}
}
