package mapping

import (
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"net/url"

	"github.com/tidwall/gjson"
)

// isReservedCompanyTrait reports whether a group trait maps to a standard
// company field, or is read for another purpose, rather than being a custom
// attribute. groupId is the company_id itself.
func isReservedCompanyTrait(name string) bool {
	switch name {
	case "tags", "size", "plan", "name", "email", "userId", "website",
		"industry", "segments", "userCount", "createdAt", "sessionCount",
		"monthlySpend", "remoteCreatedAt", "groupId":
		return true
	}
	return false
}

// companySource is the input of a company body: the traits of a group, or
// the company object of an identify.
type companySource struct {
	companyID string
	fields    []field
	// skip names a field that is not a custom attribute in this source,
	// such as the lookup field of a group, or "id" and "remove" of an
	// identify's company.
	skip func(name string) bool
}

// writeCompanyBody writes a POST /companies body. Numeric fields that are
// missing or not numbers are omitted, never sent as null, because Intercom
// rejects unknown or mistyped top-level keys.
func writeCompanyBody(w *jsonWriter, src companySource, warnings []string) ([]string, error) {
	w.openObject()
	w.strField("company_id", src.companyID)
	for _, name := range []string{"name", "website", "plan", "industry"} {
		if v, ok := scalarString(traitValue(src.fields, name)); ok && v != "" {
			w.strField(name, v)
		}
	}
	if size := traitValue(src.fields, "size"); size.Type == gjson.Number {
		w.intField("size", int64(size.Num))
	}
	if spend := traitValue(src.fields, "monthlySpend"); spend.Type == gjson.Number {
		// Intercom truncates monthly_spend to an integer (155.98 → 155).
		w.intField("monthly_spend", int64(spend.Num))
	}
	remote := traitValue(src.fields, "remoteCreatedAt")
	if !hasValue(remote) {
		remote = traitValue(src.fields, "createdAt")
	}
	warnings = writeTimestamp(w, "remote_created_at", remote, "remoteCreatedAt", warnings)

	custom := make([]field, 0, len(src.fields))
	for _, f := range src.fields {
		if isReservedCompanyTrait(f.key) || (src.skip != nil && src.skip(f.key)) {
			continue
		}
		custom = append(custom, f)
	}
	warnings, err := writeCustomAttributes(w, custom, warnings)
	if err != nil {
		return warnings, err
	}
	w.closeObject()
	return warnings, nil
}

// companyIDFromName is the company_id for a company known only by name: the
// lowercase hex MD5 of the name, which the API 1.4 integration used, so
// companies created before a migration stay the same records.
func companyIDFromName(name string) string {
	sum := md5.Sum([]byte(name))
	return hex.EncodeToString(sum[:])
}

// companyIDOf reads an Intercom company id from a POST /companies or
// GET /companies response, which may be one company object or a list.
func companyIDOf(answer gjson.Result) string {
	if id, ok := scalarString(answer.Get("id")); ok && id != "" && answer.Get("type").String() != "list" {
		return id
	}
	if id, ok := scalarString(answer.Get("data.0.id")); ok {
		return id
	}
	return ""
}

// writeCompanyRequest writes POST /companies. It returns false, with the
// result already written, when the body cannot be built.
func (s *step) writeCompanyRequest(src companySource) bool {
	s.beginRequest("POST", "/companies", "create or update company "+quote(src.companyID))
	s.out.key("body")
	warnings, err := writeCompanyBody(&s.out, src, nil)
	if err != nil {
		s.fail(OutcomeInvalidEvent, "invalid event: "+err.Error())
		return false
	}
	s.warnings = append(s.warnings, warnings...)
	s.endRequest()
	return true
}

// checkCompanyBody builds a company body and discards it, to reject an
// event whose company cannot be mapped before any call is made.
func checkCompanyBody(src companySource) error {
	scratch := jsonWriter{buf: make([]byte, 0, 256)}
	_, err := writeCompanyBody(&scratch, src, nil)
	if err != nil {
		return fmt.Errorf("company: %w", err)
	}
	return nil
}

// writeAttach writes POST /contacts/{id}/companies, which takes the
// company's Intercom id, not its company_id.
func (s *step) writeAttach(contactID, companyID, reason string) {
	s.beginRequest("POST", "/contacts/"+url.PathEscape(contactID)+"/companies", reason)
	s.out.key("body")
	s.out.openObject()
	s.out.strField("id", companyID)
	s.out.closeObject()
	s.endRequest()
}
