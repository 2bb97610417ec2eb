package mapping

import (
	"fmt"
	"strconv"

	"github.com/tidwall/gjson"
)

// flattenStyle selects how nested names are joined.
type flattenStyle int

const (
	// styleAttributes joins nested keys and array indexes with '_', as
	// Intercom custom attribute names need: address.city → address_city,
	// roles[0] → roles_0. Empty objects and arrays are dropped.
	styleAttributes flattenStyle = iota
	// styleMetadata joins with '.' and writes array indexes as [i]:
	// product.sku, items[0]. Monetary amounts {amount, currency} and rich
	// links {url, value} are kept as objects, as Intercom event metadata
	// allows them.
	styleMetadata
)

// flattener writes the leaves of nested objects as one flat JSON object.
// Keys are data: they are copied byte for byte and never read as paths.
type flattener struct {
	w     *jsonWriter
	style flattenStyle
	// names lists the written keys in order; the callers report them.
	names []string
	// seen detects names that two different paths flatten to. It is only
	// built when some value is nested, since unique top-level keys cannot
	// collide otherwise.
	seen     map[string]struct{}
	warnings []string
}

// flattenError is returned when an event is too deep or too wide to flatten.
type flattenError struct{ msg string }

func (e *flattenError) Error() string { return e.msg }

// writeFields flattens fields into the writer's current object.
func (f *flattener) writeFields(fields []field) error {
	for _, fl := range fields {
		if fl.value.IsObject() || fl.value.IsArray() {
			f.seen = make(map[string]struct{}, len(fields)+8)
			break
		}
	}
	for _, fl := range fields {
		if err := f.value(fl.key, fl.value, 0); err != nil {
			return err
		}
	}
	return nil
}

func (f *flattener) value(name string, v gjson.Result, depth int) error {
	if depth > MaxFlattenDepth {
		return &flattenError{fmt.Sprintf("the value of %q nests deeper than %d levels; send a flatter object", name, MaxFlattenDepth)}
	}
	switch {
	case v.IsObject():
		if f.style == styleMetadata && isSpecialMetadata(v) {
			return f.leaf(name, v)
		}
		var err error
		v.ForEach(func(k, child gjson.Result) bool {
			err = f.value(f.join(name, k.String()), child, depth+1)
			return err == nil
		})
		return err
	case v.IsArray():
		var err error
		i := 0
		v.ForEach(func(_, child gjson.Result) bool {
			err = f.value(f.index(name, i), child, depth+1)
			i++
			return err == nil
		})
		return err
	}
	return f.leaf(name, v)
}

func (f *flattener) join(prefix, key string) string {
	if f.style == styleMetadata {
		return prefix + "." + key
	}
	return prefix + "_" + key
}

func (f *flattener) index(prefix string, i int) string {
	if f.style == styleMetadata {
		return prefix + "[" + strconv.Itoa(i) + "]"
	}
	return prefix + "_" + strconv.Itoa(i)
}

func (f *flattener) leaf(name string, v gjson.Result) error {
	if f.seen != nil {
		if _, dup := f.seen[name]; dup {
			f.warnings = append(f.warnings, fmt.Sprintf("%q is produced twice by flattening; the later value was dropped", name))
			return nil
		}
		f.seen[name] = struct{}{}
	}
	if len(f.names) >= MaxFlattenedKeys {
		return &flattenError{fmt.Sprintf("the event has more than %d attributes after flattening; send fewer traits or properties", MaxFlattenedKeys)}
	}
	f.names = append(f.names, name)
	f.w.rawField(name, v.Raw)
	return nil
}

// isSpecialMetadata reports whether an object is one of the two nested
// shapes Intercom accepts in event metadata.
func isSpecialMetadata(v gjson.Result) bool {
	var amount, currency, url, value bool
	v.ForEach(func(k, _ gjson.Result) bool {
		switch k.String() {
		case "amount":
			amount = true
		case "currency":
			currency = true
		case "url":
			url = true
		case "value":
			value = true
		}
		return true
	})
	return (amount && currency) || (url && value)
}
