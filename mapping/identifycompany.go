package mapping

import (
	"net/url"

	"github.com/tidwall/gjson"
)

// Phases of the company part of an identify.
const (
	phaseCompanyFind   = "identify.company.find"
	phaseCompanyDetach = "identify.company.detach"
	phaseCompanyUpsert = "identify.company.upsert"
	phaseCompanyAttach = "identify.company.attach"
)

// identifyCompany is the company named in an identify's traits.company.
type identifyCompany struct {
	src    companySource
	remove bool
	// lookupQuery is the GET /companies query that finds it for a detach.
	lookupQuery string
}

// readIdentifyCompany reads traits.company. ok is false when there is no
// company to handle; a company that cannot be used adds a warning.
func (s *step) readIdentifyCompany(traits []field) (c identifyCompany, ok bool) {
	if s.isReverseETL() {
		return c, false
	}
	v := traitValue(traits, "company")
	switch {
	case !hasValue(v):
		return c, false
	case v.Type == gjson.String:
		c.src = companySource{companyID: companyIDFromName(v.Str), fields: []field{{"name", v}}}
		return c, true
	case !v.IsObject():
		s.warn("traits.company is %s, not an object with an id or a name, so no company was attached", describe(v))
		return c, false
	}

	fields := objectFields(v, nil)
	id, _ := scalarString(traitValue(fields, "id"))
	name, _ := scalarString(traitValue(fields, "name"))
	if id == "" && name == "" {
		s.warn("traits.company has neither an id nor a name, so no company was attached")
		return c, false
	}
	c.remove = traitValue(fields, "remove").Type == gjson.True
	if id != "" {
		c.lookupQuery = "company_id=" + url.QueryEscape(id)
	} else {
		c.lookupQuery = "name=" + url.QueryEscape(name)
		id = companyIDFromName(name)
	}
	c.src = companySource{
		companyID: id,
		fields:    fields,
		skip:      func(n string) bool { return n == "id" || n == "remove" },
	}
	return c, true
}

// companyStart continues an identify once the contact is written: attach
// or detach the company of traits.company, or finish.
func (s *step) companyStart(traits []field, contactID string, found bool) {
	c, ok := s.readIdentifyCompany(traits)
	if !ok {
		s.done(contactDone(contactID, found))
		return
	}
	if c.remove {
		if !found {
			s.done(contactDone(contactID, found) + "; the contact is new, so there was no company to detach")
			return
		}
		s.bodyless("GET", "/companies?"+c.lookupQuery, "find the Intercom id of the company to detach")
		s.finishRequests(phaseCompanyFind, "contact", contactID, "found", "true")
		return
	}
	if s.writeCompanyRequest(c.src) {
		s.finishRequests(phaseCompanyUpsert, "contact", contactID, "found", boolString(found))
	}
}

// companyPhase handles the answers of the company calls of an identify.
func (s *step) companyPhase(traits []field) {
	if !s.expect(1) {
		return
	}
	r := s.responses[0]
	contactID := s.state.Get("contact").String()
	found := s.state.Get("found").String() == "true"

	switch s.phase {
	case phaseCompanyFind:
		if r.status == 404 {
			s.warn("the company to detach was not found in Intercom, so nothing was detached")
			s.done(contactDone(contactID, found))
			return
		}
		if !r.ok() {
			s.failCall("GET /companies", r)
			return
		}
		companyID := companyIDOf(r.body)
		if companyID == "" {
			s.warn("Intercom's company lookup returned no company id, so nothing was detached")
			s.done(contactDone(contactID, found))
			return
		}
		s.bodyless("DELETE", "/contacts/"+url.PathEscape(contactID)+"/companies/"+url.PathEscape(companyID), "detach the contact from the company (traits.company.remove is true)")
		s.finishRequests(phaseCompanyDetach, "contact", contactID, "found", "true", "company", companyID)

	case phaseCompanyDetach:
		if !r.ok() {
			s.failCall("DELETE /contacts/"+contactID+"/companies/"+s.state.Get("company").String(), r)
			return
		}
		s.done(contactDone(contactID, found) + "; company " + s.state.Get("company").String() + " detached")

	case phaseCompanyUpsert:
		if !r.ok() {
			s.failCall("POST /companies", r)
			return
		}
		companyID := companyIDOf(r.body)
		if companyID == "" {
			s.fail(OutcomeRetrying, "POST /companies: Intercom's answer has no company id; the event will be retried")
			return
		}
		s.writeAttach(contactID, companyID, "attach the contact to the company of traits.company")
		s.finishRequests(phaseCompanyAttach, "contact", contactID, "found", boolString(found), "company", companyID)

	case phaseCompanyAttach:
		if !r.ok() {
			s.failCall("POST /contacts/"+contactID+"/companies", r)
			return
		}
		s.done(contactDone(contactID, found) + "; company " + s.state.Get("company").String() + " attached")

	default:
		s.fail(OutcomeRetrying, "the step state names an unknown phase "+quote(s.phase)+"; the event will be retried from the start")
	}
}

func contactDone(id string, found bool) string {
	if found {
		return "contact " + id + " updated"
	}
	return "contact " + id + " created"
}

func boolString(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

func quote(s string) string { return string(appendQuoted(nil, s)) }
