package migrate

import (
	"fmt"
	"strings"
	"unicode"
)

// standardAttributes are the names of the standard data attributes of each
// model, as GET /data_attributes lists them with custom: false. Intercom
// rejects a custom attribute with one of these names, in any letter case:
// "'Name' is one of our standard attributes for your people data".
var standardAttributes = map[string][]string{
	modelContact: {
		"name", "email", "phone", "external_id", "role", "owner_id", "avatar",
		"signed_up_at", "last_seen_at", "created_at", "updated_at", "unsubscribed_from_emails",
	},
	modelCompany: {
		"name", "company_id", "plan", "size", "website", "industry", "monthly_spend",
		"remote_created_at", "created_at", "updated_at", "user_count", "session_count",
	},
}

// Data attribute models.
const (
	modelContact = "contact"
	modelCompany = "company"
)

// nameRejection returns why Intercom rejects name as a custom attribute of
// model, or "" when the name is acceptable.
//
// Intercom's documented rule for POST /data_attributes answers a bad name
// with "Your name for this attribute must only contain alphanumeric
// characters, currency symbols, and hyphens". Its own successful examples
// also use spaces ("The One Ring") and underscores ("paid_subscriber"), so
// those are accepted too. A "." is rejected by that rule, and it is also
// the separator of the attribute's full_name ("custom_attributes.<name>").
func nameRejection(model, name string) string {
	if strings.TrimSpace(name) == "" {
		return "the name is empty or blank; Intercom requires a name"
	}
	if strings.Contains(name, ".") {
		return `the name contains ".", which Intercom rejects and uses to separate the parts of an attribute's full name; API 1.4 integrations produced such names, the gateway joins nested keys with "_"`
	}
	for _, r := range name {
		if !validNameRune(r) {
			return fmt.Sprintf("the name contains %s; Intercom accepts only letters, digits, spaces, underscores, hyphens and currency symbols", describeRune(r))
		}
	}
	if std := standardName(model, name); std != "" {
		return fmt.Sprintf("the name matches the standard %s attribute %q (Intercom ignores letter case here) and Intercom rejects it; rename the trait or send the standard field", model, std)
	}
	return ""
}

// validNameRune applies Intercom's character rule to one rune.
func validNameRune(r rune) bool {
	switch {
	case unicode.IsLetter(r), unicode.IsDigit(r), unicode.Is(unicode.Sc, r):
		return true
	case r == '-', r == '_', r == ' ':
		return true
	}
	return false
}

// standardName returns the standard attribute of model that name clashes
// with, or "". Intercom compares without regard to case and reads a space
// as an underscore.
func standardName(model, name string) string {
	key := strings.ReplaceAll(strings.ToLower(name), " ", "_")
	for _, std := range standardAttributes[model] {
		if key == std {
			return std
		}
	}
	return ""
}

func describeRune(r rune) string {
	switch {
	case r == '\t':
		return "a tab"
	case unicode.IsControl(r):
		return fmt.Sprintf("the control character U+%04X", r)
	case unicode.IsSpace(r):
		return fmt.Sprintf("the space character U+%04X", r)
	}
	return fmt.Sprintf("%q", string(r))
}
