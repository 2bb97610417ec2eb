package mapping

import "github.com/tidwall/gjson"

// section is the part of an event a field path reads from.
type section uint8

const (
	sectionTop section = iota
	sectionTraits
	sectionContextTraits
	sectionProperties
)

// fieldPath names one place a field may be read from: a key of a section.
type fieldPath struct {
	section section
	key     string
}

func (p fieldPath) String() string {
	switch p.section {
	case sectionTraits:
		return "traits." + p.key
	case sectionContextTraits:
		return "context.traits." + p.key
	case sectionProperties:
		return "properties." + p.key
	}
	return p.key
}

// object is a JSON object split into its fields once, so reading many keys
// does not rescan the JSON for each: gjson.Get walks the document from its
// start on every call, which dominated the cost of large events.
type object struct {
	raw    gjson.Result
	fields []field
	// index maps keys to positions once the object is large enough that
	// a linear search costs more than building it.
	index map[string]int
}

const indexThreshold = 16

// newObject splits v into fields; a key that occurs twice keeps its first
// value, which is also what gjson.Get returns.
func newObject(v gjson.Result) object {
	o := object{raw: v}
	if !v.IsObject() {
		return o
	}
	v.ForEach(func(k, val gjson.Result) bool {
		key := k.String()
		if o.index == nil && len(o.fields) == indexThreshold {
			o.index = make(map[string]int, 4*indexThreshold)
			for i, f := range o.fields {
				o.index[f.key] = i
			}
		}
		if o.index != nil {
			if _, dup := o.index[key]; dup {
				return true
			}
			o.index[key] = len(o.fields)
		} else if indexOf(o.fields, key) >= 0 {
			return true
		}
		o.fields = append(o.fields, field{key: key, value: val})
		return true
	})
	return o
}

// get returns the value of key, or a missing Result.
func (o *object) get(key string) gjson.Result {
	if o.index != nil {
		if i, ok := o.index[key]; ok {
			return o.fields[i].value
		}
		return gjson.Result{}
	}
	if i := indexOf(o.fields, key); i >= 0 {
		return o.fields[i].value
	}
	return gjson.Result{}
}

// eventView is an event with the sections the mapping reads split out once.
type eventView struct {
	top           object
	context       object
	traits        object
	contextTraits object
	properties    object
}

func newEventView(event gjson.Result) *eventView {
	ev := &eventView{top: newObject(event)}
	ev.context = newObject(ev.top.get("context"))
	ev.traits = newObject(ev.top.get("traits"))
	ev.contextTraits = newObject(ev.context.get("traits"))
	ev.properties = newObject(ev.top.get("properties"))
	return ev
}

func (ev *eventView) at(p fieldPath) gjson.Result {
	switch p.section {
	case sectionTraits:
		return ev.traits.get(p.key)
	case sectionContextTraits:
		return ev.contextTraits.get(p.key)
	case sectionProperties:
		return ev.properties.get(p.key)
	}
	return ev.top.get(p.key)
}
