package sim

import (
	"fmt"
	"slices"
	"strings"

	"github.com/tidwall/gjson"
)

// Search query limits Intercom documents: at most two levels of nested
// AND/OR groups and at most 15 filters in one group.
const (
	maxQueryNesting = 2
	maxGroupFilters = 15
)

// fieldKind is a searchable field's type, which decides its operators.
type fieldKind int

const (
	kindString fieldKind = iota
	kindInteger
	kindFloat
	kindBoolean
	kindDate
	kindID // tag_id and segment_id: only = and !=
)

// operatorsByKind lists each kind's operators, as documented for contact
// search: strings take = != IN NIN ~ !~ ^ $, booleans = != IN NIN, numbers
// also < > <= >=, dates only = < >, tag and segment ids only = !=.
var operatorsByKind = map[fieldKind][]string{
	kindString:  {"=", "!=", "IN", "NIN", "~", "!~", "^", "$"},
	kindInteger: {"=", "!=", "IN", "NIN", "<", ">", "<=", ">="},
	kindFloat:   {"=", "!=", "IN", "NIN", "<", ">", "<=", ">="},
	kindBoolean: {"=", "!=", "IN", "NIN"},
	kindDate:    {"=", "<", ">"},
	kindID:      {"=", "!="},
}

// scalar is one query value.
type scalar struct {
	null bool
	str  string
	num  float64
	b    bool
}

// queryNode is a parsed search query: a group (op "AND" or "OR") or a
// filter on one field.
type queryNode struct {
	op       string
	children []*queryNode

	field    string
	kind     fieldKind
	operator string
	values   []scalar // one value, or the list of IN and NIN
}

// fieldResolver returns the kind of a searchable field; ok is false for an
// unknown field.
type fieldResolver func(field string) (kind fieldKind, ok bool)

// parseSearchQuery validates and parses the "query" member of a search
// request. The error texts are simulator wording: Intercom documents the
// limits, not its messages.
func parseSearchQuery(v gjson.Result, resolve fieldResolver) (*queryNode, error) {
	return parseQueryNode(v, resolve, 0)
}

func parseQueryNode(v gjson.Result, resolve fieldResolver, depth int) (*queryNode, error) {
	f, ok := objectFields(v)
	if !ok {
		return nil, fmt.Errorf("each query must be an object with field, operator and value, or a group with operator AND or OR and a list of queries")
	}
	if f.has("field") {
		return parseFilter(f, resolve)
	}

	op := f.values["operator"]
	if op.Type != gjson.String || (op.Str != "AND" && op.Str != "OR") {
		return nil, fmt.Errorf("a query without field must be a group whose operator is AND or OR, got %s", describe(op))
	}
	if depth >= maxQueryNesting {
		return nil, fmt.Errorf("queries can be nested at most %d levels deep", maxQueryNesting)
	}
	list := f.values["value"]
	if !list.IsArray() {
		return nil, fmt.Errorf("the value of an %s group must be a list of queries", op.Str)
	}
	items := list.Array()
	if len(items) == 0 {
		return nil, fmt.Errorf("an %s group needs at least one query", op.Str)
	}
	if len(items) > maxGroupFilters {
		return nil, fmt.Errorf("an %s group can hold at most %d queries, got %d", op.Str, maxGroupFilters, len(items))
	}
	node := &queryNode{op: op.Str}
	for _, item := range items {
		child, err := parseQueryNode(item, resolve, depth+1)
		if err != nil {
			return nil, err
		}
		node.children = append(node.children, child)
	}
	return node, nil
}

func parseFilter(f fields, resolve fieldResolver) (*queryNode, error) {
	field := f.values["field"]
	if field.Type != gjson.String || field.Str == "" {
		return nil, fmt.Errorf("field must be a non-empty string, got %s", describe(field))
	}
	kind, ok := resolve(field.Str)
	if !ok {
		return nil, fmt.Errorf("%q is not a searchable contact field", field.Str)
	}
	op := f.values["operator"]
	if op.Type != gjson.String {
		return nil, fmt.Errorf("operator of %q must be a string, got %s", field.Str, describe(op))
	}
	if !slices.Contains(operatorsByKind[kind], op.Str) {
		return nil, fmt.Errorf("operator %q is not supported for field %q; use one of %s", op.Str, field.Str, strings.Join(operatorsByKind[kind], " "))
	}
	value, present := f.values["value"]
	if !present {
		return nil, fmt.Errorf("the query on %q has no value", field.Str)
	}

	node := &queryNode{field: field.Str, kind: kind, operator: op.Str}
	if op.Str == "IN" || op.Str == "NIN" {
		if !value.IsArray() {
			return nil, fmt.Errorf("%s on %q needs a list value, got %s", op.Str, field.Str, describe(value))
		}
		for _, item := range value.Array() {
			s, err := parseScalar(item, kind, field.Str, false)
			if err != nil {
				return nil, err
			}
			node.values = append(node.values, s)
		}
		return node, nil
	}
	s, err := parseScalar(value, kind, field.Str, op.Str == "=" || op.Str == "!=")
	if err != nil {
		return nil, err
	}
	node.values = []scalar{s}
	return node, nil
}

func parseScalar(v gjson.Result, kind fieldKind, field string, allowNull bool) (scalar, error) {
	if v.Type == gjson.Null {
		if !allowNull {
			return scalar{}, fmt.Errorf("null is only allowed with = and != (field %q)", field)
		}
		return scalar{null: true}, nil
	}
	switch kind {
	case kindString, kindID:
		if v.Type == gjson.String {
			return scalar{str: v.Str}, nil
		}
		return scalar{}, fmt.Errorf("field %q needs a string value, got %s", field, describe(v))
	case kindBoolean:
		if v.Type == gjson.True || v.Type == gjson.False {
			return scalar{b: v.Bool()}, nil
		}
		return scalar{}, fmt.Errorf("field %q needs a boolean value, got %s", field, describe(v))
	case kindInteger, kindDate:
		if n, ok := jsonInteger(v, false); ok && v.Type == gjson.Number {
			return scalar{num: float64(n)}, nil
		}
		return scalar{}, fmt.Errorf("field %q needs an integer value, got %s", field, describe(v))
	case kindFloat:
		if v.Type == gjson.Number {
			return scalar{num: v.Float()}, nil
		}
		return scalar{}, fmt.Errorf("field %q needs a number value, got %s", field, describe(v))
	}
	return scalar{}, fmt.Errorf("field %q has an unsupported type", field)
}

// describe names a JSON value's type for error messages.
func describe(v gjson.Result) string {
	switch {
	case !v.Exists():
		return "nothing"
	case v.IsArray():
		return "a list"
	case v.IsObject():
		return "an object"
	}
	switch v.Type {
	case gjson.String:
		return "a string"
	case gjson.Number:
		return "a number"
	case gjson.True, gjson.False:
		return "a boolean"
	}
	return "null"
}
