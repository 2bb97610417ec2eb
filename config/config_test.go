package config

import (
	"strings"
	"testing"
)

func env(vars map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := vars[k]
		return v, ok
	}
}

func TestParseYAML(t *testing.T) {
	data := `
listen: 127.0.0.1:9000
workers: 4
shutdownTimeout: 30s
destinations:
  - name: acme
    writeKeys: [wk_live_1, wk_live_2]
    apiKeyEnv: ACME_TOKEN
    baseURL: http://127.0.0.1:9090
    settings:
      apiServer: eu
      sendAnonymousId: true
      apiKey: leaked-token
`
	cfg, err := Parse([]byte(data), env(map[string]string{"ACME_TOKEN": " tok_123 "}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Listen != "127.0.0.1:9000" || cfg.Workers != 4 || cfg.ShutdownTimeout.Seconds() != 30 {
		t.Errorf("top-level fields = %+v", cfg)
	}
	if cfg.Plugin != DefaultPlugin || cfg.MaxBodyBytes != DefaultMaxBodyBytes {
		t.Errorf("defaults not applied: plugin %q, maxBodyBytes %d", cfg.Plugin, cfg.MaxBodyBytes)
	}
	d, ok := cfg.Lookup("wk_live_2")
	if !ok {
		t.Fatal("write key wk_live_2 not found")
	}
	if d.Token != "tok_123" {
		t.Errorf("token = %q, want it trimmed from the environment", d.Token)
	}
	if d.Parsed.Region != "eu" || !d.Parsed.SendAnonymousID {
		t.Errorf("parsed settings = %+v", d.Parsed)
	}
	if strings.Contains(string(d.Settings), "leaked-token") || strings.Contains(string(d.Settings), "apiKey") {
		t.Errorf("settings still carry the token: %s", d.Settings)
	}
	if _, ok := cfg.Lookup("wk_other"); ok {
		t.Error("unknown write key found")
	}
}

func TestParseJSONWithBraceReference(t *testing.T) {
	data := `{"destinations":[{"name":"a","writeKeys":["k"],"apiKey":"${TOK}"}]}`
	cfg, err := Parse([]byte(data), env(map[string]string{"TOK": "t"}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Destinations[0].Token != "t" || cfg.Destinations[0].Parsed.Region != "us" {
		t.Errorf("destination = %+v", cfg.Destinations[0])
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ name, data, want string }{
		{"not yaml", "destinations: [", "invalid YAML"},
		{"unknown field", "listn: x\ndestinations: []", "listn"},
		{"no destinations", "listen: x", "no destinations"},
		{"no name", `{"destinations":[{"writeKeys":["k"],"apiKey":"t"}]}`, "name is missing"},
		{"no write keys", `{"destinations":[{"name":"a","apiKey":"t"}]}`, "writeKeys is empty"},
		{"env unset", `{"destinations":[{"name":"a","writeKeys":["k"],"apiKeyEnv":"NOPE"}]}`, "NOPE (apiKeyEnv) is not set"},
		{"no token", `{"destinations":[{"name":"a","writeKeys":["k"]}]}`, "no access token"},
		{"bad region", `{"destinations":[{"name":"a","writeKeys":["k"],"apiKey":"t","settings":{"apiServer":"moon"}}]}`, `apiServer "moon"`},
		{"api v1", `{"destinations":[{"name":"a","writeKeys":["k"],"apiKey":"t","settings":{"apiVersion":"v1"}}]}`, "migrate check"},
		{"duplicate key", `{"destinations":[{"name":"a","writeKeys":["k"],"apiKey":"t"},{"name":"b","writeKeys":["k"],"apiKey":"t"}]}`, "also used by"},
		{"duplicate name", `{"destinations":[{"name":"a","writeKeys":["k"],"apiKey":"t"},{"name":"a","writeKeys":["j"],"apiKey":"t"}]}`, "used twice"},
		{"bad duration", `{"shutdownTimeout":"soon","destinations":[]}`, "invalid duration"},
		{"bad workers", `{"workers":-1,"destinations":[{"name":"a","writeKeys":["k"],"apiKey":"t"}]}`, "workers is -1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.data), env(nil))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Parse error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestErrorsNeverShowToken(t *testing.T) {
	data := `{"destinations":[{"name":"a","writeKeys":["k"],"apiKey":"secret-token-value","settings":{"apiServer":"moon"}}]}`
	_, err := Parse([]byte(data), env(nil))
	if err == nil || strings.Contains(err.Error(), "secret-token-value") {
		t.Errorf("error = %v, want an error without the token", err)
	}
}

func TestParseRejectsUnknownSetting(t *testing.T) {
	data := `{"destinations":[{"name":"a","writeKeys":["k"],"apiKey":"t","settings":{"customAttributPolicy":"create"}}]}`
	_, err := Parse([]byte(data), env(nil))
	if err == nil || !strings.Contains(err.Error(), `"customAttributPolicy"`) || !strings.Contains(err.Error(), "customAttributePolicy") {
		t.Errorf("Parse error = %v, want the unknown setting and the known ones named", err)
	}
}

func TestAdminTokenRequiredOnlyWhenAsked(t *testing.T) {
	data := `{"adminTokenEnv":"ADMIN","destinations":[{"name":"a","writeKeys":["k"],"apiKey":"t"}]}`
	cfg, err := Parse([]byte(data), env(nil))
	if err != nil {
		t.Fatalf("Parse without the admin token: %v", err)
	}
	if err := cfg.RequireAdminToken(); err == nil || !strings.Contains(err.Error(), "ADMIN") {
		t.Errorf("RequireAdminToken = %v, want the variable named", err)
	}
	cfg, err = Parse([]byte(data), env(map[string]string{"ADMIN": " secret "}))
	if err != nil || cfg.RequireAdminToken() != nil || cfg.AdminToken != "secret" {
		t.Errorf("with the token set: %v, %v, %q", err, cfg.RequireAdminToken(), cfg.AdminToken)
	}
}
