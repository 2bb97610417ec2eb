package migrate

import (
	"sort"
	"strconv"
	"strings"

	"github.com/tidwall/gjson"

	"github.com/intercom-gateway/gateway/mapping"
)

// legacyKeys are the event keys that asked API 1.4 to set the user's last
// request time to now. API 2.10 has no such field.
var legacyKeys = map[string]bool{"update_last_request_at": true, "updateLastRequestAt": true}

// maxWalkDepth bounds the walk of an event. The ingestion API rejects
// events nested deeper than mapping.MaxNestingDepth.
const maxWalkDepth = mapping.MaxNestingDepth

// findLegacyKey returns the path of the first key of legacyKeys in the
// event, such as "traits.update_last_request_at", or "".
func findLegacyKey(v gjson.Result, path string, depth int) string {
	if depth > maxWalkDepth || (!v.IsObject() && !v.IsArray()) {
		return ""
	}
	found := ""
	i := 0
	v.ForEach(func(key, child gjson.Result) bool {
		name := strconv.Itoa(i)
		if v.IsObject() {
			name = key.String()
			if legacyKeys[name] {
				found = joinPath(path, name)
				return false
			}
		}
		i++
		found = findLegacyKey(child, joinPath(path, name), depth+1)
		return found == ""
	})
	return found
}

func joinPath(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// nestedTrait is one trait whose value is an object or an array, which the
// gateway flattens into several attributes.
type nestedTrait struct {
	model string
	key   string
	// oldExample is the first leaf's path joined with ".", as API 1.4
	// integrations named it.
	oldExample string
	names      map[string]bool
	count      int
	examples   []string
}

// nestedCollector gathers nested traits over the events, keyed by model
// and trait name.
type nestedCollector struct {
	byKey map[[2]string]*nestedTrait
}

// addEvent records the nested traits of one event. sections are the
// event's trait objects (traits and context.traits for an identify), and
// skip names traits that are handled elsewhere. The 2.10 names come from
// the planned writes: the attributes that start with the trait's name and
// "_".
func (c *nestedCollector) addEvent(label, model string, sections []gjson.Result, skip map[string]bool, calls []mapping.Call) {
	if c.byKey == nil {
		c.byKey = map[[2]string]*nestedTrait{}
	}
	written := writtenNames(calls, model)
	seen := map[string]bool{}
	for _, section := range sections {
		section.ForEach(func(key, value gjson.Result) bool {
			name := key.String()
			if seen[name] || skip[name] || !nonEmptyContainer(value) {
				return true
			}
			seen[name] = true
			var produced []string
			for _, w := range written {
				if strings.HasPrefix(w, name+"_") {
					produced = append(produced, w)
				}
			}
			if len(produced) == 0 {
				return true
			}
			k := [2]string{model, name}
			n, ok := c.byKey[k]
			if !ok {
				n = &nestedTrait{model: model, key: name, oldExample: firstLeafPath(value, name, 0), names: map[string]bool{}}
				c.byKey[k] = n
			}
			for _, p := range produced {
				n.names[p] = true
			}
			n.count++
			if len(n.examples) < maxExamples {
				n.examples = append(n.examples, label)
			}
			return true
		})
	}
}

// findings returns one warning per nested trait, sorted by model and name.
func (c *nestedCollector) findings() []Finding {
	keys := make([][2]string, 0, len(c.byKey))
	for k := range c.byKey {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i][0] != keys[j][0] {
			return keys[i][0] == modelContact
		}
		return keys[i][1] < keys[j][1]
	})
	out := make([]Finding, 0, len(keys))
	for _, k := range keys {
		n := c.byKey[k]
		names := make([]string, 0, len(n.names))
		for name := range n.names {
			names = append(names, name)
		}
		sort.Strings(names)
		out = append(out, Finding{
			Kind:    KindNestedTraits,
			Subject: n.model + " trait " + strconv.Quote(n.key),
			Message: "API 1.4 integrations joined nested keys with \".\" (" + n.oldExample + "); the gateway joins them with \"_\" and writes " +
				listNames(names, 6) + ". Define these names; attributes under the old names stop being updated",
			Count:    n.count,
			Examples: n.examples,
		})
	}
	return out
}

// writtenNames lists the custom attribute names of one model that the
// planned calls write.
func writtenNames(calls []mapping.Call, model string) []string {
	var names []string
	for _, call := range calls {
		if writeModel(call.Request.Method, call.Request.Path) != model {
			continue
		}
		for _, m := range customAttributeMembers(call.Request.Body) {
			names = append(names, m.name)
		}
	}
	return names
}

// nonEmptyContainer reports whether v is an object or array with members,
// since the mapping drops empty ones.
func nonEmptyContainer(v gjson.Result) bool {
	if !v.IsObject() && !v.IsArray() {
		return false
	}
	empty := true
	v.ForEach(func(_, _ gjson.Result) bool {
		empty = false
		return false
	})
	return !empty
}

// firstLeafPath follows the first member of each level down to a scalar
// and joins the keys with ".".
func firstLeafPath(v gjson.Result, path string, depth int) string {
	if depth > maxWalkDepth || (!v.IsObject() && !v.IsArray()) {
		return path
	}
	next := path
	i := 0
	v.ForEach(func(key, child gjson.Result) bool {
		name := strconv.Itoa(i)
		if v.IsObject() {
			name = key.String()
		}
		next = firstLeafPath(child, path+"."+name, depth+1)
		return false
	})
	return next
}

// listNames joins up to max names and says how many more there are.
func listNames(names []string, max int) string {
	if len(names) <= max {
		return strings.Join(names, ", ")
	}
	return strings.Join(names[:max], ", ") + " and " + strconv.Itoa(len(names)-max) + " more"
}
