package mapping

import (
	"strings"

	"github.com/tidwall/gjson"
)

// Phases of a group, stored in the step state.
const (
	phaseGroupUpsert = "group.upsert"
	phaseGroupAttach = "group.attach"
)

func (s *step) group() {
	switch s.phase {
	case "":
		s.groupStart()
	case phaseGroupUpsert:
		s.groupAfterUpsert()
	case phaseGroupAttach:
		s.groupAfterAttach()
	default:
		s.fail(OutcomeRetrying, "the step state names an unknown phase "+quote(s.phase)+"; the event will be retried from the start")
	}
}

// groupCompany reads the company of a group from the group's traits only:
// context.traits on a group call describe the user, not the company.
func (s *step) groupCompany(key contactKey) (companySource, bool) {
	groupID, ok := scalarString(first(s.ev, groupIDPaths))
	if !ok || groupID == "" {
		return companySource{}, false
	}
	lookup := key.lookup
	return companySource{
		companyID: groupID,
		fields:    s.ev.traits.fields,
		skip:      func(n string) bool { return lookup != "email" && n == lookup },
	}, true
}

func (s *step) groupStart() {
	key := s.readContactKey(nil)
	src, ok := s.groupCompany(key)
	if !ok {
		s.fail(OutcomeInvalidEvent, "invalid event: the group has no group id (groupId, traits.groupId); send the id of the company")
		return
	}
	if err := checkCompanyBody(src); err != nil {
		s.fail(OutcomeInvalidEvent, "invalid event: "+err.Error())
		return
	}

	// Finding the contact and writing the company do not depend on each
	// other, so both go in this step.
	conds := key.searchConditions()
	searched := len(conds) > 0
	if searched {
		s.writeSearch(conds)
	}
	if !s.writeCompanyRequest(src) {
		return
	}
	s.finishRequests(phaseGroupUpsert, "searched", boolString(searched))
}

func (s *step) groupAfterUpsert() {
	searched := s.state.Get("searched").String() == "true"
	want := 1
	if searched {
		want = 2
	}
	if !s.expect(want) {
		return
	}
	companyAnswer := s.responses[want-1]
	if searched && !s.responses[0].ok() {
		s.failCalls([]string{"POST /contacts/search", "POST /companies"}, s.responses)
		return
	}
	if !companyAnswer.ok() {
		s.failCall("POST /companies", companyAnswer)
		return
	}
	companyID := companyIDOf(companyAnswer.body)
	if companyID == "" {
		s.fail(OutcomeRetrying, "POST /companies: Intercom's answer has no company id; the event will be retried")
		return
	}

	contactID := ""
	if searched {
		contactID = s.readContactKey(nil).chooseContact(s.responses[0].body)
		if contactID == "" {
			s.warn("no contact matched the group's user, so company %s was written without attaching a contact", companyID)
		}
	}
	if contactID != "" {
		s.writeAttach(contactID, companyID, "attach the group's contact to the company")
	}
	for _, tag := range s.groupTags() {
		s.beginRequest("POST", "/tags", "tag the company "+quote(tag))
		s.out.key("body")
		s.out.openObject()
		s.out.strField("name", tag)
		s.out.key("companies")
		s.out.openArray()
		s.out.openObject()
		s.out.strField("id", companyID)
		s.out.closeObject()
		s.out.closeArray()
		s.out.closeObject()
		s.endRequest()
	}
	if s.requests == 0 {
		s.done("company " + companyID + " written")
		return
	}
	tags := s.requests - boolInt(contactID != "")
	s.finishRequests(phaseGroupAttach, "company", companyID, "contact", contactID, "tags", itoa(tags))
}

// groupTags lists the distinct tag names of the group traits' tags, else of
// context.traits.tags. A single string is one tag; other values are skipped
// with a warning.
func (s *step) groupTags() []string {
	tags := s.ev.traits.get("tags")
	if !hasValue(tags) {
		tags = s.ev.contextTraits.get("tags")
	}
	if !hasValue(tags) {
		return nil
	}
	if tags.Type == gjson.String {
		return []string{tags.Str}
	}
	if !tags.IsArray() {
		s.warn("tags is %s, not a list of names, so no tag was applied", describe(tags))
		return nil
	}
	var names []string
	tags.ForEach(func(_, t gjson.Result) bool {
		name, ok := scalarString(t)
		if !ok || strings.TrimSpace(name) == "" {
			s.warn("tag %s is not a name, so it was skipped", excerpt(t.Raw))
			return true
		}
		for _, n := range names {
			if n == name {
				return true
			}
		}
		names = append(names, name)
		return true
	})
	return names
}

func (s *step) groupAfterAttach() {
	companyID := s.state.Get("company").String()
	contactID := s.state.Get("contact").String()
	// The tag count comes from the state: reading the tags again would
	// repeat their warnings.
	tags := int(s.state.Get("tags").Int())
	var calls []string
	if contactID != "" {
		calls = append(calls, "POST /contacts/"+contactID+"/companies")
	}
	for i := 0; i < tags && i < MaxRequestsPerStep; i++ {
		calls = append(calls, "POST /tags")
	}
	if !s.expect(len(calls)) {
		return
	}
	for _, r := range s.responses {
		if !r.ok() {
			s.failCalls(calls, s.responses)
			return
		}
	}
	msg := "company " + companyID + " written"
	if contactID != "" {
		msg += "; contact " + contactID + " attached"
	}
	if tags > 0 {
		msg += "; " + itoa(tags) + " tag(s) applied"
	}
	s.done(msg)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
