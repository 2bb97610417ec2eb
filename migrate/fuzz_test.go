package migrate

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// addTestdataSeeds adds every file of testdata/migrate as a seed.
func addTestdataSeeds(f *testing.F) {
	paths, err := filepath.Glob("../testdata/migrate/*")
	if err != nil {
		f.Fatal(err)
	}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			continue // a directory, such as the golden files
		}
		f.Add(data)
	}
}

func FuzzParseSettings(f *testing.F) {
	addTestdataSeeds(f)
	for _, seed := range []string{
		`{"config":{"apiKey":"x"},"destinationDefinition":{"name":"INTERCOM"}}`,
		`[{"config":{}},{"config":{},"destinationDefinition":{"name":"INTERCOM"}}]`,
		`{"config":[]}`, `{"apiServer":{"a":1}}`, `{"apiVersion":null,"sendAnonymousId":"TRUE"}`,
		`[]`, `null`, "\xef\xbb\xbf{}", `{"a":1}{"b":2}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		old, err := ParseSettings(data)
		if err != nil {
			return
		}
		if old.Format != SettingsFormatExport && old.Format != SettingsFormatConfig {
			t.Fatalf("format = %q", old.Format)
		}
		if old.Config == nil {
			t.Fatal("config is nil after a successful parse")
		}
		plan := MigrateSettings(old, "")
		if _, ok := plan.New["apiKey"]; ok {
			t.Fatal("the new settings carry apiKey")
		}
		out, err := json.Marshal(plan.New)
		if err != nil || !json.Valid(out) {
			t.Fatalf("the new settings do not encode: %v", err)
		}
		if len(plan.Changes) < len(old.Config) {
			t.Fatalf("%d changes for %d settings", len(plan.Changes), len(old.Config))
		}
		for _, c := range plan.Changes {
			if c.Setting == "apiKey" && c.Old != hiddenToken {
				t.Fatalf("apiKey is shown as %q", c.Old)
			}
		}
	})
}

func FuzzParseEvents(f *testing.F) {
	addTestdataSeeds(f)
	for _, seed := range []string{
		"{\"type\":\"identify\"}\n{broken\n", `{"batch":[1,{"a":[]}]}`, `[{"a":1},`, "\n\n", "[]",
		`{"batch":"x"}`, "{\"batch\":[{\"type\":\"track\"}]}\n{\"batch\":[]}\n", "\r\n{}\r\n",
	} {
		f.Add([]byte(seed))
	}
	formats := map[string]bool{EventsFormatNDJSON: true, EventsFormatArray: true, EventsFormatBatch: true, EventsFormatSingle: true}
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := ParseEvents(data)
		if err != nil {
			return
		}
		if !formats[file.Format] {
			t.Fatalf("format = %q", file.Format)
		}
		lines := bytes.Count(data, []byte("\n")) + 1
		for i, ev := range file.Events {
			if !json.Valid(ev.Raw) {
				t.Fatalf("event %d is not valid JSON: %q", i, ev.Raw)
			}
			if ev.Label == "" {
				t.Fatalf("event %d has no label", i)
			}
			if ev.Line < 1 || ev.Line > lines {
				t.Fatalf("event %d is on line %d of %d", i, ev.Line, lines)
			}
		}
		for i, e := range file.Errors {
			if e.Line < 1 || e.Line > lines || e.Message == "" {
				t.Fatalf("error %d = %+v for %d lines", i, e, lines)
			}
		}
		if len(file.Events) == 0 && len(file.Errors) == 0 {
			t.Fatal("a file without events or errors parsed without an error")
		}
	})
}
