package conformance

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadFormats(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"one.json": `{"id":"one","event":{"type":"track"},"settings":{"apiServer":"eu"},
			"mocks":[{"request":{"method":"post","url":"https://api.eu.intercom.io/events"},"response":{"status":202}}],
			"expect":[{"method":"POST","url":"https://api.eu.intercom.io/events","body":{"a":1}}]}`,
		"list.json": `[{"name":"two","input":{"message":{"type":"identify"},"destination":{"Config":{"apiKey":"x"}}},"expect":{"calls":[{"method":"GET","path":"/companies?name=b&company_id=a"}]}}]`,
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cases, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) != 2 {
		t.Fatalf("loaded %d cases, want 2", len(cases))
	}
	byID := map[string]Case{}
	for _, c := range cases {
		byID[c.ID] = c
	}
	one := byID["one"]
	if len(one.Mocks) != 1 || one.Mocks[0].Request.Method != "POST" || one.Mocks[0].Request.Path != "/events" || one.Mocks[0].Status != 202 {
		t.Errorf("case one mocks = %+v", one.Mocks)
	}
	two := byID["two"]
	if string(two.Settings) != `{"apiKey":"x"}` {
		t.Errorf("case two settings = %s", two.Settings)
	}
	if len(two.Expect) != 1 || two.Expect[0].Path != "/companies?company_id=a&name=b" {
		t.Errorf("case two expect = %+v, want the query sorted", two.Expect)
	}
}

func TestLoadRejectsBadFiles(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "bad.json"), []byte(`{"id":"x","expect":[]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Load(dir)
	if err == nil || !strings.Contains(err.Error(), "bad.json") || !strings.Contains(err.Error(), "no event") {
		t.Errorf("Load error = %v, want the file and the missing event named", err)
	}
	if _, err := Load(filepath.Join(dir, "absent")); err == nil {
		t.Error("Load of a missing folder succeeded")
	}
}

func TestDiff(t *testing.T) {
	a := []Call{{Method: "POST", Path: "/events", Body: []byte(`{"a":1,"b":[1,2]}`)}}
	same := []Call{{Method: "POST", Path: "/events", Body: []byte(`{ "b":[1,2], "a":1 }`)}}
	if d := Diff(a, same); d != "" {
		t.Errorf("equal calls differ: %s", d)
	}
	other := []Call{{Method: "POST", Path: "/events", Body: []byte(`{"a":2,"b":[1,2]}`)}}
	if d := Diff(a, other); !strings.Contains(d, "body") {
		t.Errorf("body difference not reported: %q", d)
	}
	if d := Diff(a, nil); !strings.Contains(d, "extra call 0") {
		t.Errorf("extra call not reported: %q", d)
	}
	if d := Diff(nil, a); !strings.Contains(d, "call 0 missing") {
		t.Errorf("missing call not reported: %q", d)
	}
	if d := Diff(a, []Call{{Method: "PUT", Path: "/events"}}); !strings.Contains(d, "want PUT") {
		t.Errorf("method difference not reported: %q", d)
	}
}
