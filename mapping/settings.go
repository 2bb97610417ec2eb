package mapping

import (
	"fmt"
	"strings"

	"github.com/tidwall/gjson"
)

// Settings are the destination settings the mapping reads. The access token
// (apiKey) is not among them: it stays in the host.
type Settings struct {
	// Region is the Intercom region: "us" (also written "standard"), "eu"
	// or "au". The host turns it into the API base URL.
	Region string
	// SendAnonymousID uses the anonymousId as the contact's external_id
	// (identify) or the event's user_id (track) when there is no user id.
	SendAnonymousID bool
	// AttributePolicy is what the host does with custom attributes that are
	// not defined in the workspace: "reject", "drop" or "create".
	AttributePolicy string
	// Warnings lists settings that are accepted but have no effect.
	Warnings []string
}

// Attribute policies for custom attributes that the workspace does not define.
const (
	PolicyReject = "reject"
	PolicyDrop   = "drop"
	PolicyCreate = "create"
)

// ParseSettings validates destination settings given as a JSON object.
// An empty input means the defaults. The error names the setting and the
// accepted values; callers report it with the outcome OutcomeConfiguration.
func ParseSettings(data []byte) (Settings, error) {
	s := Settings{Region: "us", AttributePolicy: PolicyReject}
	if len(data) == 0 {
		return s, nil
	}
	if !gjson.ValidBytes(data) || !gjson.ParseBytes(data).IsObject() {
		return s, fmt.Errorf("destination settings are not a JSON object; send them as {\"apiServer\": \"us\", ...}")
	}
	return parseSettings(gjson.ParseBytes(data))
}

func parseSettings(v gjson.Result) (Settings, error) {
	s := Settings{Region: "us", AttributePolicy: PolicyReject}
	if !v.Exists() || v.Type == gjson.Null {
		return s, nil
	}
	if !v.IsObject() {
		return s, fmt.Errorf("destination settings are %s, not a JSON object", describe(v))
	}

	if server := v.Get("apiServer"); server.Exists() && server.Type != gjson.Null {
		region, err := parseRegion(server)
		if err != nil {
			return s, err
		}
		s.Region = region
	}

	if version := v.Get("apiVersion"); version.Exists() && version.Type != gjson.Null {
		switch strings.ToLower(strings.TrimSpace(version.String())) {
		case "", "v2", "latest", "2.10":
		case "v1", "1.4":
			return s, fmt.Errorf("apiVersion %q selects Intercom API 1.4, which this gateway does not support; set apiVersion to \"latest\" after running the migration check (migrate check)", version.String())
		default:
			return s, fmt.Errorf("apiVersion %q is not supported; use \"latest\" (Intercom API 2.10)", version.String())
		}
	}

	var err error
	if s.SendAnonymousID, err = parseBool(v.Get("sendAnonymousId"), "sendAnonymousId"); err != nil {
		return s, err
	}
	if update := v.Get("updateLastRequestAt"); update.Exists() && update.Type != gjson.Null {
		if _, err := parseBool(update, "updateLastRequestAt"); err != nil {
			return s, err
		}
		s.Warnings = append(s.Warnings, "setting updateLastRequestAt has no effect in Intercom API 2.10; send lastSeenAt in the event instead")
	}

	if policy := v.Get("customAttributePolicy"); policy.Exists() && policy.Type != gjson.Null {
		switch p := strings.ToLower(strings.TrimSpace(policy.String())); p {
		case PolicyReject, PolicyDrop, PolicyCreate:
			s.AttributePolicy = p
		default:
			return s, fmt.Errorf("customAttributePolicy %q is not one of reject, drop, create", policy.String())
		}
	}
	return s, nil
}

// parseRegion maps apiServer to a region name. Unknown values are an error,
// never a silent fallback to the US region.
func parseRegion(v gjson.Result) (string, error) {
	if v.Type != gjson.String {
		return "", fmt.Errorf("apiServer is %s; set it to \"standard\", \"us\", \"eu\" or \"au\"", describe(v))
	}
	switch strings.ToLower(strings.TrimSpace(v.Str)) {
	case "", "standard", "us":
		return "us", nil
	case "eu":
		return "eu", nil
	case "au":
		return "au", nil
	}
	return "", fmt.Errorf("apiServer %q is not an Intercom region; set it to \"standard\", \"us\", \"eu\" or \"au\"", v.Str)
}

// parseBool accepts a JSON boolean or the strings "true" and "false", which
// some dashboards export. A missing or null value is false.
func parseBool(v gjson.Result, name string) (bool, error) {
	switch v.Type {
	case gjson.True:
		return true, nil
	case gjson.False, gjson.Null:
		return false, nil
	case gjson.String:
		switch strings.ToLower(strings.TrimSpace(v.Str)) {
		case "true":
			return true, nil
		case "false", "":
			return false, nil
		}
	}
	if !v.Exists() {
		return false, nil
	}
	return false, fmt.Errorf("%s is %s; set it to true or false", name, describe(v))
}

// describe names a JSON value for an error message, with a short excerpt.
func describe(v gjson.Result) string {
	if !v.Exists() {
		return "missing"
	}
	raw := excerpt(v.Raw)
	switch {
	case v.Type == gjson.Null:
		return "null"
	case v.IsObject():
		return "an object"
	case v.IsArray():
		return "an array"
	case v.Type == gjson.String:
		return "the string " + raw
	case v.Type == gjson.Number:
		return "the number " + raw
	}
	return "the value " + raw
}

// excerpt compacts raw JSON and shortens it for a message, so neither
// indentation nor a huge value floods the message.
func excerpt(raw string) string {
	raw = compactJSON(raw)
	const max = 60
	if len(raw) <= max {
		return raw
	}
	cut := max - 3
	// Back up to a rune boundary so the excerpt stays valid UTF-8.
	for cut > 0 && raw[cut]&0xC0 == 0x80 {
		cut--
	}
	return raw[:cut] + "..."
}

// compactJSON removes the white space outside strings from valid JSON.
func compactJSON(raw string) string {
	n := 0
	for i := 0; i < len(raw); i++ {
		if c := raw[i]; c == ' ' || c == '\n' || c == '\t' || c == '\r' {
			n++
		}
	}
	if n == 0 {
		return raw
	}
	out := make([]byte, 0, len(raw)-n)
	inString := false
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch {
		case inString:
			out = append(out, c)
			if c == '\\' && i+1 < len(raw) {
				i++
				out = append(out, raw[i])
			} else if c == '"' {
				inString = false
			}
		case c == '"':
			inString = true
			out = append(out, c)
		case c == ' ' || c == '\n' || c == '\t' || c == '\r':
		default:
			out = append(out, c)
		}
	}
	return string(out)
}
