package mapping_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/tidwall/gjson"
	"github.com/tidwall/pretty"
	"github.com/tidwall/sjson"

	"github.com/intercom-gateway/gateway/mapping"
)

var update = flag.Bool("update", false, "rewrite the expect field of the golden files from the current output")

// goldenCase is one file of testdata/golden: an event, settings and the
// scripted Intercom answers, with the calls and result expected.
type goldenCase struct {
	Name     string          `json:"name"`
	Event    json.RawMessage `json:"event"`
	Settings json.RawMessage `json:"settings"`
	Now      int64           `json:"now"`
	Answers  []goldenAnswer  `json:"answers"`
	Expect   json.RawMessage `json:"expect"`
}

// goldenAnswer answers the request at the same position.
type goldenAnswer struct {
	Method string          `json:"method"`
	Path   string          `json:"path"`
	Status int             `json:"status"`
	Body   json.RawMessage `json:"body,omitempty"`
	Error  string          `json:"error,omitempty"`
}

// goldenExpect is what a case records: the calls planned and the result.
type goldenExpect struct {
	Outcome  mapping.Outcome   `json:"outcome"`
	Message  string            `json:"message"`
	Warnings []string          `json:"warnings,omitempty"`
	Errors   []mapping.Error   `json:"errors,omitempty"`
	Calls    []mapping.Request `json:"calls"`
	Steps    int               `json:"steps"`
}

func loadGolden(t testing.TB) map[string][]byte {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "testdata", "golden", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden cases found in ../testdata/golden (err=%v)", err)
	}
	out := make(map[string][]byte, len(files))
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatalf("read %s: %v", f, err)
		}
		out[f] = data
	}
	return out
}

// runGolden runs one case with scripted answers and returns what it
// planned; mismatched or missing answers are reported through t.
func runGolden(t *testing.T, c goldenCase) goldenExpect {
	t.Helper()
	next := 0
	send := func(_ context.Context, reqs []mapping.Request) []mapping.Response {
		out := make([]mapping.Response, len(reqs))
		for i, r := range reqs {
			if next >= len(c.Answers) {
				t.Errorf("request %d %s %s has no scripted answer", next, r.Method, r.Path)
				out[i] = mapping.Response{Error: "no scripted answer"}
				next++
				continue
			}
			a := c.Answers[next]
			if a.Method != r.Method || a.Path != r.Path {
				t.Errorf("request %d is %s %s, but the scripted answer is for %s %s", next, r.Method, r.Path, a.Method, a.Path)
			}
			out[i] = mapping.Response{Status: a.Status, Body: a.Body, Error: a.Error}
			next++
		}
		return out
	}
	x := mapping.Exchange{Step: mapping.NativeStep, Send: send}
	res := x.Run(context.Background(), c.Event, c.Settings, c.Now)
	if next < len(c.Answers) {
		t.Errorf("%d scripted answers were not used", len(c.Answers)-next)
	}
	got := goldenExpect{
		Outcome: res.Outcome, Message: res.Message, Warnings: res.Warnings,
		Errors: res.Errors, Steps: res.Steps, Calls: []mapping.Request{},
	}
	for _, call := range res.Calls {
		got.Calls = append(got.Calls, call.Request)
	}
	return got
}

func TestGolden(t *testing.T) {
	for file, data := range loadGolden(t) {
		var c goldenCase
		if err := json.Unmarshal(data, &c); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		t.Run(filepath.Base(file), func(t *testing.T) {
			got := runGolden(t, c)
			gotJSON, err := json.Marshal(got)
			if err != nil {
				t.Fatal(err)
			}
			if *update {
				rewriteExpect(t, file, data, gotJSON)
				return
			}
			if len(c.Expect) == 0 {
				t.Fatalf("%s has no expect field; run go test ./mapping -run TestGolden -update and review the diff", file)
			}
			var want bytes.Buffer
			if err := json.Compact(&want, c.Expect); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(want.Bytes(), gotJSON) {
				t.Errorf("%s (%s)\n got: %s\nwant: %s", file, c.Name, gotJSON, want.Bytes())
			}
		})
	}
}

// rewriteExpect replaces the expect field and keeps every other byte's
// order, which encoding/json would not do for the event objects.
func rewriteExpect(t *testing.T, file string, data, expect []byte) {
	t.Helper()
	out, err := sjson.SetRawBytes(data, "expect", expect)
	if err != nil {
		t.Fatal(err)
	}
	out = pretty.PrettyOptions(out, &pretty.Options{Indent: "  ", Width: 100})
	if !gjson.ValidBytes(out) {
		t.Fatalf("%s: rewritten file is not valid JSON", file)
	}
	if err := os.WriteFile(file, out, 0o644); err != nil {
		t.Fatal(err)
	}
	fmt.Println("updated", file)
}
