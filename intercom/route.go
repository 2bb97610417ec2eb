package intercom

import "strings"

// routeLiterals are the path segments of Intercom's API that are names, not ids.
var routeLiterals = map[string]bool{
	"admins": true, "archive": true, "companies": true, "contacts": true,
	"conversations": true, "data_attributes": true, "events": true, "list": true,
	"me": true, "merge": true, "notes": true, "scroll": true, "search": true,
	"segments": true, "subscriptions": true, "summaries": true, "tags": true,
	"unarchive": true,
}

// maxRouteSegments bounds RouteOf's output; deeper paths become "other".
const maxRouteSegments = 6

// RouteOf returns a low-cardinality route for metrics labels: the method and
// the path without its query, with every segment that is not a known
// Intercom resource name replaced by "{id}". For example
// RouteOf("DELETE", "/contacts/abc/companies/def?x=1") is
// "DELETE /contacts/{id}/companies/{id}".
func RouteOf(method, path string) string {
	if i := strings.IndexAny(path, "?#"); i >= 0 {
		path = path[:i]
	}
	segments := strings.Split(strings.Trim(path, "/"), "/")
	if len(segments) > maxRouteSegments {
		return strings.ToUpper(method) + " other"
	}
	var b strings.Builder
	b.WriteString(strings.ToUpper(method))
	b.WriteByte(' ')
	for _, s := range segments {
		b.WriteByte('/')
		if routeLiterals[s] {
			b.WriteString(s)
		} else if s != "" {
			b.WriteString("{id}")
		}
	}
	return b.String()
}
