package migrate

import (
	"os"
	"strings"
	"testing"
)

func TestParseSettingsFormats(t *testing.T) {
	tests := []struct {
		name       string
		data       string
		format     string
		id, dest   string
		wantKeys   []string
		wantErrHas string
	}{
		{
			name:     "export",
			data:     `{"id":"d1","name":"Intercom prod","config":{"apiKey":"x","apiVersion":"v1"},"destinationDefinition":{"name":"INTERCOM"}}`,
			format:   SettingsFormatExport,
			id:       "d1",
			dest:     "Intercom prod",
			wantKeys: []string{"apiKey", "apiVersion"},
		},
		{
			name:     "export without definition",
			data:     `{"id":42,"config":{"apiServer":"eu"}}`,
			format:   SettingsFormatExport,
			id:       "42",
			wantKeys: []string{"apiServer"},
		},
		{
			name:     "export by display name",
			data:     `{"config":{},"destinationDefinition":{"displayName":"Intercom"}}`,
			format:   SettingsFormatExport,
			wantKeys: []string{},
		},
		{
			name:     "bare config",
			data:     `{"apiKey":"x","apiServer":"eu","updateLastRequestAt":true}`,
			format:   SettingsFormatConfig,
			wantKeys: []string{"apiKey", "apiServer", "updateLastRequestAt"},
		},
		{
			name:     "byte order mark and spaces",
			data:     "\xef\xbb\xbf \n {\"apiVersion\":\"v1\"}\n",
			format:   SettingsFormatConfig,
			wantKeys: []string{"apiVersion"},
		},
		{
			name:     "array with one intercom export",
			data:     `[{"config":{"x":1},"destinationDefinition":{"name":"AM"}},{"id":"d2","config":{"apiVersion":"v1"},"destinationDefinition":{"name":"INTERCOM"}}]`,
			format:   SettingsFormatExport,
			id:       "d2",
			wantKeys: []string{"apiVersion"},
		},
		{
			name:       "array with two intercom exports",
			data:       `[{"config":{},"destinationDefinition":{"name":"INTERCOM"}},{"config":{},"destinationDefinition":{"name":"INTERCOM"}}]`,
			wantErrHas: "2 Intercom destinations",
		},
		{
			name:       "array without intercom",
			data:       `[{"config":{},"destinationDefinition":{"name":"AM"}}, 3]`,
			wantErrHas: "no Intercom destination export",
		},
		{
			name:       "other destination",
			data:       `{"config":{"apiKey":"x"},"destinationDefinition":{"name":"AMPLITUDE"}}`,
			wantErrHas: `"AMPLITUDE" destination, not INTERCOM`,
		},
		{
			name:       "config not an object",
			data:       `{"config":"apiKey=x"}`,
			wantErrHas: "config is a JSON string",
		},
		{
			name:       "not JSON",
			data:       "{\n  \"apiKey\": x\n}",
			wantErrHas: "line 2, column",
		},
		{
			name:       "YAML",
			data:       "apiKey: x\n",
			wantErrHas: "not valid JSON",
		},
		{
			name:       "empty",
			data:       " \n",
			wantErrHas: "empty",
		},
		{
			name:       "string",
			data:       `"apiKey"`,
			wantErrHas: "a JSON string, not an object",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseSettings([]byte(tt.data))
			if tt.wantErrHas != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErrHas) {
					t.Fatalf("error = %v, want one containing %q", err, tt.wantErrHas)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Format != tt.format {
				t.Errorf("format = %q, want %q", got.Format, tt.format)
			}
			if got.DestinationID != tt.id || got.DestinationName != tt.dest {
				t.Errorf("destination = (%q, %q), want (%q, %q)", got.DestinationID, got.DestinationName, tt.id, tt.dest)
			}
			if len(got.Config) != len(tt.wantKeys) {
				t.Errorf("config has %d keys, want %v", len(got.Config), tt.wantKeys)
			}
			for _, k := range tt.wantKeys {
				if _, ok := got.Config[k]; !ok {
					t.Errorf("config lacks %q", k)
				}
			}
		})
	}
}

func TestParseSettingsTestdata(t *testing.T) {
	for _, name := range []string{"settings-export.json", "settings-config.json"} {
		data, err := os.ReadFile("../testdata/migrate/" + name)
		if err != nil {
			t.Fatal(err)
		}
		got, err := ParseSettings(data)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if _, ok := got.Config["apiKey"]; !ok {
			t.Errorf("%s: config lacks apiKey", name)
		}
	}
}
