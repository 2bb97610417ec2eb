package sim

import (
	"net/http"
	"slices"
	"strings"

	"github.com/tidwall/gjson"
)

type tagTarget struct {
	company *company
	contact *contact
	untag   bool
}

var errInvalidTag = errorf(http.StatusBadRequest, "parameter_invalid", "invalid tag parameters")

// createTag serves the four POST /tags body shapes: create or rename a tag,
// tag or untag companies, and tag contacts ("users"). Tag names are
// case-insensitive. Every target is resolved before anything changes.
func (s *Server) createTag(_ *http.Request, body gjson.Result) (int, any, *apiError) {
	f, ok := objectFields(body)
	if !ok {
		return 0, nil, errInvalidTag
	}
	name, _, e := f.optString("name")
	if e != nil || !nonEmpty(name) {
		return 0, nil, errInvalidTag
	}
	hasCompanies, hasUsers := f.has("companies"), f.has("users")
	if hasCompanies && hasUsers {
		return 0, nil, errInvalidTag
	}

	if id, _, _ := f.optString("id"); nonEmpty(id) && !hasCompanies && !hasUsers {
		t, ok := s.st.tags[*id]
		if !ok {
			return 0, nil, errNoRoute
		}
		delete(s.st.tagByName, strings.ToLower(t.name))
		t.name = *name
		s.st.tagByName[strings.ToLower(t.name)] = t
		return http.StatusOK, tagBasic{Type: "tag", ID: t.id, Name: t.name}, nil
	}

	var targets []tagTarget
	switch {
	case hasCompanies:
		if targets, e = s.companyTargets(f.values["companies"]); e != nil {
			return 0, nil, e
		}
	case hasUsers:
		if targets, e = s.contactTargets(f.values["users"]); e != nil {
			return 0, nil, e
		}
	}

	t, ok := s.st.tagByName[strings.ToLower(*name)]
	if !ok {
		if len(s.st.tags) >= s.opts.MaxTags {
			return 0, nil, capacityError("tags", s.opts.MaxTags)
		}
		t = &tag{id: s.ids.objectID(), name: *name}
		s.st.tags[t.id] = t
		s.st.tagByName[strings.ToLower(t.name)] = t
		s.st.tagOrder = append(s.st.tagOrder, t)
	}
	for _, target := range targets {
		switch {
		case target.company != nil:
			target.company.tags = setMember(target.company.tags, t.id, !target.untag)
		case target.contact != nil:
			target.contact.tags = setMember(target.contact.tags, t.id, true)
		}
	}
	return http.StatusOK, tagBasic{Type: "tag", ID: t.id, Name: t.name}, nil
}

func (s *Server) companyTargets(v gjson.Result) ([]tagTarget, *apiError) {
	if !v.IsArray() {
		return nil, errInvalidTag
	}
	var out []tagTarget
	for _, item := range v.Array() {
		f, ok := objectFields(item)
		if !ok {
			return nil, errInvalidTag
		}
		var c *company
		if id, _, _ := f.optString("id"); nonEmpty(id) {
			c = s.st.companies[*id]
		} else if cid, _, _ := f.optString("company_id"); nonEmpty(cid) {
			c = s.st.byCompanyID[*cid]
		} else {
			return nil, errInvalidTag
		}
		if c == nil {
			return nil, errCompanyNotFound
		}
		untag, _, _ := f.optBool("untag")
		out = append(out, tagTarget{company: c, untag: untag != nil && *untag})
	}
	return out, nil
}

func (s *Server) contactTargets(v gjson.Result) ([]tagTarget, *apiError) {
	if !v.IsArray() {
		return nil, errInvalidTag
	}
	var out []tagTarget
	for _, item := range v.Array() {
		f, ok := objectFields(item)
		if !ok {
			return nil, errInvalidTag
		}
		id, _, _ := f.optString("id")
		if !nonEmpty(id) {
			return nil, errInvalidTag
		}
		c, ok := s.liveContact(*id)
		if !ok {
			return nil, errUserNotFound
		}
		out = append(out, tagTarget{contact: c})
	}
	return out, nil
}

func setMember(list []string, id string, present bool) []string {
	has := slices.Contains(list, id)
	switch {
	case present && !has:
		return append(list, id)
	case !present && has:
		return slices.DeleteFunc(list, func(x string) bool { return x == id })
	}
	return list
}
