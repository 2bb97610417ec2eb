package mapping

import (
	"fmt"
	"strings"

	"github.com/tidwall/gjson"
)

const phaseTrackSend = "track.send"

// maxMetadataKeys is how many metadata keys Intercom keeps per event; it
// ignores the rest.
const maxMetadataKeys = 10

func (s *step) track() {
	switch s.phase {
	case "":
		s.trackStart()
	case phaseTrackSend:
		s.trackAfterSend()
	default:
		s.fail(OutcomeRetrying, "the step state names an unknown phase "+quote(s.phase)+"; the event will be retried from the start")
	}
}

func (s *step) trackStart() {
	s.beginRequest("POST", "/events", "record the track as a data event")
	s.out.key("body")
	var err error
	if s.isReverseETL() {
		err = s.writeReverseETLEvent()
	} else {
		err = s.writeEventBody()
	}
	if err != nil {
		s.fail(OutcomeInvalidEvent, "invalid event: "+err.Error())
		return
	}
	s.endRequest()
	s.finishRequests(phaseTrackSend)
}

// writeEventBody writes the POST /events body of a track. The event's id is
// not filled from properties.id: in this endpoint id is Intercom's contact id.
func (s *step) writeEventBody() error {
	name := s.ev.top.get("event")
	if name.Type != gjson.String || strings.TrimSpace(name.Str) == "" {
		return fmt.Errorf("the track has no event name (event is %s); send the name of what happened, such as \"Order Completed\"", describe(name))
	}
	userID, _ := scalarString(first(s.ev, userIDPaths))
	if userID == "" && s.settings.SendAnonymousID {
		userID, _ = scalarString(s.ev.top.get("anonymousId"))
	}
	var email string
	if v := first(s.ev, emailPaths); v.Type == gjson.String {
		email = strings.TrimSpace(v.Str)
	}
	if userID == "" && email == "" {
		return fmt.Errorf("the track has neither a user id (userId) nor an email (traits.email, context.traits.email, properties.email); send one of them, or enable sendAnonymousId to use the anonymousId")
	}

	w := &s.out
	w.openObject()
	w.strField("event_name", name.Str)
	s.writeCreatedAt(w)
	if userID != "" {
		w.strField("user_id", userID)
	}
	if email != "" {
		w.strField("email", email)
	}
	if err := s.writeMetadata(w); err != nil {
		return err
	}
	w.closeObject()
	return nil
}

// writeCreatedAt writes created_at from the event's timestamp, else from
// receivedAt, which the gateway sets when it accepts the event, else from
// the host's time in the step input, since Intercom requires it. A retried
// or redelivered event keeps the same created_at, so Intercom's duplicate
// check on contact, name and created_at drops a second delivery.
func (s *step) writeCreatedAt(w *jsonWriter) {
	ts := first(s.ev, timestampPaths)
	if hasValue(ts) {
		if sec, ok := unixSeconds(ts); ok {
			w.intField("created_at", sec)
			return
		}
		s.warn("timestamp %s is not a time, so created_at is the time the gateway received the event", excerpt(ts.Raw))
	}
	if received := s.ev.top.get("receivedAt"); hasValue(received) {
		if sec, ok := unixSeconds(received); ok {
			w.intField("created_at", sec)
			return
		}
	}
	if s.now > 0 {
		w.intField("created_at", s.now)
		return
	}
	s.warn("the event has no timestamp and the host sent no time, so created_at was not sent")
}

// writeMetadata writes the properties as flat metadata, with monetary
// amounts and rich links kept as objects.
func (s *step) writeMetadata(w *jsonWriter) error {
	fields := s.ev.properties.fields
	if len(fields) == 0 {
		return nil
	}
	mark := len(w.buf)
	w.key("metadata")
	w.openObject()
	f := flattener{w: w, style: styleMetadata}
	if err := f.writeFields(fields); err != nil {
		return err
	}
	w.closeObject()
	s.warnings = append(s.warnings, f.warnings...)
	if len(f.names) == 0 {
		w.buf = w.buf[:mark]
		w.comma = true
	}
	if len(f.names) > maxMetadataKeys {
		s.warn("the event has %d metadata keys; Intercom keeps the first %d and ignores %s", len(f.names), maxMetadataKeys, strings.Join(quoteAll(f.names[maxMetadataKeys:], 5), ", "))
	}
	return nil
}

// writeReverseETLEvent writes the traits of a reverse-ETL track as the
// event body, as given.
func (s *step) writeReverseETLEvent() error {
	traits := s.reverseETLTraits()
	if !traits.IsObject() {
		return fmt.Errorf("the reverse-ETL track has no traits object to send as the event")
	}
	w := &s.out
	w.openObject()
	for _, f := range objectFields(traits, nil) {
		w.rawField(f.key, f.value.Raw)
	}
	w.closeObject()
	return nil
}

func (s *step) trackAfterSend() {
	if !s.expect(1) {
		return
	}
	r := s.responses[0]
	if r.status == 404 {
		// A track that arrives before its identify: the contact does not
		// exist yet, so the host retries within its retry budget.
		out := appendResult(s.out.buf[:s.start], OutcomeRetrying,
			"POST /events: Intercom has no contact for this event yet (404 User Not Found); it will be retried, and is reported when the retry budget is spent",
			s.allWarnings(), errorsOf("POST /events", r))
		s.out.buf = out
		return
	}
	if !r.ok() {
		s.failCall("POST /events", r)
		return
	}
	name := s.ev.top.get("event").String()
	if s.isReverseETL() {
		name = s.reverseETLTraits().Get("event_name").String()
	}
	s.done("event " + quote(name) + " sent")
}

// quoteAll quotes the first max names and appends a count of the rest.
func quoteAll(names []string, max int) []string {
	out := make([]string, 0, max+1)
	for i, n := range names {
		if i == max {
			out = append(out, fmt.Sprintf("%d more", len(names)-max))
			break
		}
		out = append(out, quote(n))
	}
	return out
}

// reverseETLTraits is the event body of a reverse-ETL track: traits, else
// context.traits.
func (s *step) reverseETLTraits() gjson.Result {
	if s.ev.traits.raw.IsObject() {
		return s.ev.traits.raw
	}
	return s.ev.contextTraits.raw
}
