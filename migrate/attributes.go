package migrate

import (
	"sort"
	"strings"

	"github.com/tidwall/gjson"

	"github.com/intercom-gateway/gateway/intercom"
	"github.com/intercom-gateway/gateway/mapping"
)

// States of an Attribute in the workspace.
const (
	// StatusUnknown means no workspace was checked.
	StatusUnknown = "unknown"
	// StatusDefined means the workspace defines it with a fitting type.
	StatusDefined = "defined"
	// StatusMissing means the workspace does not define it.
	StatusMissing = "missing"
	// StatusTypeDiffers means the workspace defines it with a type the
	// values do not fit.
	StatusTypeDiffers = "type_differs"
	// StatusArchived means the workspace has archived it.
	StatusArchived = "archived"
	// StatusRefusedName means Intercom rejects the name.
	StatusRefusedName = "refused_name"
	// StatusTypeConflict means the events send values of incompatible
	// types.
	StatusTypeConflict = "type_conflict"
)

// Attribute is one custom attribute that the sample's events would write.
type Attribute struct {
	// Model is "contact" or "company".
	Model string `json:"model"`
	// Name is the name the gateway sends, after flattening.
	Name string `json:"name"`
	// Type is the Intercom data type inferred from the values with
	// intercom.InferDataType: string, integer, float, boolean or date.
	// Integers and floats together make float. It is empty when every
	// value was null or the types conflict.
	Type string `json:"type"`
	// Types counts the events per inferred type, with "null" for nulls.
	Types map[string]int `json:"types"`
	// Events counts the events that write it.
	Events int `json:"events"`
	// Example is one value as compact JSON, shortened. It is a non-null
	// value when any event sent one.
	Example string `json:"example"`
	// Examples lists up to three of the events that write it.
	Examples []string `json:"examples"`
	// Status is one of the Status constants.
	Status string `json:"status"`
	// WorkspaceType is the data_type the workspace defines it with.
	WorkspaceType string `json:"workspaceType,omitempty"`
	// Reason explains a Status other than defined, missing or unknown.
	Reason string `json:"reason,omitempty"`
}

// attributeCollector gathers the custom attributes of the planned contact
// and company writes, event by event.
type attributeCollector struct {
	byKey map[[2]string]*Attribute
}

// addEvent records the custom attributes of one event's planned calls. An
// attribute written twice by one event (a PUT after a 409, say) counts
// once, with its first value.
func (c *attributeCollector) addEvent(label string, calls []mapping.Call) {
	if c.byKey == nil {
		c.byKey = map[[2]string]*Attribute{}
	}
	seen := map[[2]string]bool{}
	for _, call := range calls {
		model := writeModel(call.Request.Method, call.Request.Path)
		if model == "" {
			continue
		}
		for _, m := range customAttributeMembers(call.Request.Body) {
			key := [2]string{model, m.name}
			if seen[key] {
				continue
			}
			seen[key] = true
			c.record(key, label, m.value)
		}
	}
}

func (c *attributeCollector) record(key [2]string, label string, value gjson.Result) {
	a, ok := c.byKey[key]
	if !ok {
		a = &Attribute{Model: key[0], Name: key[1], Types: map[string]int{}}
		c.byKey[key] = a
	}
	a.Events++
	if len(a.Examples) < maxExamples {
		a.Examples = append(a.Examples, label)
	}
	dataType, inferred := intercom.InferDataType([]byte(value.Raw))
	if !inferred {
		// The mapping sends null to clear an attribute. Nested values never
		// reach custom_attributes because they are flattened.
		dataType = "null"
	}
	a.Types[dataType]++
	if a.Example == "" || (a.Example == "null" && inferred) {
		a.Example = shortJSON([]byte(value.Raw), 32)
	}
}

// list returns the attributes sorted by model (contact first) and name,
// with their merged types.
func (c *attributeCollector) list() []*Attribute {
	out := make([]*Attribute, 0, len(c.byKey))
	for _, a := range c.byKey {
		a.Type = mergeTypes(a.Types)
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Model != out[j].Model {
			return out[i].Model == modelContact
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// mergeTypes returns the one data type that fits every non-null value, or
// "" when there is none: integers and floats make float, any other mix is
// a conflict.
func mergeTypes(types map[string]int) string {
	var kinds []string
	for t := range types {
		if t != "null" {
			kinds = append(kinds, t)
		}
	}
	sort.Strings(kinds)
	switch {
	case len(kinds) == 1:
		return kinds[0]
	case len(kinds) == 2 && kinds[0] == intercom.DataTypeFloat && kinds[1] == intercom.DataTypeInteger:
		return intercom.DataTypeFloat
	}
	return ""
}

// hasConflict reports whether the values' types cannot share one data type.
func (a *Attribute) hasConflict() bool {
	return a.Type == "" && a.Types["null"] < a.Events
}

// typeFits reports whether values inferred as inferred can be written to
// an attribute defined as defined. An integer fits a float and an ISO 8601
// string fits a string attribute.
func typeFits(defined, inferred string) bool {
	switch {
	case inferred == "", defined == inferred:
		return true
	case defined == intercom.DataTypeFloat && inferred == intercom.DataTypeInteger:
		return true
	case defined == intercom.DataTypeString && inferred == intercom.DataTypeDate:
		return true
	case defined == "datetime" && inferred == intercom.DataTypeDate:
		return true
	}
	return false
}

// writeModel returns the data attribute model whose custom attributes a
// planned request writes: POST /contacts and PUT /contacts/{id} write a
// contact, POST /companies a company. Other requests return "".
func writeModel(method, path string) string {
	path, _, _ = strings.Cut(path, "?")
	segments := strings.Split(strings.Trim(path, "/"), "/")
	switch {
	case method == "POST" && len(segments) == 1 && segments[0] == "contacts":
		return modelContact
	case method == "PUT" && len(segments) == 2 && segments[0] == "contacts" && segments[1] != "":
		return modelContact
	case method == "POST" && len(segments) == 1 && segments[0] == "companies":
		return modelCompany
	}
	return ""
}

type attributeMember struct {
	name  string
	value gjson.Result
}

// customAttributeMembers lists the members of a body's top-level
// custom_attributes object in body order. Names are data: the object is
// walked with ForEach and no name is ever used as a gjson path.
func customAttributeMembers(body []byte) []attributeMember {
	var members []attributeMember
	root := gjson.ParseBytes(body)
	if !root.IsObject() {
		return nil
	}
	root.ForEach(func(key, value gjson.Result) bool {
		if key.String() != "custom_attributes" || !value.IsObject() {
			return true
		}
		value.ForEach(func(k, v gjson.Result) bool {
			members = append(members, attributeMember{name: k.String(), value: v})
			return true
		})
		return false
	})
	return members
}
