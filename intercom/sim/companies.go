package sim

import (
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/tidwall/gjson"
)

// companyKeys are the top-level keys POST /companies accepts. Any other key
// gets 400 "bad '<key>' parameter".
var companyKeys = []string{"name", "company_id", "plan", "size", "website", "industry", "custom_attributes", "remote_created_at", "monthly_spend"}

// maxContactCompanies is Intercom's limit of company associations per contact.
const maxContactCompanies = 1000

// Company list paging: Intercom's default per_page is 15. NOTE: the maximum
// of 60 is the simulator's choice; the 2.10 material does not state one.
const (
	defaultCompanyPerPage = 15
	maxCompanyPerPage     = 60
)

func (s *Server) upsertCompany(_ *http.Request, body gjson.Result) (int, any, *apiError) {
	f, ok := objectFields(body)
	if !ok {
		return 0, nil, errorf(http.StatusBadRequest, "parameter_invalid", "Request body must be a JSON object")
	}
	for _, key := range f.order {
		if !slices.Contains(companyKeys, key) {
			return 0, nil, &apiError{status: http.StatusBadRequest, code: "bad_request", message: fmt.Sprintf("bad '%s' parameter", key), nullRequestID: true}
		}
	}
	companyID, _, e := f.optString("company_id")
	if e != nil {
		return 0, nil, e
	}
	if companyID == nil || *companyID == "" {
		// NOTE: simulator wording. Intercom's response to a company without
		// company_id is not documented for 2.10.
		return 0, nil, errorf(http.StatusBadRequest, "parameter_not_found", "company_id not specified")
	}

	var in companyInput
	if in, e = s.parseCompanyInput(f); e != nil {
		return 0, nil, e
	}

	c, exists := s.st.byCompanyID[*companyID]
	now := s.now().Unix()
	if !exists {
		if len(s.st.companies) >= s.opts.MaxCompanies {
			return 0, nil, capacityError("companies", s.opts.MaxCompanies)
		}
		c = &company{seq: s.st.nextSeq(), id: s.ids.objectID(), companyID: *companyID, createdAt: now}
		s.st.companies[c.id] = c
		s.st.byCompanyID[c.companyID] = c
		s.st.companyOrder = append(s.st.companyOrder, c)
	}
	s.applyCompanyInput(c, in)
	c.updatedAt = now
	return http.StatusOK, s.companyView(c), nil
}

type companyInput struct {
	f                                   fields
	name, plan, website, industry       *string
	size, remoteCreatedAt, monthlySpend *int64
	custom                              []customEntry
}

func (s *Server) parseCompanyInput(f fields) (companyInput, *apiError) {
	in := companyInput{f: f}
	var e *apiError
	for key, dst := range map[string]**string{"name": &in.name, "plan": &in.plan, "website": &in.website, "industry": &in.industry} {
		if *dst, _, e = f.optString(key); e != nil {
			return in, e
		}
	}
	if in.size, _, e = f.optInt("size", false); e != nil {
		return in, e
	}
	if in.remoteCreatedAt, _, e = timestampField(f, "remote_created_at"); e != nil {
		return in, e
	}
	// Intercom truncates a fractional monthly_spend (155.98 becomes 155) and
	// caps it at 2^31-1.
	if in.monthlySpend, _, e = f.optInt("monthly_spend", true); e != nil {
		return in, e
	}
	if in.monthlySpend != nil && (*in.monthlySpend > math.MaxInt32 || *in.monthlySpend < 0) {
		return in, errorf(http.StatusBadRequest, "parameter_invalid", "monthly_spend must be between 0 and %d", math.MaxInt32)
	}
	if v, ok := f.values["custom_attributes"]; ok {
		if in.custom, e = s.parseCustom("company", v); e != nil {
			return in, e
		}
	}
	return in, nil
}

func (s *Server) applyCompanyInput(c *company, in companyInput) {
	if in.f.has("name") {
		c.name = clonePtr(in.name)
	}
	if in.f.has("plan") {
		c.plan = nil
		if nonEmpty(in.plan) {
			c.plan = s.planNamed(*in.plan)
		}
	}
	if in.f.has("size") {
		c.size = clonePtr(in.size)
	}
	if in.f.has("website") {
		c.website = clonePtr(in.website)
	}
	if in.f.has("industry") {
		c.industry = clonePtr(in.industry)
	}
	if in.f.has("remote_created_at") {
		c.remoteCreatedAt = clonePtr(in.remoteCreatedAt)
	}
	if in.monthlySpend != nil {
		c.monthlySpend = *in.monthlySpend
	}
	if len(in.custom) > 0 {
		c.custom = applyCustom(c.custom, in.custom)
	}
}

// planNamed returns the plan with the given name, creating it on first use.
func (s *Server) planNamed(name string) *plan {
	p, ok := s.st.plans[name]
	if !ok {
		p = &plan{id: strconv.Itoa(len(s.st.plans) + 1), name: name}
		s.st.plans[name] = p
	}
	return p
}

func (s *Server) retrieveCompanies(r *http.Request, _ gjson.Result) (int, any, *apiError) {
	q := r.URL.Query()
	if q.Has("company_id") || q.Has("name") {
		c := s.lookupCompany(q)
		if c == nil {
			return 0, nil, errCompanyNotFound
		}
		if !s.opts.CompanyLookupAsList {
			return http.StatusOK, s.companyView(c), nil
		}
		return http.StatusOK, s.companyList([]*company{c}, 1, defaultCompanyPerPage), nil
	}

	page, e := queryInt(q, "page", 1, 1, math.MaxInt32)
	if e != nil {
		return 0, nil, e
	}
	perPage, e := queryInt(q, "per_page", defaultCompanyPerPage, 1, maxCompanyPerPage)
	if e != nil {
		return 0, nil, e
	}
	var matched []*company
	switch {
	case q.Has("segment_id"):
		// The simulator has no segments.
	case q.Has("tag_id"):
		for _, c := range s.st.companyOrder {
			if slices.Contains(c.tags, q.Get("tag_id")) {
				matched = append(matched, c)
			}
		}
	default:
		matched = s.st.companyOrder
	}
	return http.StatusOK, s.companyList(matched, page, perPage), nil
}

// lookupCompany finds a company by company_id, or else by exact name.
func (s *Server) lookupCompany(q url.Values) *company {
	if q.Has("company_id") {
		return s.st.byCompanyID[q.Get("company_id")]
	}
	name := q.Get("name")
	for _, c := range s.st.companyOrder {
		if c.name != nil && *c.name == name {
			return c
		}
	}
	return nil
}

func (s *Server) companyList(all []*company, page, perPage int) listView[companyView] {
	out := listView[companyView]{Type: "list", Data: []companyView{}, TotalCount: len(all)}
	start := min((page-1)*perPage, len(all))
	end := min(start+perPage, len(all))
	for _, c := range all[start:end] {
		out.Data = append(out.Data, s.companyView(c))
	}
	out.Pages = pagesView{Type: "pages", Page: page, PerPage: perPage, TotalPages: (len(all) + perPage - 1) / perPage}
	if end < len(all) {
		out.Pages.Next = &nextPage{Page: page + 1, PerPage: perPage}
	}
	return out
}

func queryInt(q url.Values, key string, fallback, low, high int) (int, *apiError) {
	if !q.Has(key) {
		return fallback, nil
	}
	n, err := strconv.Atoi(q.Get(key))
	if err != nil || n < low || n > high {
		return 0, errorf(http.StatusBadRequest, "parameter_invalid", "%s must be an integer from %d to %d", key, low, high)
	}
	return n, nil
}

func (s *Server) getCompany(r *http.Request, _ gjson.Result) (int, any, *apiError) {
	c, ok := s.st.companies[r.PathValue("id")]
	if !ok {
		return 0, nil, errCompanyNotFound
	}
	return http.StatusOK, s.companyView(c), nil
}

func (s *Server) attachCompany(r *http.Request, body gjson.Result) (int, any, *apiError) {
	ct, ok := s.liveContact(r.PathValue("id"))
	if !ok {
		return 0, nil, errUserNotFound
	}
	f, _ := objectFields(body)
	id, _, _ := f.optString("id")
	if !nonEmpty(id) {
		return 0, nil, errorf(http.StatusBadRequest, "parameter_not_found", "company not specified")
	}
	co, ok := s.st.companies[*id]
	if !ok {
		return 0, nil, errCompanyNotFound
	}
	if slices.Contains(ct.companies, co.id) {
		return http.StatusOK, s.companyView(co), nil
	}
	if len(ct.companies) >= maxContactCompanies {
		return 0, nil, errorf(http.StatusBadRequest, "contact_company_limit_exceeded", "Contact has reached the maximum of %d company associations", maxContactCompanies)
	}
	ct.companies = append(ct.companies, co.id)
	co.contacts = append(co.contacts, ct.id)
	now := s.now().Unix()
	ct.updatedAt, co.updatedAt = now, now
	return http.StatusOK, s.companyView(co), nil
}

func (s *Server) detachCompany(r *http.Request, _ gjson.Result) (int, any, *apiError) {
	ct, ok := s.liveContact(r.PathValue("contact_id"))
	if !ok {
		return 0, nil, errUserNotFound
	}
	co, ok := s.st.companies[r.PathValue("id")]
	if !ok {
		return 0, nil, errCompanyNotFound
	}
	// NOTE: detaching a company that is not attached returns the company,
	// like a successful detach. Intercom's response to that case is not documented.
	ct.companies = slices.DeleteFunc(ct.companies, func(id string) bool { return id == co.id })
	co.contacts = slices.DeleteFunc(co.contacts, func(id string) bool { return id == ct.id })
	now := s.now().Unix()
	ct.updatedAt, co.updatedAt = now, now
	return http.StatusOK, s.companyView(co), nil
}
