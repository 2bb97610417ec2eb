package sim

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tidwall/gjson"
)

// Search page sizes: Intercom's default and maximum per_page.
const (
	defaultSearchPerPage = 50
	maxSearchPerPage     = 150
)

// contactFields are the searchable standard contact fields. Fields the
// simulator never fills (location, browser, last_replied_at, ...) are
// accepted and always unset.
var contactFields = map[string]fieldKind{
	"id": kindString, "role": kindString, "name": kindString, "email": kindString,
	"email_domain": kindString, "phone": kindString, "external_id": kindString,
	"owner_id":   kindInteger,
	"created_at": kindDate, "updated_at": kindDate, "signed_up_at": kindDate, "last_seen_at": kindDate,
	"last_contacted_at": kindDate, "last_replied_at": kindDate,
	"last_email_opened_at": kindDate, "last_email_clicked_at": kindDate,
	"unsubscribed_from_emails": kindBoolean, "marked_email_as_spam": kindBoolean, "has_hard_bounced": kindBoolean,
	"tag_id": kindID, "segment_id": kindID,
	"location.country": kindString, "location.region": kindString, "location.city": kindString,
	"location.country_code": kindString, "location.continent_code": kindString,
	"browser": kindString, "browser_version": kindString, "browser_language": kindString,
	"os": kindString, "language_override": kindString,
}

// resolveContactField returns the kind of a standard field or of a defined
// contact custom attribute ("custom_attributes.<name>").
func (s *Server) resolveContactField(field string) (fieldKind, bool) {
	if kind, ok := contactFields[field]; ok {
		return kind, true
	}
	name, ok := strings.CutPrefix(field, "custom_attributes.")
	if !ok {
		return 0, false
	}
	attr := s.st.customAttribute("contact", name)
	if attr == nil {
		return 0, false
	}
	switch attr.dataType {
	case "integer":
		return kindInteger, true
	case "float":
		return kindFloat, true
	case "boolean":
		return kindBoolean, true
	case "date", "datetime":
		return kindDate, true
	}
	return kindString, true
}

// fieldValue returns a contact's value for a field; ok is false when unset.
func (s *Server) fieldValue(c *contact, field string) (scalar, bool) {
	str := func(p *string) (scalar, bool) {
		if p == nil {
			return scalar{}, false
		}
		return scalar{str: *p}, true
	}
	num := func(p *int64) (scalar, bool) {
		if p == nil {
			return scalar{}, false
		}
		return scalar{num: float64(*p)}, true
	}
	switch field {
	case "id":
		return scalar{str: c.id}, true
	case "role":
		return scalar{str: c.role}, true
	case "name":
		return str(c.name)
	case "email":
		return str(c.email)
	case "email_domain":
		if c.email == nil {
			return scalar{}, false
		}
		return scalar{str: emailDomain(*c.email)}, true
	case "phone":
		return str(c.phone)
	case "external_id":
		return str(c.externalID)
	case "owner_id":
		return num(c.ownerID)
	case "created_at":
		return scalar{num: float64(c.createdAt)}, true
	case "updated_at":
		return scalar{num: float64(c.updatedAt)}, true
	case "signed_up_at":
		return num(c.signedUpAt)
	case "last_seen_at":
		return num(c.lastSeenAt)
	case "unsubscribed_from_emails":
		return scalar{b: c.unsubscribed}, true
	case "marked_email_as_spam", "has_hard_bounced":
		return scalar{b: false}, true
	}
	if name, ok := strings.CutPrefix(field, "custom_attributes."); ok {
		raw, ok := c.custom[name]
		if !ok {
			return scalar{}, false
		}
		v := gjson.ParseBytes(raw)
		switch v.Type {
		case gjson.String:
			return scalar{str: v.Str}, true
		case gjson.Number:
			return scalar{num: v.Float()}, true
		case gjson.True, gjson.False:
			return scalar{b: v.Bool()}, true
		}
	}
	return scalar{}, false
}

func (s *Server) matches(c *contact, n *queryNode) bool {
	switch n.op {
	case "AND":
		for _, child := range n.children {
			if !s.matches(c, child) {
				return false
			}
		}
		return true
	case "OR":
		for _, child := range n.children {
			if s.matches(c, child) {
				return true
			}
		}
		return false
	}
	if n.kind == kindID {
		return s.matchID(c, n)
	}
	value, set := s.fieldValue(c, n.field)
	return s.matchFilter(n, value, set)
}

// matchID handles tag_id and segment_id. The simulator has no segments,
// so every contact is in none.
func (s *Server) matchID(c *contact, n *queryNode) bool {
	want := n.values[0]
	if n.field != "tag_id" {
		return want.null == (n.operator == "=")
	}
	if want.null {
		tagged := len(c.tags) > 0
		return tagged == (n.operator == "!=")
	}
	has := slices.Contains(c.tags, want.str)
	return has == (n.operator == "=")
}

func (s *Server) matchFilter(n *queryNode, value scalar, set bool) bool {
	want := n.values
	if len(want) == 1 && want[0].null {
		return set == (n.operator == "!=")
	}
	switch n.operator {
	case "=":
		return set && s.equal(n, value, want[0])
	case "!=":
		return !set || !s.equal(n, value, want[0])
	case "IN", "NIN":
		found := false
		for _, w := range want {
			if set && s.equal(n, value, w) {
				found = true
				break
			}
		}
		return found == (n.operator == "IN")
	}
	if !set {
		return n.operator == "!~"
	}
	if n.kind == kindDate {
		return s.compareDay(n.operator, int64(value.num), int64(want[0].num))
	}
	switch n.operator {
	case "<":
		return value.num < want[0].num
	case ">":
		return value.num > want[0].num
	case "<=":
		return value.num <= want[0].num
	case ">=":
		return value.num >= want[0].num
	}
	got, w := s.fold(n.field, value.str), s.fold(n.field, want[0].str)
	switch n.operator {
	case "~":
		return strings.Contains(got, w)
	case "!~":
		return !strings.Contains(got, w)
	case "^":
		return strings.HasPrefix(got, w)
	case "$":
		return strings.HasSuffix(got, w)
	}
	return false
}

func (s *Server) equal(n *queryNode, got, want scalar) bool {
	switch n.kind {
	case kindString, kindID:
		return s.fold(n.field, got.str) == s.fold(n.field, want.str)
	case kindBoolean:
		return got.b == want.b
	case kindDate:
		return s.compareDay("=", int64(got.num), int64(want.num))
	}
	return got.num == want.num
}

// fold lower-cases emails unless the simulator compares them exactly.
func (s *Server) fold(field, value string) string {
	if field == "email" && !s.opts.EmailCaseSensitive {
		return strings.ToLower(value)
	}
	return value
}

// compareDay compares dates by calendar day in the workspace time zone, as
// Intercom's search does: "=" matches the whole day, ">" starts at the next
// day, "<" ends before the day.
func (s *Server) compareDay(operator string, got, want int64) bool {
	start := startOfDay(time.Unix(want, 0).In(s.opts.TimeZone))
	next := start.AddDate(0, 0, 1)
	t := time.Unix(got, 0)
	switch operator {
	case "=":
		return !t.Before(start) && t.Before(next)
	case ">":
		return !t.Before(next)
	case "<":
		return t.Before(start)
	}
	return false
}

func startOfDay(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, t.Location())
}

// candidates narrows the scan with the indexes for = on id, external_id and
// email; ok is false when the query needs a full scan.
func (s *Server) candidates(n *queryNode) ([]*contact, bool) {
	switch n.op {
	case "OR":
		var out []*contact
		for _, child := range n.children {
			list, ok := s.candidates(child)
			if !ok {
				return nil, false
			}
			out = append(out, list...)
		}
		return out, true
	case "AND":
		for _, child := range n.children {
			if list, ok := s.candidates(child); ok {
				return list, true
			}
		}
		return nil, false
	}
	if n.operator != "=" || n.values[0].null {
		return nil, false
	}
	switch n.field {
	case "id":
		if c, ok := s.st.contacts[n.values[0].str]; ok {
			return []*contact{c}, true
		}
		return nil, true
	case "external_id":
		if c, ok := s.st.byExternalID[n.values[0].str]; ok {
			return []*contact{c}, true
		}
		return nil, true
	case "email":
		return slices.Clone(s.st.byEmail[s.emailKey(n.values[0].str)]), true
	}
	return nil, false
}

func (s *Server) searchContacts(_ *http.Request, body gjson.Result) (int, any, *apiError) {
	f, ok := objectFields(body)
	if !ok || !f.has("query") {
		return 0, nil, errorf(http.StatusBadRequest, "parameter_invalid", "The search body needs a query object")
	}
	query, err := parseSearchQuery(f.values["query"], s.resolveContactField)
	if err != nil {
		return 0, nil, errorf(http.StatusBadRequest, "parameter_invalid", "%s", err.Error())
	}
	perPage, afterSeq, page, e := parsePagination(f.values["pagination"])
	if e != nil {
		return 0, nil, e
	}

	pool, indexed := s.candidates(query)
	if indexed {
		slices.SortFunc(pool, func(a, b *contact) int { return compareInt64(a.seq, b.seq) })
		pool = slices.CompactFunc(pool, func(a, b *contact) bool { return a == b })
	} else {
		pool = s.st.contactOrder
	}
	now := s.now()
	var matched []*contact
	for _, c := range pool {
		// Archived contacts and contacts still inside the search lag are
		// invisible to search.
		if c.archived || now.Before(c.searchableAt) || !s.matches(c, query) {
			continue
		}
		matched = append(matched, c)
	}

	start, _ := slices.BinarySearchFunc(matched, afterSeq, func(c *contact, seq int64) int { return compareInt64(c.seq, seq+1) })
	end := min(start+perPage, len(matched))
	result := listView[contactView]{Type: "list", Data: []contactView{}, TotalCount: len(matched)}
	for _, c := range matched[start:end] {
		result.Data = append(result.Data, s.contactView(c))
	}
	result.Pages = pagesView{Type: "pages", Page: page, PerPage: perPage, TotalPages: (len(matched) + perPage - 1) / perPage}
	if end < len(matched) {
		result.Pages.Next = &nextPage{Page: page + 1, StartingAfter: encodeCursor(page+1, matched[end-1].seq)}
	}
	return http.StatusOK, result, nil
}

func compareInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// parsePagination reads {"per_page": n, "starting_after": cursor}. The
// cursor is opaque to clients; the simulator encodes the page number and
// the position of the last contact of the previous page.
func parsePagination(v gjson.Result) (perPage int, afterSeq int64, page int, e *apiError) {
	perPage, page = defaultSearchPerPage, 1
	if !v.Exists() || v.Type == gjson.Null {
		return perPage, 0, page, nil
	}
	f, ok := objectFields(v)
	if !ok {
		return 0, 0, 0, typeError("pagination", "an object")
	}
	n, _, e := f.optInt("per_page", false)
	if e != nil {
		return 0, 0, 0, e
	}
	if n != nil {
		if *n < 1 || *n > maxSearchPerPage {
			return 0, 0, 0, errorf(http.StatusBadRequest, "parameter_invalid", "per_page must be between 1 and %d", maxSearchPerPage)
		}
		perPage = int(*n)
	}
	cursor, _, e := f.optString("starting_after")
	if e != nil {
		return 0, 0, 0, e
	}
	if cursor != nil && *cursor != "" {
		p, seq, err := decodeCursor(*cursor)
		if err != nil {
			return 0, 0, 0, errorf(http.StatusBadRequest, "parameter_invalid", "starting_after is not a cursor from a previous page")
		}
		page, afterSeq = p, seq
	}
	return perPage, afterSeq, page, nil
}

func encodeCursor(page int, seq int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(fmt.Sprintf("v1:%d:%d", page, seq)))
}

func decodeCursor(cursor string) (page int, seq int64, err error) {
	raw, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		return 0, 0, err
	}
	parts := strings.Split(string(raw), ":")
	if len(parts) != 3 || parts[0] != "v1" {
		return 0, 0, fmt.Errorf("unknown cursor format")
	}
	page, err = strconv.Atoi(parts[1])
	if err != nil || page < 2 {
		return 0, 0, fmt.Errorf("invalid cursor page")
	}
	seq, err = strconv.ParseInt(parts[2], 10, 64)
	if err != nil || seq < 0 {
		return 0, 0, fmt.Errorf("invalid cursor position")
	}
	return page, seq, nil
}
