package mapping

import (
	"net/url"
	"regexp"

	"github.com/tidwall/gjson"
)

// Phases of an identify, stored in the step state.
const (
	phaseIdentifySearch    = "identify.search"
	phaseIdentifyWrite     = "identify.write"
	phaseIdentifyUnarchive = "identify.unarchive"
)

// conflictID finds the existing contact's id in a 409 conflict message such
// as "A contact matching those details already exists with id=6762f0dd".
var conflictID = regexp.MustCompile(`with id=([A-Za-z0-9_-]+)\s*$`)

// archivedConflict matches the 409 message for an archived contact.
var archivedConflict = regexp.MustCompile(`(?i)^an archived contact`)

// identifyTraits returns an identify's traits: context.traits overlaid by
// traits, since RudderStack SDKs send the former and Segment SDKs the latter.
func (s *step) identifyTraits() []field {
	return overlay(s.ev.contextTraits.fields, s.ev.traits.fields)
}

func (s *step) isReverseETL() bool {
	mapped := s.ev.context.get("mappedToDestination")
	return mapped.Type == gjson.True || (mapped.Type == gjson.String && mapped.Str == "true")
}

func (s *step) identify() {
	traits := s.identifyTraits()
	var key contactKey
	if s.isReverseETL() {
		key = s.reverseETLContactKey()
	} else {
		key = s.readContactKey(traits)
	}

	switch s.phase {
	case "":
		s.identifyStart(key, traits)
	case phaseIdentifySearch:
		s.identifyAfterSearch(key, traits)
	case phaseIdentifyWrite:
		s.identifyAfterWrite(traits)
	case phaseIdentifyUnarchive:
		s.identifyAfterUnarchive(traits)
	default:
		s.companyPhase(traits)
	}
}

func (s *step) identifyStart(key contactKey, traits []field) {
	if key.externalID == "" && key.email == "" {
		s.fail(OutcomeInvalidEvent, "invalid event: the identify has neither a user id (userId, traits.userId, traits.id) nor an email (traits.email, context.traits.email); send one of them, or enable sendAnonymousId to use the anonymousId")
		return
	}
	// Build the body once before any call, so an event that cannot be
	// mapped is rejected before anything reaches Intercom.
	if err := s.checkContactBody(traits, key); err != nil {
		s.fail(OutcomeInvalidEvent, "invalid event: "+err.Error())
		return
	}
	// The company is read again after the contact is written, and its
	// warnings are reported then.
	mark := len(s.warnings)
	if c, ok := s.readIdentifyCompany(traits); ok && !c.remove {
		if err := checkCompanyBody(c.src); err != nil {
			s.fail(OutcomeInvalidEvent, "invalid event: "+err.Error())
			return
		}
	}
	s.warnings = s.warnings[:mark]

	conds := key.searchConditions()
	if len(conds) == 0 {
		s.warn("lookup field %q has no usable value and there is no user id, so the contact was created without a search", key.lookup)
		if s.writeContact("POST", "/contacts", traits, key, "create the contact (nothing to search by)") {
			s.finishRequests(phaseIdentifyWrite)
		}
		return
	}
	s.writeSearch(conds)
	s.finishRequests(phaseIdentifySearch)
}

func (s *step) identifyAfterSearch(key contactKey, traits []field) {
	if !s.expect(1) {
		return
	}
	r := s.responses[0]
	if !r.ok() {
		s.failCall("POST /contacts/search", r)
		return
	}
	if id := key.chooseContact(r.body); id != "" {
		if s.writeContact("PUT", "/contacts/"+url.PathEscape(id), traits, key, "update the contact the search found") {
			s.finishRequests(phaseIdentifyWrite, "contact", id, "found", "true")
		}
		return
	}
	if s.writeContact("POST", "/contacts", traits, key, "create the contact, since the search found none") {
		s.finishRequests(phaseIdentifyWrite)
	}
}

func (s *step) identifyAfterWrite(traits []field) {
	if !s.expect(1) {
		return
	}
	r := s.responses[0]
	contactID := s.state.Get("contact").String()
	call := "POST /contacts"
	if contactID != "" {
		call = "PUT /contacts/" + contactID
	}

	if r.status == 409 && s.state.Get("recovered").String() == "" {
		s.recoverConflict(call, r, traits)
		return
	}
	if !r.ok() {
		s.failCall(call, r)
		return
	}
	if id, ok := scalarString(r.body.Get("id")); ok && id != "" {
		contactID = id
	}
	if contactID == "" {
		s.fail(OutcomeRetrying, call+": Intercom's answer has no contact id; the event will be retried")
		return
	}
	s.companyStart(traits, contactID, s.state.Get("found").String() == "true")
}

// recoverConflict handles a 409 on a contact write. The message names the
// existing contact, which is updated instead. When the message reports an
// archived contact, it is unarchived first.
func (s *step) recoverConflict(call string, r response, traits []field) {
	var message string
	r.body.Get("errors").ForEach(func(_, e gjson.Result) bool {
		message = e.Get("message").String()
		return message == ""
	})
	m := conflictID.FindStringSubmatch(message)
	if m == nil {
		s.failCall(call, r)
		return
	}
	id := m[1]
	if archivedConflict.MatchString(message) {
		s.bodyless("POST", "/contacts/"+url.PathEscape(id)+"/unarchive", "unarchive the archived contact that Intercom's 409 conflict named")
		s.finishRequests(phaseIdentifyUnarchive, "contact", id)
		return
	}
	s.warn("Intercom reported a conflict with contact %s; that contact was updated instead", id)
	s.updateRecovered(id, traits)
}

func (s *step) identifyAfterUnarchive(traits []field) {
	if !s.expect(1) {
		return
	}
	id := s.state.Get("contact").String()
	if r := s.responses[0]; !r.ok() {
		s.failCall("POST /contacts/"+id+"/unarchive", r)
		return
	}
	s.warn("contact %s was archived in Intercom; it was unarchived and updated", id)
	s.updateRecovered(id, traits)
}

// updateRecovered updates the contact that a 409 conflict named. The state
// marks the recovery so that a second 409 ends the event instead of looping.
func (s *step) updateRecovered(id string, traits []field) {
	if s.writeContact("PUT", "/contacts/"+url.PathEscape(id), traits, s.contactKeyFor(traits), "update the existing contact that Intercom's 409 conflict named") {
		s.finishRequests(phaseIdentifyWrite, "contact", id, "found", "true", "recovered", "true")
	}
}

func (s *step) contactKeyFor(traits []field) contactKey {
	if s.isReverseETL() {
		return s.reverseETLContactKey()
	}
	return s.readContactKey(traits)
}

// writeContact writes a create or update request with the contact body.
// The first step already built the body once, so this should not fail. If
// it does, the event ends as invalid and writeContact returns false.
func (s *step) writeContact(method, path string, traits []field, key contactKey, reason string) bool {
	s.beginRequest(method, path, reason)
	s.out.key("body")
	var err error
	if s.isReverseETL() {
		err = s.writeReverseETLContact(key)
	} else {
		var warnings []string
		warnings, err = writeContactBody(&s.out, s.ev, traits, key, s.settings)
		s.warnings = append(s.warnings, warnings...)
	}
	if err != nil {
		s.fail(OutcomeInvalidEvent, "invalid event: "+err.Error())
		return false
	}
	s.endRequest()
	return true
}

func (s *step) checkContactBody(traits []field, key contactKey) error {
	if s.isReverseETL() {
		return nil
	}
	scratch := jsonWriter{buf: make([]byte, 0, 512)}
	_, err := writeContactBody(&scratch, s.ev, traits, key, s.settings)
	return err
}
