package mapping

import (
	"strings"
	"testing"

	"github.com/tidwall/gjson"
)

func flattenForTest(t *testing.T, style flattenStyle, object string) (string, *flattener, error) {
	t.Helper()
	w := jsonWriter{}
	w.openObject()
	f := flattener{w: &w, style: style}
	err := f.writeFields(objectFields(gjson.Parse(object), nil))
	w.closeObject()
	return string(w.buf), &f, err
}

func TestFlattenAttributes(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"flat stays flat", `{"plan":"pro","seats":3}`, `{"plan":"pro","seats":3}`},
		{"seed address", `{"address":{"city":"New Orleans","state":"Louisiana"},"plan":"enterprise"}`, `{"address_city":"New Orleans","address_state":"Louisiana","plan":"enterprise"}`},
		{"arrays use index", `{"roles":["a","b"]}`, `{"roles_0":"a","roles_1":"b"}`},
		{"nested arrays", `{"m":[[1],[2,3]]}`, `{"m_0_0":1,"m_1_0":2,"m_1_1":3}`},
		{"empty object and array dropped", `{"a":{},"b":[],"c":1}`, `{"c":1}`},
		{"null is kept", `{"nick":null}`, `{"nick":null}`},
		{"empty key", `{"":1,"a":{"":2}}`, `{"":1,"a_":2}`},
		{"path syntax in keys", `{"a.b":{"c*":{"d?":1}},"#":2,"|@\\":3}`, `{"a.b_c*_d?":1,"#":2,"|@\\":3}`},
		{"duplicate key keeps first", `{"a":1,"a":2}`, `{"a":1}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _, err := flattenForTest(t, styleAttributes, tt.in)
			if err != nil {
				t.Fatalf("flatten(%s): %v", tt.in, err)
			}
			if got != tt.want {
				t.Errorf("flatten(%s)\n got %s\nwant %s", tt.in, got, tt.want)
			}
		})
	}
}

func TestFlattenMetadata(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"dots and indexes", `{"product":{"sku":"S1"},"items":["a",{"id":2}]}`, `{"product.sku":"S1","items[0]":"a","items[1].id":2}`},
		{"monetary amount kept", `{"price":{"amount":100,"currency":"eur"}}`, `{"price":{"amount":100,"currency":"eur"}}`},
		{"rich link kept", `{"doc":{"url":"https://x.test","value":"X"}}`, `{"doc":{"url":"https://x.test","value":"X"}}`},
		{"half a monetary amount is flattened", `{"price":{"amount":100}}`, `{"price.amount":100}`},
		{"nested monetary amount kept", `{"o":{"total":{"amount":1,"currency":"usd"}}}`, `{"o.total":{"amount":1,"currency":"usd"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _, err := flattenForTest(t, styleMetadata, tt.in)
			if err != nil {
				t.Fatalf("flatten(%s): %v", tt.in, err)
			}
			if got != tt.want {
				t.Errorf("flatten(%s)\n got %s\nwant %s", tt.in, got, tt.want)
			}
		})
	}
}

func TestFlattenCollisionWarns(t *testing.T) {
	got, f, err := flattenForTest(t, styleAttributes, `{"a_b":1,"a":{"b":2}}`)
	if err != nil {
		t.Fatal(err)
	}
	if got != `{"a_b":1}` {
		t.Errorf("output = %s, want the first value only", got)
	}
	if len(f.warnings) != 1 || !strings.Contains(f.warnings[0], `"a_b"`) {
		t.Errorf("warnings = %q, want one naming a_b", f.warnings)
	}
}

func TestFlattenLimits(t *testing.T) {
	deep := strings.Repeat(`{"k":`, MaxFlattenDepth+2) + "1" + strings.Repeat("}", MaxFlattenDepth+2)
	if _, _, err := flattenForTest(t, styleAttributes, `{"x":`+deep+`}`); err == nil || !strings.Contains(err.Error(), "nests deeper") {
		t.Errorf("deep nesting error = %v, want a depth error", err)
	}

	var b strings.Builder
	b.WriteString(`{"wide":[`)
	for i := 0; i <= MaxFlattenedKeys; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('1')
	}
	b.WriteString(`]}`)
	if _, _, err := flattenForTest(t, styleAttributes, b.String()); err == nil || !strings.Contains(err.Error(), "more than") {
		t.Errorf("wide object error = %v, want a key-count error", err)
	}
}
