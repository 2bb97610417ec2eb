package intercom

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// ErrorList is Intercom's error envelope:
//
//	{"type":"error.list","request_id":"…","errors":[{"code":"…","message":"…","field":"…"}]}
//
// RequestID is empty when Intercom sent null or left it out. Message and
// Field of an item are empty when absent or null.
type ErrorList struct {
	Type      string      `json:"type"`
	RequestID string      `json:"request_id"`
	Errors    []ErrorItem `json:"errors"`
}

// ErrorItem is one entry of ErrorList.Errors.
type ErrorItem struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

// ErrNotErrorList is wrapped by ParseError's error when the body is JSON but
// not an error.list envelope.
var ErrNotErrorList = errors.New("not an Intercom error.list")

// ParseError decodes an error.list body. It returns an error for a body that
// is not JSON, whose type is not "error.list", whose errors is not an array,
// or whose fields have the wrong JSON types.
func ParseError(body []byte) (*ErrorList, error) {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return nil, fmt.Errorf("parse Intercom error body: %w: body is empty", ErrNotErrorList)
	}
	var raw struct {
		Type      *string         `json:"type"`
		RequestID *string         `json:"request_id"`
		Errors    json.RawMessage `json:"errors"`
	}
	if err := json.Unmarshal(trimmed, &raw); err != nil {
		return nil, fmt.Errorf("parse Intercom error body: %w", err)
	}
	if raw.Type == nil || *raw.Type != "error.list" {
		return nil, fmt.Errorf("parse Intercom error body: %w: type is %s", ErrNotErrorList, describeType(raw.Type))
	}
	if len(raw.Errors) == 0 || raw.Errors[0] != '[' {
		return nil, fmt.Errorf("parse Intercom error body: %w: errors is not an array", ErrNotErrorList)
	}

	var items []struct {
		Code    *string `json:"code"`
		Message *string `json:"message"`
		Field   *string `json:"field"`
	}
	if err := json.Unmarshal(raw.Errors, &items); err != nil {
		return nil, fmt.Errorf("parse Intercom error body: errors: %w", err)
	}
	list := &ErrorList{Type: *raw.Type, Errors: make([]ErrorItem, 0, len(items))}
	if raw.RequestID != nil {
		list.RequestID = *raw.RequestID
	}
	for _, it := range items {
		list.Errors = append(list.Errors, ErrorItem{Code: deref(it.Code), Message: deref(it.Message), Field: deref(it.Field)})
	}
	return list, nil
}

func describeType(t *string) string {
	if t == nil {
		return "missing"
	}
	return fmt.Sprintf("%q", *t)
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// HasCode reports whether any item has the given code.
func (l *ErrorList) HasCode(code string) bool {
	for _, e := range l.Errors {
		if e.Code == code {
			return true
		}
	}
	return false
}

// Messages joins the items as "code: message", separated by "; ".
func (l *ErrorList) Messages() string {
	parts := make([]string, 0, len(l.Errors))
	for _, e := range l.Errors {
		if e.Message == "" {
			parts = append(parts, e.Code)
			continue
		}
		parts = append(parts, e.Code+": "+e.Message)
	}
	return strings.Join(parts, "; ")
}

var undefinedAttributePattern = regexp.MustCompile(`^Custom attribute '(.+)' does not exist$`)

// UndefinedAttributes returns the names from "Custom attribute '<name>' does
// not exist" messages, the error Intercom returns (with code
// parameter_invalid, status 400) for a write that sets an undefined custom
// attribute.
func (l *ErrorList) UndefinedAttributes() []string {
	var names []string
	for _, e := range l.Errors {
		if m := undefinedAttributePattern.FindStringSubmatch(e.Message); m != nil {
			names = append(names, m[1])
		}
	}
	return names
}

var conflictPattern = regexp.MustCompile(`with id=([A-Za-z0-9]+)\s*$`)

// ConflictContactID extracts the existing contact's Intercom id from a 409
// conflict body ("A contact matching those details already exists with
// id=<id>"). archived is true for the variant that starts with "An archived
// contact"; such a contact must be unarchived before it can be updated. ok is
// false when the body is not such a conflict.
func ConflictContactID(body []byte) (id string, archived bool, ok bool) {
	list, err := ParseError(body)
	if err != nil {
		return "", false, false
	}
	for _, e := range list.Errors {
		if e.Code != "conflict" {
			continue
		}
		m := conflictPattern.FindStringSubmatch(e.Message)
		if m == nil {
			continue
		}
		return m[1], strings.HasPrefix(e.Message, "An archived contact"), true
	}
	return "", false, false
}
