package migrate

import (
	"encoding/json"
	"strings"
	"testing"
)

// changeOf returns the change of one setting, or fails the test.
func changeOf(t *testing.T, plan SettingsPlan, setting string) SettingChange {
	t.Helper()
	for _, c := range plan.Changes {
		if c.Setting == setting {
			return c
		}
	}
	t.Fatalf("no change for %s in %+v", setting, plan.Changes)
	return SettingChange{}
}

func TestMigrateSettingsChanges(t *testing.T) {
	tests := []struct {
		name    string
		config  string
		region  string
		setting string
		action  string
		newJSON string // the value in New, "" when absent
		reason  string // a part of the reason
	}{
		{"apiVersion v1", `{"apiVersion":"v1"}`, "", "apiVersion", ActionChanged, `"latest"`, "API 1.4"},
		{"apiVersion 1.4", `{"apiVersion":"1.4"}`, "", "apiVersion", ActionChanged, `"latest"`, "API 1.4"},
		{"apiVersion v2", `{"apiVersion":"v2"}`, "", "apiVersion", ActionKept, `"v2"`, "2.10"},
		{"apiVersion unknown", `{"apiVersion":"v3"}`, "", "apiVersion", ActionChanged, `"latest"`, "not a version"},
		{"apiVersion missing", `{}`, "", "apiVersion", ActionAdded, `"latest"`, "2.10"},
		{"apiServer missing", `{}`, "", "apiServer", ActionAdded, `"standard"`, "EU and AU workspaces must set"},
		{"apiServer from region", `{}`, "eu", "apiServer", ActionAdded, `"eu"`, "-region"},
		{"apiServer kept", `{"apiServer":"au"}`, "", "apiServer", ActionKept, `"au"`, "(au)"},
		{"apiServer unknown", `{"apiServer":"eu-west"}`, "", "apiServer", ActionDropped, "", "not an Intercom region"},
		{"updateLastRequestAt on", `{"updateLastRequestAt":true}`, "", "updateLastRequestAt", ActionDropped, "", "send lastSeenAt"},
		{"updateLastRequestAt off", `{"updateLastRequestAt":"false"}`, "", "updateLastRequestAt", ActionDropped, "", "nothing changes"},
		{"sendAnonymousId bool", `{"sendAnonymousId":true}`, "", "sendAnonymousId", ActionKept, "true", "anonymousId"},
		{"sendAnonymousId string", `{"sendAnonymousId":"true"}`, "", "sendAnonymousId", ActionChanged, "true", "JSON boolean"},
		{"sendAnonymousId invalid", `{"sendAnonymousId":"yes"}`, "", "sendAnonymousId", ActionDropped, "", "true or false"},
		{"policy kept", `{"customAttributePolicy":"drop"}`, "", "customAttributePolicy", ActionKept, `"drop"`, "custom attributes"},
		{"policy invalid", `{"customAttributePolicy":"ignore"}`, "", "customAttributePolicy", ActionDropped, "", "not one of"},
		{"collectContext", `{"collectContext":true}`, "", "collectContext", ActionDropped, "", "last_seen_ip"},
		{"device mode", `{"useNativeSDK":{"web":true}}`, "", "useNativeSDK", ActionDropped, "", "device-mode"},
		{"unknown key", `{"someFutureSetting":[1,2]}`, "", "someFutureSetting", ActionDropped, "", "rejects unknown settings"},
		{"api key", `{"apiKey":"tok"}`, "", "apiKey", ActionMoved, "", "apiKeyEnv"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var config map[string]json.RawMessage
			if err := json.Unmarshal([]byte(tt.config), &config); err != nil {
				t.Fatal(err)
			}
			plan := MigrateSettings(OldSettings{Config: config}, tt.region)
			c := changeOf(t, plan, tt.setting)
			if c.Action != tt.action {
				t.Errorf("action = %q, want %q", c.Action, tt.action)
			}
			if !strings.Contains(c.Reason, tt.reason) {
				t.Errorf("reason %q does not contain %q", c.Reason, tt.reason)
			}
			got := string(plan.New[tt.setting])
			if got != tt.newJSON {
				t.Errorf("new value = %q, want %q", got, tt.newJSON)
			}
		})
	}
}

func TestMigrateSettingsProblems(t *testing.T) {
	tests := []struct {
		name     string
		config   string
		region   string
		problems int
		has      string
	}{
		{"clean", `{"apiServer":"eu","apiVersion":"v1"}`, "eu", 0, ""},
		{"unknown region", `{"apiServer":"mars"}`, "", 1, `apiServer "mars"`},
		{"region mismatch", `{"apiServer":"eu"}`, "au", 1, "-region au"},
		{"standard is us", `{"apiServer":"standard"}`, "us", 0, ""},
		{"invalid boolean", `{"sendAnonymousId":3}`, "", 1, "sendAnonymousId"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var config map[string]json.RawMessage
			if err := json.Unmarshal([]byte(tt.config), &config); err != nil {
				t.Fatal(err)
			}
			plan := MigrateSettings(OldSettings{Config: config}, tt.region)
			if len(plan.Problems) != tt.problems {
				t.Fatalf("problems = %+v, want %d", plan.Problems, tt.problems)
			}
			if tt.has != "" && !strings.Contains(plan.Problems[0].Message, tt.has) {
				t.Errorf("problem %q does not contain %q", plan.Problems[0].Message, tt.has)
			}
		})
	}
}

func TestMigrateSettingsNeverCopiesSecrets(t *testing.T) {
	const token = "dG9rOnNlY3JldA=="
	const mobileKey = "android_sdk-secret-value"
	config := map[string]json.RawMessage{
		"apiKey":              json.RawMessage(`"` + token + `"`),
		"mobileApiKeyAndroid": json.RawMessage(`"` + mobileKey + `"`),
		"apiVersion":          json.RawMessage(`"v1"`),
	}
	plan := MigrateSettings(OldSettings{Config: config}, "")
	out, err := json.Marshal(plan)
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{token, mobileKey} {
		if strings.Contains(string(out), secret) {
			t.Errorf("the plan contains the secret %q: %s", secret, out)
		}
	}
	if c := changeOf(t, plan, "apiKey"); c.Old != hiddenToken {
		t.Errorf("apiKey is shown as %q, want %q", c.Old, hiddenToken)
	}
	if _, ok := plan.New["apiKey"]; ok {
		t.Error("the new settings carry apiKey")
	}
}

func TestMigrateSettingsFlagsUpdateLastRequestAt(t *testing.T) {
	for _, tt := range []struct {
		raw  string
		want bool
	}{{"true", true}, {`"true"`, true}, {"false", false}, {"null", false}} {
		plan := MigrateSettings(OldSettings{Config: map[string]json.RawMessage{"updateLastRequestAt": json.RawMessage(tt.raw)}}, "")
		if plan.UpdateLastRequestAt != tt.want {
			t.Errorf("updateLastRequestAt %s: flag = %v, want %v", tt.raw, plan.UpdateLastRequestAt, tt.want)
		}
		if _, ok := plan.New["updateLastRequestAt"]; ok {
			t.Errorf("updateLastRequestAt %s is still in the new settings", tt.raw)
		}
	}
}

func TestMigrateSettingsEventFilterWarning(t *testing.T) {
	tests := []struct {
		config string
		warn   bool
	}{
		{`{"eventFilteringOption":"blacklistedEvents","blacklistedEvents":[{"eventName":"Heartbeat"}]}`, true},
		{`{"eventFilteringOption":"whitelistedEvents","whitelistedEvents":[{"eventName":"Signed Up"}],"blacklistedEvents":[{"eventName":"Heartbeat"}]}`, true},
		{`{"eventFilteringOption":"blacklistedEvents","blacklistedEvents":[{"eventName":""}]}`, false},
		{`{"eventFilteringOption":"disable","blacklistedEvents":[{"eventName":"Heartbeat"}]}`, false},
	}
	for _, tt := range tests {
		var config map[string]json.RawMessage
		if err := json.Unmarshal([]byte(tt.config), &config); err != nil {
			t.Fatal(err)
		}
		plan := MigrateSettings(OldSettings{Config: config}, "")
		if got := len(plan.Warnings) == 1; got != tt.warn {
			t.Errorf("%s: warnings = %+v, want a warning: %v", tt.config, plan.Warnings, tt.warn)
		}
	}
}

func TestMigrateSettingsChangesSorted(t *testing.T) {
	config := map[string]json.RawMessage{"zeta": json.RawMessage("1"), "apiKey": json.RawMessage(`"t"`), "collectContext": json.RawMessage("true")}
	plan := MigrateSettings(OldSettings{Config: config}, "")
	for i := 1; i < len(plan.Changes); i++ {
		if plan.Changes[i-1].Setting > plan.Changes[i].Setting {
			t.Fatalf("changes not sorted: %s before %s", plan.Changes[i-1].Setting, plan.Changes[i].Setting)
		}
	}
}
