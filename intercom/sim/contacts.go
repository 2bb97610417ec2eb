package sim

import (
	"encoding/json"
	"net/http"
	"slices"

	"github.com/tidwall/gjson"
)

// maxSecondsTimestamp separates Unix seconds from milliseconds: a larger
// value is read as milliseconds and rejected, as Intercom's 2026 validation
// does. 10^11 seconds is in the year 5138.
const maxSecondsTimestamp = 100_000_000_000

// contactInput is the validated body of a contact create or update. Each
// *Set flag reports whether the key was present (a present null clears).
type contactInput struct {
	role                                   *string
	externalID, email, phone, name, avatar *string
	externalIDSet, emailSet                bool
	phoneSet, nameSet, avatarSet           bool
	signedUpAt, lastSeenAt, ownerID        *int64
	signedUpAtSet, lastSeenAtSet           bool
	ownerIDSet                             bool
	unsubscribed                           *bool
	custom                                 []customEntry
}

type customEntry struct {
	name  string
	value json.RawMessage // nil for null, which removes the attribute
}

func (s *Server) parseContactInput(body gjson.Result) (contactInput, *apiError) {
	var in contactInput
	f, ok := objectFields(body)
	if !ok {
		return in, errorf(http.StatusBadRequest, "parameter_invalid", "Request body must be a JSON object")
	}
	var e *apiError
	if in.role, _, e = f.optString("role"); e != nil {
		return in, e
	}
	if in.role != nil && *in.role != "user" && *in.role != "lead" {
		return in, errorf(http.StatusBadRequest, "parameter_invalid", "role must be either user or lead")
	}
	if in.externalID, in.externalIDSet, e = f.optString("external_id"); e != nil {
		return in, e
	}
	if in.email, in.emailSet, e = f.optString("email"); e != nil {
		return in, e
	}
	if in.phone, in.phoneSet, e = f.optString("phone"); e != nil {
		return in, e
	}
	if in.name, in.nameSet, e = f.optString("name"); e != nil {
		return in, e
	}
	if in.avatar, in.avatarSet, e = f.optString("avatar"); e != nil {
		return in, e
	}
	if in.signedUpAt, in.signedUpAtSet, e = timestampField(f, "signed_up_at"); e != nil {
		return in, e
	}
	if in.lastSeenAt, in.lastSeenAtSet, e = timestampField(f, "last_seen_at"); e != nil {
		return in, e
	}
	if in.ownerID, in.ownerIDSet, e = f.optInt("owner_id", false); e != nil {
		return in, e
	}
	if in.ownerID != nil && !slices.Contains(s.opts.AdminIDs, *in.ownerID) {
		return in, errorf(http.StatusBadRequest, "parameter_invalid", "The owner specified is not a member of the workspace")
	}
	if in.unsubscribed, _, e = f.optBool("unsubscribed_from_emails"); e != nil {
		return in, e
	}
	if v, ok := f.values["custom_attributes"]; ok {
		if in.custom, e = s.parseCustom("contact", v); e != nil {
			return in, e
		}
	}
	return in, nil
}

// timestampField reads a Unix-seconds field; milliseconds are rejected.
func timestampField(f fields, key string) (*int64, bool, *apiError) {
	v, set, e := f.optInt(key, false)
	if e != nil {
		return nil, set, e
	}
	if v != nil && (*v >= maxSecondsTimestamp || *v <= -maxSecondsTimestamp) {
		// Simulator wording for Intercom's seconds-only validation.
		return nil, set, errorf(http.StatusBadRequest, "parameter_invalid", "%s must be a Unix timestamp in seconds, not milliseconds", key)
	}
	return v, set, nil
}

// parseCustom validates a custom_attributes object against the defined
// attributes of model. The first undefined name, in body order, rejects the
// whole write with Intercom's documented message.
func (s *Server) parseCustom(model string, v gjson.Result) ([]customEntry, *apiError) {
	if v.Type == gjson.Null {
		return nil, nil
	}
	f, ok := objectFields(v)
	if !ok {
		return nil, typeError("custom_attributes", "an object")
	}
	entries := make([]customEntry, 0, len(f.order))
	for _, name := range f.order {
		if s.st.customAttribute(model, name) == nil {
			return nil, errorf(http.StatusBadRequest, "parameter_invalid", "Custom attribute '%s' does not exist", name)
		}
		value := f.values[name]
		switch value.Type {
		case gjson.Null:
			entries = append(entries, customEntry{name: name})
		case gjson.String, gjson.Number, gjson.True, gjson.False:
			entries = append(entries, customEntry{name: name, value: json.RawMessage(value.Raw)})
		default:
			// NOTE: Intercom rejects nested values; this message is simulator wording.
			return nil, errorf(http.StatusBadRequest, "parameter_invalid", "Custom attribute '%s' must be a string, number, boolean or null", name)
		}
	}
	return entries, nil
}

func applyCustom(dst map[string]json.RawMessage, entries []customEntry) map[string]json.RawMessage {
	if dst == nil {
		dst = map[string]json.RawMessage{}
	}
	for _, e := range entries {
		if e.value == nil {
			delete(dst, e.name)
			continue
		}
		dst[e.name] = e.value
	}
	return dst
}

// conflictWith returns the 409 Intercom sends for a duplicate of other.
func conflictWith(other *contact) *apiError {
	if other.archived {
		return errorf(http.StatusConflict, "conflict", "An archived contact matching those details already exists with id=%s", other.id)
	}
	return errorf(http.StatusConflict, "conflict", "A contact matching those details already exists with id=%s", other.id)
}

// findConflict applies Intercom's uniqueness rules to the contact self
// would become (self is nil on create): external_id is unique in the
// workspace, and a user's email is unique among users unless both users
// have different external ids.
func (s *Server) findConflict(self *contact, role string, externalID, email *string) *apiError {
	if nonEmpty(externalID) {
		if other, ok := s.st.byExternalID[*externalID]; ok && other != self {
			return conflictWith(other)
		}
	}
	if role != "user" || !nonEmpty(email) {
		return nil
	}
	for _, other := range s.st.byEmail[s.emailKey(*email)] {
		if other == self || other.role != "user" {
			continue
		}
		if !nonEmpty(other.externalID) || !nonEmpty(externalID) || *other.externalID == *externalID {
			return conflictWith(other)
		}
	}
	return nil
}

func nonEmpty(p *string) bool { return p != nil && *p != "" }

func (s *Server) createContact(_ *http.Request, body gjson.Result) (int, any, *apiError) {
	in, e := s.parseContactInput(body)
	if e != nil {
		return 0, nil, e
	}
	if !nonEmpty(in.email) && !nonEmpty(in.externalID) && in.role == nil {
		// Simulator wording: the OpenAPI file requires one of the three.
		return 0, nil, errorf(http.StatusBadRequest, "parameter_invalid", "A contact needs an email, external_id or role")
	}
	role := "user"
	if in.role != nil {
		role = *in.role
	}
	if e := s.findConflict(nil, role, in.externalID, in.email); e != nil {
		return 0, nil, e
	}
	if len(s.st.contacts) >= s.opts.MaxContacts {
		return 0, nil, capacityError("contacts", s.opts.MaxContacts)
	}

	now := s.now()
	c := &contact{
		seq: s.st.nextSeq(), id: s.ids.objectID(), role: role,
		createdAt: now.Unix(), updatedAt: now.Unix(),
		searchableAt: now.Add(s.opts.SearchLag),
	}
	s.applyContactInput(c, in)
	s.st.contacts[c.id] = c
	s.st.contactOrder = append(s.st.contactOrder, c)
	return http.StatusOK, s.contactView(c), nil
}

// applyContactInput writes in's fields to c and keeps the indexes current.
func (s *Server) applyContactInput(c *contact, in contactInput) {
	if in.role != nil {
		c.role = *in.role
	}
	if in.externalIDSet {
		if nonEmpty(c.externalID) && s.st.byExternalID[*c.externalID] == c {
			delete(s.st.byExternalID, *c.externalID)
		}
		c.externalID = clonePtr(in.externalID)
		if nonEmpty(c.externalID) {
			s.st.byExternalID[*c.externalID] = c
		}
	}
	if in.emailSet {
		s.unindexEmail(c)
		c.email = clonePtr(in.email)
		s.indexEmail(c)
	}
	if in.phoneSet {
		c.phone = clonePtr(in.phone)
	}
	if in.nameSet {
		c.name = clonePtr(in.name)
	}
	if in.avatarSet {
		c.avatar = clonePtr(in.avatar)
	}
	if in.signedUpAtSet {
		c.signedUpAt = clonePtr(in.signedUpAt)
	}
	if in.lastSeenAtSet {
		c.lastSeenAt = clonePtr(in.lastSeenAt)
	}
	if in.ownerIDSet {
		c.ownerID = clonePtr(in.ownerID)
	}
	if in.unsubscribed != nil {
		c.unsubscribed = *in.unsubscribed
	}
	if len(in.custom) > 0 {
		c.custom = applyCustom(c.custom, in.custom)
	}
}

// liveContact returns the unarchived contact with the given Intercom id.
func (s *Server) liveContact(id string) (*contact, bool) {
	c, ok := s.st.contacts[id]
	if !ok || c.archived {
		return nil, false
	}
	return c, true
}

func (s *Server) updateContact(r *http.Request, body gjson.Result) (int, any, *apiError) {
	c, ok := s.liveContact(r.PathValue("id"))
	if !ok {
		return 0, nil, errContactNotFound
	}
	in, e := s.parseContactInput(body)
	if e != nil {
		return 0, nil, e
	}
	if in.role != nil && c.role == "user" && *in.role == "lead" {
		return 0, nil, errorf(http.StatusBadRequest, "client_error", "Contact with user role can't be converted to a lead")
	}
	role, externalID, email := c.role, c.externalID, c.email
	if in.role != nil {
		role = *in.role
	}
	if in.externalIDSet {
		externalID = in.externalID
	}
	if in.emailSet {
		email = in.email
	}
	if e := s.findConflict(c, role, externalID, email); e != nil {
		return 0, nil, e
	}
	s.applyContactInput(c, in)
	c.updatedAt = s.now().Unix()
	return http.StatusOK, s.contactView(c), nil
}

func (s *Server) getContact(r *http.Request, _ gjson.Result) (int, any, *apiError) {
	c, ok := s.liveContact(r.PathValue("id"))
	if !ok {
		return 0, nil, errContactNotFound
	}
	return http.StatusOK, s.contactView(c), nil
}

type archivedView struct {
	Type       string  `json:"type"`
	ID         string  `json:"id"`
	ExternalID *string `json:"external_id"`
	Archived   bool    `json:"archived"`
}

func (s *Server) archiveContact(r *http.Request, _ gjson.Result) (int, any, *apiError) {
	return s.setArchived(r.PathValue("id"), true)
}

func (s *Server) unarchiveContact(r *http.Request, _ gjson.Result) (int, any, *apiError) {
	return s.setArchived(r.PathValue("id"), false)
}

func (s *Server) setArchived(id string, archived bool) (int, any, *apiError) {
	c, ok := s.st.contacts[id]
	if !ok {
		return 0, nil, errContactNotFound
	}
	if c.archived != archived {
		c.archived = archived
		c.updatedAt = s.now().Unix()
	}
	return http.StatusOK, archivedView{Type: "contact", ID: c.id, ExternalID: clonePtr(c.externalID), Archived: c.archived}, nil
}

// capacityError is the simulator's own error when a state cap is reached.
func capacityError(kind string, limit int) *apiError {
	return errorf(http.StatusUnprocessableEntity, "sim_capacity_reached", "simulator capacity of %d %s reached; raise the cap in the simulator options", limit, kind)
}
