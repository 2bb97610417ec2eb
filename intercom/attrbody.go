package intercom

import (
	"bytes"
	"strings"
	"time"

	"github.com/tidwall/gjson"
)

// Custom attribute names are data, so they are never used as gjson or sjson
// paths: those libraries give '.', '*', '?', '#', '|', '@' and '\' a meaning
// and treat an empty key specially. Objects are walked with ForEach and
// rebuilt from the members' raw JSON instead.

// attributeMember is one key of a custom_attributes object.
type attributeMember struct {
	name  string
	value gjson.Result
}

// customAttributeMembers returns the members of the body's top-level
// custom_attributes object, in body order. found is false when the body is
// not an object or has no custom_attributes object.
func customAttributeMembers(body []byte) (members []attributeMember, found bool) {
	root := gjson.ParseBytes(body)
	if !root.IsObject() {
		return nil, false
	}
	root.ForEach(func(key, value gjson.Result) bool {
		if key.String() != "custom_attributes" || !value.IsObject() {
			return true
		}
		found = true
		value.ForEach(func(k, v gjson.Result) bool {
			members = append(members, attributeMember{name: k.String(), value: v})
			return true
		})
		return true
	})
	return members, found
}

// removeCustomAttributes returns a copy of body without the custom
// attributes named in remove. Every other byte of every other member is kept
// as sent.
func removeCustomAttributes(body []byte, remove map[string]bool) []byte {
	root := gjson.ParseBytes(body)
	var out bytes.Buffer
	out.Grow(len(body))
	out.WriteByte('{')
	first := true
	root.ForEach(func(key, value gjson.Result) bool {
		if !first {
			out.WriteByte(',')
		}
		first = false
		out.WriteString(key.Raw)
		out.WriteByte(':')
		if key.String() == "custom_attributes" && value.IsObject() {
			writeFilteredObject(&out, value, remove)
			return true
		}
		out.WriteString(value.Raw)
		return true
	})
	out.WriteByte('}')
	return out.Bytes()
}

func writeFilteredObject(out *bytes.Buffer, object gjson.Result, remove map[string]bool) {
	out.WriteByte('{')
	first := true
	object.ForEach(func(key, value gjson.Result) bool {
		if remove[key.String()] {
			return true
		}
		if !first {
			out.WriteByte(',')
		}
		first = false
		out.WriteString(key.Raw)
		out.WriteByte(':')
		out.WriteString(value.Raw)
		return true
	})
	out.WriteByte('}')
}

// Data attribute types inferred by the "create" policy.
const (
	DataTypeString  = "string"
	DataTypeInteger = "integer"
	DataTypeFloat   = "float"
	DataTypeBoolean = "boolean"
	DataTypeDate    = "date"
)

// InferDataType returns the Intercom data_type for a custom attribute value
// given as raw JSON: "boolean", "integer" (a number without fraction or
// exponent), "float", "date" (an ISO 8601 date or timestamp string) or
// "string". ok is false for null, objects and arrays, whose type cannot be
// inferred.
func InferDataType(raw []byte) (dataType string, ok bool) {
	return inferDataType(gjson.ParseBytes(raw))
}

func inferDataType(v gjson.Result) (string, bool) {
	switch v.Type {
	case gjson.True, gjson.False:
		return DataTypeBoolean, true
	case gjson.Number:
		if strings.ContainsAny(v.Raw, ".eE") {
			return DataTypeFloat, true
		}
		return DataTypeInteger, true
	case gjson.String:
		if isISO8601(v.Str) {
			return DataTypeDate, true
		}
		return DataTypeString, true
	}
	return "", false
}

// iso8601Layouts are the ISO 8601 forms recognised as dates: RFC 3339 with
// or without fractional seconds, a timestamp without offset, and a date.
var iso8601Layouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999",
	"2006-01-02T15:04:05Z0700",
	"2006-01-02T15:04:05.999999999Z0700",
	"2006-01-02",
}

func isISO8601(s string) bool {
	if len(s) < len("2006-01-02") || len(s) > 40 {
		return false
	}
	for _, layout := range iso8601Layouts {
		if _, err := time.Parse(layout, s); err == nil {
			return true
		}
	}
	return false
}
