package mapping

import (
	"testing"

	"github.com/tidwall/gjson"
)

// FuzzFlatten flattens arbitrary JSON objects in both styles: it must never
// panic, must write a valid JSON object, and must keep every top-level key
// whose value is a scalar exactly as given.
func FuzzFlatten(f *testing.F) {
	f.Add([]byte(`{"address":{"city":"New Orleans","state":"Louisiana"},"plan":"enterprise"}`))
	f.Add([]byte(`{"":{"":[{"":1}]},"a.b":{"c|d":2},"price":{"amount":1,"currency":"eur"}}`))
	f.Add([]byte(`{"roles":["a",["b",{"c":null}]],"x":{},"y":[]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if checkJSONShape(data, MaxNestingDepth) != nil || !gjson.ValidBytes(data) {
			return
		}
		v := gjson.ParseBytes(data)
		if !v.IsObject() {
			return
		}
		for _, style := range []flattenStyle{styleAttributes, styleMetadata} {
			w := jsonWriter{}
			w.openObject()
			f := flattener{w: &w, style: style}
			fields := objectFields(v, nil)
			err := f.writeFields(fields)
			w.closeObject()
			if err != nil {
				if _, ok := err.(*flattenError); !ok {
					t.Fatalf("unexpected error type %T: %v", err, err)
				}
				continue
			}
			out := gjson.ParseBytes(w.buf)
			if !gjson.ValidBytes(w.buf) || !out.IsObject() {
				t.Fatalf("style %d wrote invalid JSON: %s", style, w.buf)
			}
			written := map[string]bool{}
			out.ForEach(func(k, _ gjson.Result) bool {
				written[k.String()] = true
				return true
			})
			for _, fl := range fields {
				if fl.value.IsObject() || fl.value.IsArray() {
					continue
				}
				if !written[fl.key] && f.seen == nil {
					t.Fatalf("scalar key %q missing from %s", fl.key, w.buf)
				}
			}
		}
	})
}
