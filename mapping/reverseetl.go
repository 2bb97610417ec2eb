package mapping

import (
	"strings"

	"github.com/tidwall/gjson"
)

// Reverse-ETL events (context.mappedToDestination: true) come from a
// warehouse sync whose traits already use Intercom's field names, so the
// mapping sends them as given.

// reverseETLExternalID is context.externalId[0].id, the record's id.
func (s *step) reverseETLExternalID() string {
	id, _ := scalarString(s.ev.context.get("externalId").Get("0.id"))
	return id
}

// reverseETLContactKey searches by email when the traits have one (with the
// external_id as a second condition), else by external_id alone.
func (s *step) reverseETLContactKey() contactKey {
	traits := s.ev.traits.raw
	k := contactKey{lookup: "email"}
	if email := traits.Get("email"); email.Type == gjson.String {
		k.email = strings.TrimSpace(email.Str)
	}
	if id, ok := scalarString(traits.Get("external_id")); ok && id != "" {
		k.externalID = id
	} else if k.email == "" {
		k.externalID = s.reverseETLExternalID()
	}
	if k.email != "" {
		k.lookupValue = traits.Get("email")
	}
	return k
}

// writeReverseETLContact writes the traits as the contact body, adding the
// external_id from context.externalId when the traits have neither an email
// nor an external_id.
func (s *step) writeReverseETLContact(key contactKey) error {
	w := &s.out
	w.openObject()
	hasExternalID := false
	for _, f := range s.ev.traits.fields {
		if f.key == "external_id" {
			hasExternalID = true
		}
		w.rawField(f.key, f.value.Raw)
	}
	if !hasExternalID && key.email == "" && key.externalID != "" {
		w.strField("external_id", key.externalID)
	}
	w.closeObject()
	return nil
}
