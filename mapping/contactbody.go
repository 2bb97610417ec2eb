package mapping

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/tidwall/gjson"
)

// isReservedContactTrait reports whether an identify trait maps to a
// standard contact field (or to the company) rather than to a custom
// attribute.
func isReservedContactTrait(name string) bool {
	switch name {
	case "userId", "role", "email", "phone", "name", "avatar", "company",
		"ownerId", "firstName", "firstname", "first_name", "lastName",
		"lastname", "last_name", "createdAt", "timestamp", "lastSeenAt",
		"originalTimestamp", "unsubscribedFromEmails":
		return true
	}
	return false
}

// isConsumedTrait reports whether a trait outside the reserved names was
// read into a standard field (traits.id as the user id, avatarURL as the
// avatar), so it is not sent a second time as a custom attribute.
func isConsumedTrait(ev *eventView, name string) bool {
	switch name {
	case "id":
		path, _ := firstPath(ev, userIDPaths)
		return path.key == "id" && path.section != sectionTop
	case "avatarURL", "avatar_URL":
		return true
	}
	return false
}

// writeContactBody writes the JSON body of a contact create or update for a
// standard identify. It returns warnings for values it dropped, and an error
// when the custom attributes cannot be flattened.
func writeContactBody(w *jsonWriter, ev *eventView, traits []field, key contactKey, settings Settings) ([]string, error) {
	var warnings []string
	w.openObject()
	if key.externalID != "" {
		w.strField("external_id", key.externalID)
	}
	if key.email != "" {
		w.strField("email", key.email)
	}
	if phone, ok := scalarString(first(ev, phonePaths)); ok {
		w.strField("phone", phone)
	}
	if avatar := first(ev, avatarPaths); avatar.Type == gjson.String {
		w.strField("avatar", avatar.Str)
	}
	if name := contactName(ev, traits); name != "" {
		w.strField("name", name)
	}

	warnings = writeTimestamp(w, "signed_up_at", traitValue(traits, "createdAt"), "createdAt", warnings)
	warnings = writeTimestamp(w, "last_seen_at", first(ev, lastSeenPaths), "lastSeenAt", warnings)

	if role := traitValue(traits, "role"); role.Type == gjson.String && role.Str != "" {
		w.strField("role", role.Str)
	}
	if owner := traitValue(traits, "ownerId"); hasValue(owner) {
		if id, ok := integerValue(owner); ok {
			w.intField("owner_id", id)
		} else {
			warnings = append(warnings, fmt.Sprintf("ownerId %s is not a number, so owner_id was not sent", excerpt(owner.Raw)))
		}
	}
	if unsub := traitValue(traits, "unsubscribedFromEmails"); unsub.Exists() && unsub.Type != gjson.Null {
		if unsub.Type == gjson.True || unsub.Type == gjson.False {
			w.key("unsubscribed_from_emails")
			w.bool(unsub.Type == gjson.True)
		} else {
			warnings = append(warnings, fmt.Sprintf("unsubscribedFromEmails %s is not a boolean, so it was not sent", excerpt(unsub.Raw)))
		}
	}

	custom := make([]field, 0, len(traits))
	for _, f := range traits {
		if isReservedContactTrait(f.key) || f.key == key.lookup || isConsumedTrait(ev, f.key) {
			continue
		}
		custom = append(custom, f)
	}
	warnings, err := writeCustomAttributes(w, custom, warnings)
	if err != nil {
		return warnings, err
	}
	w.closeObject()
	return warnings, nil
}

// writeCustomAttributes writes "custom_attributes" with the fields
// flattened by '_', or nothing when no attribute remains.
func writeCustomAttributes(w *jsonWriter, fields []field, warnings []string) ([]string, error) {
	if len(fields) == 0 {
		return warnings, nil
	}
	mark := len(w.buf)
	w.key("custom_attributes")
	w.openObject()
	f := flattener{w: w, style: styleAttributes}
	if err := f.writeFields(fields); err != nil {
		return warnings, err
	}
	w.closeObject()
	if len(f.names) == 0 {
		// Only empty objects or arrays: send no custom_attributes at all.
		w.buf = w.buf[:mark]
		w.comma = mark > 0 && w.buf[mark-1] != '{'
	}
	return append(warnings, f.warnings...), nil
}

// contactName is the name trait, else "first last", else whichever exists.
func contactName(ev *eventView, traits []field) string {
	if name, ok := scalarString(traitValue(traits, "name")); ok && strings.TrimSpace(name) != "" {
		return name
	}
	firstName, _ := scalarString(first(ev, firstNamePaths))
	lastName, _ := scalarString(first(ev, lastNamePaths))
	switch {
	case firstName != "" && lastName != "":
		return firstName + " " + lastName
	case firstName != "":
		return firstName
	}
	return lastName
}

// traitValue returns the merged trait with that exact name.
func traitValue(traits []field, name string) gjson.Result {
	if i := indexOf(traits, name); i >= 0 {
		return traits[i].value
	}
	return gjson.Result{}
}

// writeTimestamp writes a Unix-seconds field when v holds a time; an
// unparsable time is dropped with a warning and never fails the event.
func writeTimestamp(w *jsonWriter, name string, v gjson.Result, source string, warnings []string) []string {
	if !hasValue(v) {
		return warnings
	}
	if sec, ok := unixSeconds(v); ok {
		w.intField(name, sec)
		return warnings
	}
	return append(warnings, fmt.Sprintf("%s %s is not a time (ISO 8601, Unix seconds or milliseconds), so %s was not sent", source, excerpt(v.Raw), name))
}

// integerValue accepts an integer number or a string of digits.
func integerValue(v gjson.Result) (int64, bool) {
	switch v.Type {
	case gjson.Number:
		n, err := strconv.ParseInt(v.Raw, 10, 64)
		return n, err == nil
	case gjson.String:
		n, err := strconv.ParseInt(strings.TrimSpace(v.Str), 10, 64)
		return n, err == nil
	}
	return 0, false
}
