package sim

import (
	"strings"
	"testing"

	"github.com/tidwall/gjson"
)

// fuzzFields resolves a fixed set of fields of every kind.
func fuzzFields(field string) (fieldKind, bool) {
	switch field {
	case "email", "name":
		return kindString, true
	case "owner_id":
		return kindInteger, true
	case "custom_attributes.score":
		return kindFloat, true
	case "has_hard_bounced":
		return kindBoolean, true
	case "created_at":
		return kindDate, true
	case "tag_id":
		return kindID, true
	}
	return 0, false
}

func FuzzParseSearchQuery(f *testing.F) {
	seeds := []string{
		`{"field":"email","operator":"=","value":"a@example.com"}`,
		`{"operator":"OR","value":[{"field":"email","operator":"=","value":"a"},{"field":"owner_id","operator":"IN","value":[1,2]}]}`,
		`{"operator":"AND","value":[{"operator":"OR","value":[{"field":"created_at","operator":">","value":1700000000}]}]}`,
		`{"operator":"AND","value":[{"operator":"OR","value":[{"operator":"AND","value":[]}]}]}`,
		`{"field":"tag_id","operator":"!=","value":null}`,
		`{"field":"custom_attributes.score","operator":"<=","value":1.5e3}`,
		`{"field":"email","operator":"IN","value":"x"}`,
		`[]`, `null`, `{"operator":"XOR"}`, `{"field":"","operator":"=","value":1}`,
	}
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, input string) {
		if !gjson.Valid(input) {
			return
		}
		node, err := parseSearchQuery(gjson.Parse(input), fuzzFields)
		if err != nil {
			if node != nil {
				t.Fatalf("error %v with a non-nil node", err)
			}
			return
		}
		checkQueryNode(t, node, 0)
	})
}

// checkQueryNode asserts the invariants of an accepted query: groups within
// the nesting and size limits, filters with a known operator and values.
func checkQueryNode(t *testing.T, n *queryNode, depth int) {
	t.Helper()
	if n.op != "" {
		if depth >= maxQueryNesting {
			t.Fatalf("group at depth %d accepted", depth)
		}
		if len(n.children) == 0 || len(n.children) > maxGroupFilters {
			t.Fatalf("group with %d queries accepted", len(n.children))
		}
		for _, c := range n.children {
			checkQueryNode(t, c, depth+1)
		}
		return
	}
	if _, ok := fuzzFields(n.field); !ok {
		t.Fatalf("unknown field %q accepted", n.field)
	}
	if !strings.Contains(" "+strings.Join(operatorsByKind[n.kind], " ")+" ", " "+n.operator+" ") {
		t.Fatalf("operator %q accepted for kind %d", n.operator, n.kind)
	}
	if n.operator != "IN" && n.operator != "NIN" && len(n.values) != 1 {
		t.Fatalf("operator %q with %d values", n.operator, len(n.values))
	}
}

func FuzzParseErrorRates(f *testing.F) {
	for _, s := range []string{"503:0.1,500:0.05", "429:1", "", "503", "abc:x", "500:0.5,500:0.5", "599:0,400:1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		rates, err := ParseErrorRates(spec)
		if err != nil {
			return
		}
		for status, rate := range rates {
			if status < 400 || status > 599 || !(rate >= 0 && rate <= 1) {
				t.Fatalf("accepted %d:%v from %q", status, rate, spec)
			}
		}
		again, err := ParseErrorRates(FormatErrorRates(rates))
		if err != nil || len(again) != len(rates) {
			t.Fatalf("round trip of %q failed: %v", spec, err)
		}
		for status, rate := range rates {
			if again[status] != rate {
				t.Fatalf("round trip changed %d:%v to %v", status, rate, again[status])
			}
		}
	})
}
