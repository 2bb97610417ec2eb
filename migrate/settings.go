package migrate

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/intercom-gateway/gateway/mapping"
)

// Actions of a SettingChange.
const (
	ActionKept    = "kept"
	ActionChanged = "changed"
	ActionAdded   = "added"
	ActionDropped = "dropped"
	// ActionMoved is the access token, which the gateway keeps outside the
	// settings.
	ActionMoved = "moved"
)

// hiddenToken is printed in place of the access token.
const hiddenToken = "(kept in the gateway config, not shown)"

// hiddenValue is printed in place of other settings that may be secrets.
const hiddenValue = "(not shown)"

// SettingChange is one setting of the old destination and what becomes of
// it. Old and New are display text: compact JSON, shortened, or a
// placeholder for secrets, and empty when the setting is absent.
type SettingChange struct {
	Setting string `json:"setting"`
	Old     string `json:"old,omitempty"`
	New     string `json:"new,omitempty"`
	Action  string `json:"action"`
	Reason  string `json:"reason"`
}

// SettingsPlan is the result of MigrateSettings.
type SettingsPlan struct {
	// New is the settings object for the gateway config, without the token.
	New map[string]json.RawMessage `json:"new"`
	// Changes lists every setting, sorted by name.
	Changes []SettingChange `json:"changes"`
	// Problems are settings the gateway would reject.
	Problems []Finding `json:"-"`
	// Warnings are settings whose loss changes what reaches Intercom.
	Warnings []Finding `json:"-"`
	// UpdateLastRequestAt is true when the old settings asked API 1.4 to
	// mark every identified user as seen now.
	UpdateLastRequestAt bool `json:"-"`
}

// Setting names the gateway reads, as mapping.ParseSettings does.
const (
	settingAPIKey          = "apiKey"
	settingAPIServer       = "apiServer"
	settingAPIVersion      = "apiVersion"
	settingSendAnonymousID = "sendAnonymousId"
	settingPolicy          = "customAttributePolicy"
	settingUpdateLastSeen  = "updateLastRequestAt"
)

// droppedSettings are RudderStack settings of the Intercom destination
// that have no meaning for the gateway, with the reason shown to the user.
var droppedSettings = map[string]string{
	"collectContext":           "API 2.10 contacts have no last_seen_ip or last_seen_user_agent, so the gateway sends no device context",
	"appId":                    "device-mode setting of Intercom's Messenger SDKs; the gateway delivers cloud-mode events only",
	"mobileApiKeyAndroid":      "device-mode setting of Intercom's Messenger SDKs; the gateway delivers cloud-mode events only",
	"mobileApiKeyIOS":          "device-mode setting of Intercom's Messenger SDKs; the gateway delivers cloud-mode events only",
	"useNativeSDK":             "device-mode setting of Intercom's Messenger SDKs; the gateway delivers cloud-mode events only",
	"connectionMode":           "RudderStack connection mode; the gateway delivers cloud-mode events only",
	"blacklistedEvents":        "RudderStack event filter; the gateway does not filter events by name",
	"whitelistedEvents":        "RudderStack event filter; the gateway does not filter events by name",
	"eventFilteringOption":     "RudderStack event filter; the gateway does not filter events by name",
	"oneTrustCookieCategories": "RudderStack consent filter; the gateway does not read consent settings",
	"consentManagement":        "RudderStack consent filter; the gateway does not read consent settings",
}

// MigrateSettings turns the old destination settings into gateway
// settings. region is the -region of the check, or "" when not given. It
// fills a missing apiServer and must agree with a present one.
//
// Each known setting is validated with mapping.ParseSettings, the check
// the gateway runs at start, so a value this accepts the gateway accepts.
func MigrateSettings(old OldSettings, region string) SettingsPlan {
	plan := SettingsPlan{New: map[string]json.RawMessage{}}
	keys := make([]string, 0, len(old.Config))
	for k := range old.Config {
		keys = append(keys, k)
	}
	sort.Strings(keys)

	for _, key := range keys {
		raw := old.Config[key]
		switch key {
		case settingAPIKey:
			plan.add(SettingChange{Setting: key, Old: hiddenToken, Action: ActionMoved,
				Reason: "the token stays out of the settings: export it in an environment variable and name that variable in the destination's apiKeyEnv"})
		case settingAPIVersion:
			plan.migrateAPIVersion(raw)
		case settingAPIServer:
			plan.migrateAPIServer(raw, region)
		case settingSendAnonymousID, settingPolicy:
			plan.migrateValidated(key, raw)
		case settingUpdateLastSeen:
			plan.migrateUpdateLastSeen(raw)
		default:
			plan.migrateOther(key, raw, old.Config)
		}
	}
	if _, ok := old.Config[settingAPIVersion]; !ok {
		plan.New[settingAPIVersion] = json.RawMessage(`"latest"`)
		plan.add(SettingChange{Setting: settingAPIVersion, New: `"latest"`, Action: ActionAdded,
			Reason: "Intercom API 2.10, the gateway's default, written out so the config shows which API it uses"})
	}
	if _, ok := old.Config[settingAPIServer]; !ok {
		plan.addMissingRegion(region)
	}
	sort.SliceStable(plan.Changes, func(i, j int) bool { return plan.Changes[i].Setting < plan.Changes[j].Setting })
	return plan
}

func (p *SettingsPlan) add(c SettingChange) { p.Changes = append(p.Changes, c) }

func (p *SettingsPlan) problem(setting, message string) {
	p.Problems = append(p.Problems, Finding{Kind: KindSetting, Subject: "setting " + setting, Message: message})
}

// migrateAPIVersion turns any apiVersion into "latest": v1 selects API
// 1.4, which the gateway rejects at start.
func (p *SettingsPlan) migrateAPIVersion(raw json.RawMessage) {
	p.New[settingAPIVersion] = json.RawMessage(`"latest"`)
	old := displayValue(settingAPIVersion, raw)
	version := strings.ToLower(strings.TrimSpace(jsonText(raw)))
	switch {
	case jsonKind(raw) == "string" && (version == "v2" || version == "latest" || version == "2.10"):
		p.New[settingAPIVersion] = raw
		p.add(SettingChange{Setting: settingAPIVersion, Old: old, New: old, Action: ActionKept, Reason: "selects Intercom API 2.10"})
	case version == "v1" || version == "1.4":
		p.add(SettingChange{Setting: settingAPIVersion, Old: old, New: `"latest"`, Action: ActionChanged,
			Reason: "v1 selects Intercom API 1.4, which the gateway does not speak and rejects at start; latest is API 2.10"})
	default:
		p.add(SettingChange{Setting: settingAPIVersion, Old: old, New: `"latest"`, Action: ActionChanged,
			Reason: "not a version the gateway accepts (v2, latest or 2.10); latest is API 2.10"})
	}
}

// migrateAPIServer keeps a valid region and reports an unknown one, which
// the gateway rejects rather than fall back to the US host.
func (p *SettingsPlan) migrateAPIServer(raw json.RawMessage, region string) {
	old := displayValue(settingAPIServer, raw)
	parsed, err := validateSetting(settingAPIServer, raw)
	if err != nil {
		p.add(SettingChange{Setting: settingAPIServer, Old: old, Action: ActionDropped, Reason: err.Error()})
		p.problem(settingAPIServer, err.Error()+"; add it to the new settings by hand")
		return
	}
	p.New[settingAPIServer] = raw
	p.add(SettingChange{Setting: settingAPIServer, Old: old, New: old, Action: ActionKept, Reason: "selects the workspace's region (" + parsed.Region + ")"})
	if region != "" {
		if flagRegion := normalizeRegion(region); flagRegion != parsed.Region {
			p.problem(settingAPIServer, fmt.Sprintf("apiServer selects region %s but the check ran with -region %s; an access token works in its workspace's region only, so find out which is right and use it in both", parsed.Region, flagRegion))
		}
	}
}

// addMissingRegion fills apiServer: the -region of the check, else
// "standard", the US region that API 1.4 integrations used.
func (p *SettingsPlan) addMissingRegion(region string) {
	if region != "" {
		value, _ := json.Marshal(region)
		p.New[settingAPIServer] = value
		p.add(SettingChange{Setting: settingAPIServer, New: string(value), Action: ActionAdded,
			Reason: "missing; set to the -region the check ran with"})
		return
	}
	p.New[settingAPIServer] = json.RawMessage(`"standard"`)
	p.add(SettingChange{Setting: settingAPIServer, New: `"standard"`, Action: ActionAdded,
		Reason: `missing; "standard" is the US region. EU and AU workspaces must set "eu" or "au", because their tokens fail on the US host`})
}

// migrateValidated keeps sendAnonymousId or customAttributePolicy when the
// gateway accepts it. A boolean written as a string becomes a boolean.
func (p *SettingsPlan) migrateValidated(key string, raw json.RawMessage) {
	old := displayValue(key, raw)
	if _, err := validateSetting(key, raw); err != nil {
		p.add(SettingChange{Setting: key, Old: old, Action: ActionDropped, Reason: err.Error()})
		p.problem(key, err.Error())
		return
	}
	if key == settingSendAnonymousID && jsonKind(raw) == "string" {
		value := json.RawMessage("false")
		if strings.EqualFold(strings.TrimSpace(jsonText(raw)), "true") {
			value = json.RawMessage("true")
		}
		p.New[key] = value
		p.add(SettingChange{Setting: key, Old: old, New: string(value), Action: ActionChanged, Reason: "written as a JSON boolean"})
		return
	}
	p.New[key] = raw
	reason := "uses the anonymousId as the user id when an event has none"
	if key == settingPolicy {
		reason = "what the gateway does with custom attributes the workspace does not define"
	}
	p.add(SettingChange{Setting: key, Old: old, New: old, Action: ActionKept, Reason: reason})
}

// migrateUpdateLastSeen drops updateLastRequestAt: API 2.10 has no
// "update last seen to now", only the last_seen_at the event sends.
func (p *SettingsPlan) migrateUpdateLastSeen(raw json.RawMessage) {
	old := displayValue(settingUpdateLastSeen, raw)
	parsed, err := parseLooseBool(raw)
	if err == nil && !parsed {
		p.add(SettingChange{Setting: settingUpdateLastSeen, Old: old, Action: ActionDropped,
			Reason: "API 2.10 has no such option; it was off, so nothing changes"})
		return
	}
	p.UpdateLastRequestAt = err == nil
	p.add(SettingChange{Setting: settingUpdateLastSeen, Old: old, Action: ActionDropped,
		Reason: "API 2.10 cannot mark a user as seen now; send lastSeenAt (ISO 8601 or Unix seconds) in the identify traits instead"})
}

// migrateOther drops every other setting: the gateway rejects settings it
// does not read, so that a typo fails at start instead of being ignored.
func (p *SettingsPlan) migrateOther(key string, raw json.RawMessage, config map[string]json.RawMessage) {
	old := displayValue(key, raw)
	reason, known := droppedSettings[key]
	if !known {
		p.add(SettingChange{Setting: key, Old: old, Action: ActionDropped,
			Reason: "not a gateway setting; the gateway rejects unknown settings at start, so it is left out"})
		return
	}
	p.add(SettingChange{Setting: key, Old: old, Action: ActionDropped, Reason: reason})
	if key == "eventFilteringOption" {
		p.warnEventFilter(raw, config)
	}
}

// warnEventFilter warns when RudderStack held events back by name: the
// gateway delivers them all.
func (p *SettingsPlan) warnEventFilter(option json.RawMessage, config map[string]json.RawMessage) {
	list := jsonText(option)
	if list != "blacklistedEvents" && list != "whitelistedEvents" {
		return
	}
	var names []struct {
		EventName string `json:"eventName"`
	}
	_ = json.Unmarshal(config[list], &names)
	n := 0
	for _, e := range names {
		if strings.TrimSpace(e.EventName) != "" {
			n++
		}
	}
	if n == 0 {
		return
	}
	p.Warnings = append(p.Warnings, Finding{Kind: KindEventFilter, Subject: "setting eventFilteringOption",
		Message: fmt.Sprintf("RudderStack filtered track events by name (%s lists %d); the gateway delivers every track it receives, so apply the same filter in RudderStack before the gateway", list, n)})
}

// validateSetting runs the gateway's own settings check on one setting.
func validateSetting(key string, raw json.RawMessage) (mapping.Settings, error) {
	object, err := json.Marshal(map[string]json.RawMessage{key: raw})
	if err != nil {
		return mapping.Settings{}, fmt.Errorf("%s cannot be encoded: %w", key, err)
	}
	return mapping.ParseSettings(object)
}

// parseLooseBool accepts what the gateway accepts for a boolean setting:
// true, false, null and the strings "true" and "false".
func parseLooseBool(raw json.RawMessage) (bool, error) {
	s, err := validateSetting(settingSendAnonymousID, raw)
	return s.SendAnonymousID, err
}

// normalizeRegion maps a region name to mapping.Settings.Region's form.
func normalizeRegion(region string) string {
	switch r := strings.ToLower(strings.TrimSpace(region)); r {
	case "", "standard":
		return "us"
	default:
		return r
	}
}

// displayValue shows a setting's value as compact JSON, shortened, or a
// placeholder when the name suggests a secret.
func displayValue(key string, raw json.RawMessage) string {
	lower := strings.ToLower(key)
	for _, secret := range []string{"key", "token", "secret", "password"} {
		if strings.Contains(lower, secret) {
			return hiddenValue
		}
	}
	return shortJSON(raw, 40)
}
