package host

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// ErrRejectedRequest is wrapped by CheckRequest's errors.
var ErrRejectedRequest = errors.New("request rejected by the host")

// maxPathLength bounds a request path, query included.
const maxPathLength = 2048

// route is one Intercom API route the gateway sends. A segment "{id}"
// matches any single non-empty path segment.
type route struct {
	methods  []string
	segments []string
	// query lists the query parameters allowed; nil means none.
	query []string
	// oneOf requires exactly one of the listed query parameters.
	oneOf []string
}

// routes are the Intercom REST API 2.10 calls the mapping plans. Every
// other method and path is rejected.
var routes = []route{
	{methods: []string{"POST"}, segments: []string{"contacts"}},
	{methods: []string{"POST"}, segments: []string{"contacts", "search"}},
	{methods: []string{"GET", "PUT"}, segments: []string{"contacts", "{id}"}},
	{methods: []string{"POST"}, segments: []string{"contacts", "{id}", "companies"}},
	{methods: []string{"DELETE"}, segments: []string{"contacts", "{id}", "companies", "{id}"}},
	{methods: []string{"POST"}, segments: []string{"contacts", "{id}", "unarchive"}},
	{methods: []string{"POST"}, segments: []string{"companies"}},
	{methods: []string{"GET"}, segments: []string{"companies"}, query: []string{"company_id", "name"}, oneOf: []string{"company_id", "name"}},
	{methods: []string{"GET"}, segments: []string{"companies", "{id}"}},
	{methods: []string{"POST"}, segments: []string{"events"}},
	{methods: []string{"POST"}, segments: []string{"tags"}},
	{methods: []string{"GET"}, segments: []string{"data_attributes"}, query: []string{"model", "include_archived"}},
	{methods: []string{"POST"}, segments: []string{"data_attributes"}},
}

// CheckRequest returns nil when method and path name one of the Intercom
// routes the gateway sends, and otherwise an error that wraps
// ErrRejectedRequest and gives the reason.
//
// path must be relative to the API root: it starts with a single "/", has
// no empty, "." or ".." segment (also when percent-encoded), no encoded
// slash or backslash, no fragment, and only the characters RFC 3986 allows
// in a path and query, so no space, control character or non-ASCII byte.
// Query parameters must be the ones the route takes, each at most once.
// These rules make joining path to a base URL by concatenation safe.
func CheckRequest(method, path string) error {
	if err := checkPath(path); err != nil {
		return fmt.Errorf("%w: %s %q: %v", ErrRejectedRequest, excerpt(method), excerpt(path), err)
	}
	if err := matchRoute(method, path); err != nil {
		return fmt.Errorf("%w: %s %q: %v", ErrRejectedRequest, excerpt(method), excerpt(path), err)
	}
	return nil
}

// JoinURL checks the request with CheckRequest and joins path to base, an
// absolute http or https URL such as "https://api.eu.intercom.io". A path
// prefix in base is kept.
func JoinURL(base, method, path string) (string, error) {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("base URL %q is not an absolute http or https URL without query; set the region's API root", base)
	}
	if err := CheckRequest(method, path); err != nil {
		return "", err
	}
	return strings.TrimRight(base, "/") + path, nil
}

func checkPath(path string) error {
	switch {
	case path == "":
		return errors.New("the path is empty")
	case len(path) > maxPathLength:
		return fmt.Errorf("the path is longer than %d bytes", maxPathLength)
	case path[0] != '/':
		return errors.New("the path must start with \"/\"; absolute URLs are not accepted")
	case strings.HasPrefix(path, "//"):
		return errors.New("the path starts with \"//\", which names a host")
	}
	for i := 0; i < len(path); i++ {
		if !urlByte(path[i]) {
			return fmt.Errorf("byte %d of the path (%q) is not allowed in a URL path or query", i, path[i])
		}
	}

	rawPath, rawQuery, _ := strings.Cut(path, "?")
	if strings.Contains(rawQuery, "?") {
		return errors.New("the path contains more than one \"?\"")
	}
	for _, seg := range strings.Split(rawPath[1:], "/") {
		if seg == "" {
			return errors.New("the path has an empty segment")
		}
		lower := strings.ToLower(seg)
		if strings.Contains(lower, "%2f") || strings.Contains(lower, "%5c") {
			return errors.New("the path contains an encoded slash or backslash")
		}
		decoded, err := url.PathUnescape(seg)
		if err != nil {
			return fmt.Errorf("the path has invalid percent-encoding: %v", err)
		}
		if decoded == "." || decoded == ".." {
			return errors.New("the path contains a \".\" or \"..\" segment")
		}
		if hasControl(decoded) {
			return errors.New("the path contains an encoded control character")
		}
	}
	return nil
}

// urlByte reports whether c may appear unencoded in a path or query:
// RFC 3986 unreserved and sub-delimiter characters, ':', '@', '/', '?' and
// '%' of percent-encoding.
func urlByte(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("-._~!$&'()*+,;=:@/?%", c) >= 0
}

func hasControl(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] == 0x7f {
			return true
		}
	}
	return false
}

func matchRoute(method, path string) error {
	rawPath, rawQuery, hasQuery := strings.Cut(path, "?")
	segments := strings.Split(rawPath[1:], "/")
	pathKnown := false
	for _, r := range routes {
		if !r.matches(segments) {
			continue
		}
		pathKnown = true
		if !contains(r.methods, method) {
			continue
		}
		return r.checkQuery(rawQuery, hasQuery)
	}
	if pathKnown {
		return errors.New("the method is not allowed on this Intercom route")
	}
	return errors.New("the path is not one of the Intercom routes the gateway sends")
}

func (r route) matches(segments []string) bool {
	if len(segments) != len(r.segments) {
		return false
	}
	for i, want := range r.segments {
		if want != "{id}" && segments[i] != want {
			return false
		}
	}
	return true
}

func (r route) checkQuery(rawQuery string, hasQuery bool) error {
	if r.query == nil {
		if hasQuery {
			return errors.New("this Intercom route takes no query")
		}
		return nil
	}
	values, err := url.ParseQuery(rawQuery)
	if err != nil {
		return fmt.Errorf("the query is invalid: %v", err)
	}
	for key, vs := range values {
		if !contains(r.query, key) {
			return fmt.Errorf("query parameter %q is not one this Intercom route takes", excerpt(key))
		}
		if len(vs) != 1 {
			return fmt.Errorf("query parameter %q appears more than once", key)
		}
		if hasControl(vs[0]) {
			return fmt.Errorf("query parameter %q contains a control character", key)
		}
	}
	if r.oneOf != nil {
		n := 0
		for _, key := range r.oneOf {
			if _, ok := values[key]; ok {
				n++
			}
		}
		if n != 1 {
			return fmt.Errorf("the query must have exactly one of %s", strings.Join(r.oneOf, ", "))
		}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// excerpt shortens a plugin-supplied string for an error or log message.
func excerpt(s string) string {
	const max = 200
	if len(s) <= max {
		return s
	}
	return s[:max] + "..."
}
