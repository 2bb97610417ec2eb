package migrate

// Finding is one problem or warning of a Report: what is wrong, how many
// events show it and which ones.
type Finding struct {
	// Kind is one of the Kind constants.
	Kind string `json:"kind"`
	// Subject names what the finding is about, such as
	// `contact attribute "user.email"` or "identify events".
	Subject string `json:"subject"`
	// Message explains what happens under API 2.10 and what to do.
	Message string `json:"message"`
	// Count is the number of sample events that show it, or 0 when the
	// finding is about the settings or the workspace.
	Count int `json:"count,omitempty"`
	// Examples lists up to maxExamples of those events, by messageId or,
	// without one, by position in the file.
	Examples []string `json:"examples,omitempty"`
}

// Kinds of blocking problems.
const (
	// KindRefusedName is a custom attribute name Intercom rejects.
	KindRefusedName = "refused_name"
	// KindTypeConflict is an attribute seen with incompatible types.
	KindTypeConflict = "type_conflict"
	// KindUndefined is an attribute the workspace does not define.
	KindUndefined = "undefined_attribute"
	// KindTypeMismatch is an attribute the workspace defines with an
	// incompatible type.
	KindTypeMismatch = "type_mismatch"
	// KindArchived is an attribute the workspace has archived.
	KindArchived = "archived_attribute"
	// KindLimit is the workspace's limit of custom attributes.
	KindLimit = "attribute_limit"
	// KindInvalidEvent is an event the mapping rejects as invalid.
	KindInvalidEvent = "invalid_event"
	// KindIngestRejected is an event the ingestion API rejects.
	KindIngestRejected = "rejected_at_ingestion"
	// KindDryRunFailed is an event whose dry run ended neither delivered
	// nor invalid, which points to a setting or a mapping bug.
	KindDryRunFailed = "dry_run_failed"
	// KindSetting is a setting the gateway rejects.
	KindSetting = "setting"
)

// Kinds of warnings.
const (
	// KindNotSent is a page, screen or alias event, which the gateway
	// accepts but does not send to Intercom.
	KindNotSent = "not_sent"
	// KindLastRequestAt is an event or setting that asked API 1.4 to
	// update the last request time.
	KindLastRequestAt = "update_last_request_at"
	// KindLastSeen is an identify without lastSeenAt while the old
	// settings had updateLastRequestAt on.
	KindLastSeen = "last_seen_not_sent"
	// KindUserCompany is an identify with traits.company, which API 2.10
	// writes as a separate company and attaches.
	KindUserCompany = "user_company"
	// KindUserCompanies is an identify with a companies list, which the
	// gateway flattens into custom attributes instead of attaching.
	KindUserCompanies = "user_companies"
	// KindNestedTraits is a nested trait, flattened with "_" where API 1.4
	// integrations joined keys with ".".
	KindNestedTraits = "nested_traits"
	// KindMappingWarning is a warning the mapping raised for an event.
	KindMappingWarning = "mapping_warning"
	// KindEventFilter is a RudderStack event filter the gateway does not
	// apply.
	KindEventFilter = "event_filter"
)

// maxExamples bounds Finding.Examples.
const maxExamples = 3

// findingSet groups findings by kind, subject and message while the events
// are read, keeping the order in which each was first seen.
type findingSet struct {
	order []*Finding
	index map[[3]string]*Finding
}

// add counts one event, identified by label, for the finding.
func (s *findingSet) add(kind, subject, message, label string) {
	if s.index == nil {
		s.index = map[[3]string]*Finding{}
	}
	key := [3]string{kind, subject, message}
	f, ok := s.index[key]
	if !ok {
		f = &Finding{Kind: kind, Subject: subject, Message: message}
		s.index[key] = f
		s.order = append(s.order, f)
	}
	f.Count++
	if len(f.Examples) < maxExamples {
		f.Examples = append(f.Examples, label)
	}
}

// list returns the findings in first-seen order.
func (s *findingSet) list() []Finding {
	out := make([]Finding, 0, len(s.order))
	for _, f := range s.order {
		out = append(out, *f)
	}
	return out
}
