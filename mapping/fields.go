package mapping

import (
	"strings"

	"github.com/tidwall/gjson"
)

// Paths where the mapping reads each field, in order of preference. The
// first path that holds a value wins. The paths are fixed strings with no
// gjson syntax in them, so reading them is safe whatever the event holds.
var (
	userIDPaths    = []string{"userId", "traits.userId", "traits.id", "context.traits.userId", "context.traits.id"}
	emailPaths     = []string{"traits.email", "context.traits.email", "properties.email"}
	phonePaths     = []string{"traits.phone", "context.traits.phone", "properties.phone"}
	avatarPaths    = []string{"traits.avatar", "context.traits.avatar", "traits.avatarURL", "context.traits.avatarURL", "traits.avatar_URL", "context.traits.avatar_URL"}
	firstNamePaths = []string{"traits.firstName", "traits.firstname", "traits.first_name", "context.traits.firstName", "context.traits.firstname", "context.traits.first_name"}
	lastNamePaths  = []string{"traits.lastName", "traits.lastname", "traits.last_name", "context.traits.lastName", "context.traits.lastname", "context.traits.last_name"}
	timestampPaths = []string{"timestamp", "originalTimestamp"}
	groupIDPaths   = []string{"groupId", "traits.groupId"}
	lastSeenPaths  = []string{"traits.lastSeenAt", "context.traits.lastSeenAt"}
)

// first returns the value at the first path that holds one: present, not
// null and not an empty string.
func first(root gjson.Result, paths []string) gjson.Result {
	for _, p := range paths {
		if v := root.Get(p); hasValue(v) {
			return v
		}
	}
	return gjson.Result{}
}

// firstPath returns the path that first returns a value, or "".
func firstPath(root gjson.Result, paths []string) string {
	for _, p := range paths {
		if hasValue(root.Get(p)) {
			return p
		}
	}
	return ""
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
// (Segment SDKs) combine.
func overlay(base, top gjson.Result) []field {
	fields := objectFields(base, nil)
	if !top.IsObject() {
		return fields
	}
	topFields := objectFields(top, nil)
	if len(fields) == 0 {
		return topFields
	}
	var index map[string]int
	if len(fields)+len(topFields) > 32 {
		index = make(map[string]int, len(fields))
		for i, f := range fields {
			index[f.key] = i
		}
	}
	for _, f := range topFields {
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
func lookupName(root gjson.Result) string {
	integrations := root.Get("integrations")
	for _, dest := range []string{"INTERCOM", "Intercom"} {
		if v := integrations.Get(dest + ".lookup"); v.Type == gjson.String && strings.TrimSpace(v.Str) != "" {
			return strings.TrimSpace(v.Str)
		}
	}
	return "email"
}

// lookupValue reads the lookup field's value: from the path table for the
// names it has, else from the merged traits by exact key.
func lookupValue(root gjson.Result, name string, traits []field) gjson.Result {
	switch name {
	case "email":
		return first(root, emailPaths)
	case "phone":
		return first(root, phonePaths)
	case "avatar":
		return first(root, avatarPaths)
	case "userId", "external_id":
		return first(root, userIDPaths)
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
