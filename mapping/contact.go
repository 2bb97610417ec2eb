package mapping

import (
	"strings"

	"github.com/tidwall/gjson"
)

// contactKey is the set of identifiers that find the event's contact in Intercom.
type contactKey struct {
	// externalID is the user id, or the anonymousId with sendAnonymousId.
	externalID string
	email      string
	lookup     string
	// lookupValue is the lookup field's value; it may be missing.
	lookupValue gjson.Result
}

// readContactKey reads the contact identifiers of a standard (not
// reverse-ETL) event.
func (s *step) readContactKey(traits []field) contactKey {
	k := contactKey{lookup: lookupName(s.ev)}
	if id, ok := scalarString(first(s.ev, userIDPaths)); ok {
		k.externalID = id
	}
	if k.externalID == "" && s.settings.SendAnonymousID {
		if id, ok := scalarString(s.ev.top.get("anonymousId")); ok {
			k.externalID = id
		}
	}
	if email := first(s.ev, emailPaths); email.Type == gjson.String {
		k.email = strings.TrimSpace(email.Str)
	}
	k.lookupValue = lookupValue(s.ev, k.lookup, traits)
	return k
}

// condition is one search filter.
type condition struct {
	field string
	// value is raw JSON.
	value string
}

// searchConditions returns the filters that find the contact: the lookup
// field's value and, unless the lookup is the external_id itself, the
// external_id. Values that are not strings, numbers or booleans are left
// out, and so are duplicates.
func (k contactKey) searchConditions() []condition {
	var conds []condition
	field := searchField(k.lookup)
	v := k.lookupValue
	switch v.Type {
	case gjson.String:
		value := v.Str
		if field == "email" {
			value = strings.ToLower(strings.TrimSpace(value))
		}
		if value != "" {
			conds = append(conds, condition{field, string(appendQuoted(nil, value))})
		}
	case gjson.Number, gjson.True, gjson.False:
		conds = append(conds, condition{field, v.Raw})
	}
	if k.externalID != "" {
		c := condition{"external_id", string(appendQuoted(nil, k.externalID))}
		if len(conds) == 0 || conds[0] != c {
			conds = append(conds, c)
		}
	}
	return conds
}

// writeSearch writes a POST /contacts/search request for the conditions:
// one condition alone under AND, several joined with OR.
func (s *step) writeSearch(conds []condition) {
	fields := make([]string, len(conds))
	for i, c := range conds {
		fields[i] = c.field
	}
	s.beginRequest("POST", "/contacts/search", "find an existing contact by "+strings.Join(fields, " or "))
	w := &s.out
	w.key("body")
	w.openObject()
	w.key("query")
	w.openObject()
	if len(conds) == 1 {
		w.strField("operator", "AND")
	} else {
		w.strField("operator", "OR")
	}
	w.key("value")
	w.openArray()
	for _, c := range conds {
		w.openObject()
		w.strField("field", c.field)
		w.strField("operator", "=")
		w.rawField("value", c.value)
		w.closeObject()
	}
	w.closeArray()
	w.closeObject()
	w.closeObject()
	s.endRequest()
}

// chooseContact picks the contact to update from a search answer. A contact
// whose external_id equals ours wins. Otherwise a contact found by another
// field is used when its external_id is empty or we send none, so a
// different external_id is never overwritten. An answer whose data is not
// a list means no contact was found.
func (k contactKey) chooseContact(answer gjson.Result) string {
	data := answer.Get("data")
	if !data.IsArray() {
		return ""
	}
	var byExternalID, byOther string
	data.ForEach(func(_, c gjson.Result) bool {
		id, ok := scalarString(c.Get("id"))
		if !ok || id == "" {
			return true
		}
		theirs, _ := scalarString(c.Get("external_id"))
		switch {
		case k.externalID != "" && theirs == k.externalID:
			byExternalID = id
			return false
		case byOther == "" && (theirs == "" || k.externalID == ""):
			byOther = id
		}
		return true
	})
	if byExternalID != "" {
		return byExternalID
	}
	return byOther
}
