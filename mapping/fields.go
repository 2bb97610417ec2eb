package mapping

import (
	"strings"

	"github.com/tidwall/gjson"
)

// Paths where the mapping reads each field, in order of preference. The
// first path that holds a value wins. Keys are compared as data, never
// read as gjson path syntax.
var (
	userIDPaths    = []fieldPath{{sectionTop, "userId"}, {sectionTraits, "userId"}, {sectionTraits, "id"}, {sectionContextTraits, "userId"}, {sectionContextTraits, "id"}}
	emailPaths     = []fieldPath{{sectionTraits, "email"}, {sectionContextTraits, "email"}, {sectionProperties, "email"}}
	phonePaths     = []fieldPath{{sectionTraits, "phone"}, {sectionContextTraits, "phone"}, {sectionProperties, "phone"}}
	avatarPaths    = []fieldPath{{sectionTraits, "avatar"}, {sectionContextTraits, "avatar"}, {sectionTraits, "avatarURL"}, {sectionContextTraits, "avatarURL"}, {sectionTraits, "avatar_URL"}, {sectionContextTraits, "avatar_URL"}}
	firstNamePaths = []fieldPath{{sectionTraits, "firstName"}, {sectionTraits, "firstname"}, {sectionTraits, "first_name"}, {sectionContextTraits, "firstName"}, {sectionContextTraits, "firstname"}, {sectionContextTraits, "first_name"}}
	lastNamePaths  = []fieldPath{{sectionTraits, "lastName"}, {sectionTraits, "lastname"}, {sectionTraits, "last_name"}, {sectionContextTraits, "lastName"}, {sectionContextTraits, "lastname"}, {sectionContextTraits, "last_name"}}
	timestampPaths = []fieldPath{{sectionTop, "timestamp"}, {sectionTop, "originalTimestamp"}}
	groupIDPaths   = []fieldPath{{sectionTop, "groupId"}, {sectionTraits, "groupId"}}
	lastSeenPaths  = []fieldPath{{sectionTraits, "lastSeenAt"}, {sectionContextTraits, "lastSeenAt"}}
)

// first returns the value at the first path that holds one: present, not
// null and not an empty string.
func first(ev *eventView, paths []fieldPath) gjson.Result {
	for _, p := range paths {
		if v := ev.at(p); hasValue(v) {
			return v
		}
	}
	return gjson.Result{}
}

// firstPath returns the path that first holds a value, and false when none does.
func firstPath(ev *eventView, paths []fieldPath) (fieldPath, bool) {
	for _, p := range paths {
		if hasValue(ev.at(p)) {
			return p, true
		}
	}
	return fieldPath{}, false
}

func hasValue(v gjson.Result) bool {
	if !v.Exists() || v.Type == gjson.Null {
		return false
	}
	return v.Type != gjson.String || v.Str != ""
}

// scalarString returns a string or number as text, the way Intercom
// identifiers are sent. Other types return ok=false.
func scalarString(v gjson.Result) (string, bool) {
	switch v.Type {
	case gjson.String:
		return v.Str, true
	case gjson.Number:
		return v.Raw, true
	}
	return "", false
}

// field is one key of a JSON object, in input order.
type field struct {
	key   string
	value gjson.Result
}

// objectFields lists the keys of an object in order. A key that occurs
// twice keeps its first value, which is also what gjson.Get returns.
// Non-objects have no fields.
func objectFields(v gjson.Result, dst []field) []field {
	if !v.IsObject() {
		return dst
	}
	start := len(dst)
	var seen map[string]struct{}
	v.ForEach(func(k, val gjson.Result) bool {
		key := k.String()
		if len(dst)-start > 16 && seen == nil {
			seen = make(map[string]struct{}, 64)
			for _, f := range dst[start:] {
				seen[f.key] = struct{}{}
			}
		}
		if seen != nil {
			if _, dup := seen[key]; dup {
				return true
			}
			seen[key] = struct{}{}
		} else if indexOf(dst[start:], key) >= 0 {
			return true
		}
		dst = append(dst, field{key: key, value: val})
		return true
	})
	return dst
}

func indexOf(fields []field, key string) int {
	for i := range fields {
		if fields[i].key == key {
			return i
		}
	}
	return -1
}

// overlay merges two objects' fields: the keys of base in their order with
// values from top where top has the key, then the keys only top has. This
// is how an identify's context.traits (RudderStack SDKs) and traits
// (Segment SDKs) combine. The inputs are not modified.
func overlay(base, top []field) []field {
	if len(top) == 0 {
		return base
	}
	if len(base) == 0 {
		return top
	}
	fields := make([]field, len(base), len(base)+len(top))
	copy(fields, base)
	var index map[string]int
	if len(fields)+len(top) > 2*indexThreshold {
		index = make(map[string]int, len(fields)+len(top))
		for i, f := range fields {
			index[f.key] = i
		}
	}
	for _, f := range top {
		i := -1
		if index != nil {
			if j, ok := index[f.key]; ok {
				i = j
			}
		} else {
			i = indexOf(fields, f.key)
		}
		if i >= 0 {
			fields[i].value = f.value
			continue
		}
		if index != nil {
			index[f.key] = len(fields)
		}
		fields = append(fields, f)
	}
	return fields
}

// lookupName returns the contact field used to find an existing contact:
// integrations.INTERCOM.lookup (or integrations.Intercom.lookup), default
// "email". The name is data, read without building a path from it.
func lookupName(ev *eventView) string {
	integrations := ev.top.get("integrations")
	for _, dest := range []string{"INTERCOM", "Intercom"} {
		if v := integrations.Get(dest + ".lookup"); v.Type == gjson.String && strings.TrimSpace(v.Str) != "" {
			return strings.TrimSpace(v.Str)
		}
	}
	return "email"
}

// lookupValue reads the lookup field's value: from the path table for the
// names it has, else from the merged traits by exact key.
func lookupValue(ev *eventView, name string, traits []field) gjson.Result {
	switch name {
	case "email":
		return first(ev, emailPaths)
	case "phone":
		return first(ev, phonePaths)
	case "avatar":
		return first(ev, avatarPaths)
	case "userId", "external_id":
		return first(ev, userIDPaths)
	}
	if i := indexOf(traits, name); i >= 0 && hasValue(traits[i].value) {
		return traits[i].value
	}
	return gjson.Result{}
}

// searchField is the Intercom contact search field for a lookup name.
func searchField(name string) string {
	switch name {
	case "email", "phone", "name", "role", "external_id", "avatar":
		return name
	case "userId":
		return "external_id"
	}
	return "custom_attributes." + name
}
