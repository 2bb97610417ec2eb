package host

import (
	"errors"
	"strings"
	"testing"
)

func TestCheckRequestAcceptsIntercomRoutes(t *testing.T) {
	tests := []struct{ method, path string }{
		{"POST", "/contacts"},
		{"POST", "/contacts/search"},
		{"GET", "/contacts/65f1c0ffee"},
		{"PUT", "/contacts/65f1c0ffee"},
		{"PUT", "/contacts/a%20b"},
		{"POST", "/contacts/c-1/companies"},
		{"DELETE", "/contacts/c-1/companies/co-2"},
		{"POST", "/contacts/c-1/unarchive"},
		{"POST", "/companies"},
		{"GET", "/companies?company_id=acme-42"},
		{"GET", "/companies?name=Acme+Ltd"},
		{"GET", "/companies?name=Caf%C3%A9"},
		{"GET", "/companies/co-2"},
		{"POST", "/events"},
		{"POST", "/tags"},
		{"GET", "/data_attributes"},
		{"GET", "/data_attributes?model=contact"},
		{"POST", "/data_attributes"},
	}
	for _, tt := range tests {
		if err := CheckRequest(tt.method, tt.path); err != nil {
			t.Errorf("CheckRequest(%s, %q) = %v, want nil", tt.method, tt.path, err)
		}
	}
}

func TestCheckRequestRejects(t *testing.T) {
	tests := []struct {
		method, path, reason string
	}{
		{"GET", "", "empty"},
		{"GET", "contacts", "must start with"},
		{"GET", "http://evil.example/contacts", "must start with"},
		{"GET", "//evil.example/contacts", "names a host"},
		{"GET", `\\evil.example\contacts`, "must start with"},
		{"GET", `/\evil.example/contacts`, "not allowed"},
		{"GET", "/contacts/a\x00", "not allowed"},
		{"GET", "/contacts/a\x7f", "not allowed"},
		{"GET", "/contacts/\u00e9", "not allowed"},
		{"GET", "/contacts/a b", "not allowed"},
		{"GET", "/contacts/a#b", "not allowed"},
		{"GET", "/contacts//x", "empty segment"},
		{"GET", "/contacts/", "empty segment"},
		{"GET", "/contacts/..", "\"..\""},
		{"GET", "/contacts/%2E%2e", "\"..\""},
		{"GET", "/contacts/.", "\"..\""},
		{"GET", "/contacts/a%2fb", "encoded slash"},
		{"GET", "/contacts/a%5Cb", "encoded slash"},
		{"GET", "/contacts/a%0d%0aX-Injected:1", "control character"},
		{"GET", "/contacts/a%zz", "percent-encoding"},
		{"GET", "/companies?company_id=a?b", "more than one"},
		{"GET", "/" + strings.Repeat("a", maxPathLength), "longer than"},
		{"GET", "/admins", "not one of the Intercom routes"},
		{"GET", "/contacts/c-1/notes", "not one of the Intercom routes"},
		{"PATCH", "/contacts/c-1", "method is not allowed"},
		{"DELETE", "/contacts/c-1", "method is not allowed"},
		{"GET", "/contacts", "method is not allowed"},
		{"POST", "/events?debug=1", "takes no query"},
		{"GET", "/companies", "exactly one of"},
		{"GET", "/companies?company_id=a&name=b", "exactly one of"},
		{"GET", "/companies?company_id=a&company_id=b", "more than once"},
		{"GET", "/companies?email=a", "not one this Intercom route takes"},
		{"GET", "/companies?company_id=a%00", "control character"},
		{"GET", "/companies?company_id=%zz", "invalid"},
	}
	for _, tt := range tests {
		err := CheckRequest(tt.method, tt.path)
		if err == nil {
			t.Errorf("CheckRequest(%s, %q) accepted the request", tt.method, tt.path)
			continue
		}
		if !errors.Is(err, ErrRejectedRequest) {
			t.Errorf("CheckRequest(%s, %q) error %v does not wrap ErrRejectedRequest", tt.method, tt.path, err)
		}
		if !strings.Contains(err.Error(), tt.reason) {
			t.Errorf("CheckRequest(%s, %q) error %q does not contain %q", tt.method, tt.path, err, tt.reason)
		}
	}
}

func TestJoinURL(t *testing.T) {
	tests := []struct {
		base, method, path, want string
		ok                       bool
	}{
		{"https://api.intercom.io", "POST", "/contacts", "https://api.intercom.io/contacts", true},
		{"https://api.eu.intercom.io/", "GET", "/companies?name=a", "https://api.eu.intercom.io/companies?name=a", true},
		{"http://127.0.0.1:8080/prefix", "POST", "/events", "http://127.0.0.1:8080/prefix/events", true},
		{"https://api.intercom.io", "POST", "//evil.example/contacts", "", false},
		{"ftp://api.intercom.io", "POST", "/contacts", "", false},
		{"/relative", "POST", "/contacts", "", false},
		{"https://api.intercom.io?x=1", "POST", "/contacts", "", false},
	}
	for _, tt := range tests {
		got, err := JoinURL(tt.base, tt.method, tt.path)
		if (err == nil) != tt.ok {
			t.Errorf("JoinURL(%q, %q) error %v, want ok=%v", tt.base, tt.path, err, tt.ok)
			continue
		}
		if got != tt.want {
			t.Errorf("JoinURL(%q, %q) = %q, want %q", tt.base, tt.path, got, tt.want)
		}
	}
}
