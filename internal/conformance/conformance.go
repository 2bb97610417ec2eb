// Package conformance loads recorded delivery cases, made by another
// implementation of the same event-to-Intercom mapping, and compares the
// Intercom calls of this gateway with the recorded ones.
//
// A case folder holds JSON files, each with one case or a list of cases.
// A case has an event, destination settings, the recorded Intercom responses
// ("mocks") and the calls that implementation made ("expect"). The loader
// accepts the field names below, so exports of different recorders can be
// run without conversion:
//
//	id | name | description       the case's name
//	event | input.event | input.message | message
//	settings | destination.Config | input.destination.Config | destinationConfig
//	mocks: [{"request": {"method", "url" | "path", "body"}, "response": {"status", "body"}}]
//	expect: [{"method", "url" | "path", "body"}] or {"calls": [...]} or {"requests": [...]}
//
// Paths are compared without the scheme, host and query order; bodies are
// compared as JSON values, so key order and white space do not matter.
package conformance

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/tidwall/gjson"
)

// EnvDir is the environment variable that names the case folder.
const EnvDir = "INTERCOM_CONFORMANCE_DIR"

// DefaultDir is the case folder used when EnvDir is unset, relative to the
// repository root.
const DefaultDir = "../shared/conformance/intercom-2.10"

// Call is one recorded or planned Intercom call.
type Call struct {
	Method string
	// Path is the path relative to the API root, with a sorted query.
	Path string
	Body json.RawMessage
}

// Mock is a recorded Intercom response to one call.
type Mock struct {
	Request Call
	Status  int
	Body    json.RawMessage
}

// Case is one recorded delivery.
type Case struct {
	ID       string
	File     string
	Event    json.RawMessage
	Settings json.RawMessage
	Mocks    []Mock
	Expect   []Call
}

// Dir returns the case folder: EnvDir if set, else DefaultDir resolved
// against repoRoot.
func Dir(repoRoot string) string {
	if dir := os.Getenv(EnvDir); dir != "" {
		return dir
	}
	return filepath.Join(repoRoot, DefaultDir)
}

// Load reads every *.json file below dir. A file that is not a case, or
// not JSON, is an error naming the file.
func Load(dir string) ([]Case, error) {
	var files []string
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(path, ".json") {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read conformance folder %s: %w", dir, err)
	}
	sort.Strings(files)
	var cases []Case
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", file, err)
		}
		if !gjson.ValidBytes(data) {
			return nil, fmt.Errorf("%s is not valid JSON", file)
		}
		root := gjson.ParseBytes(data)
		items := []gjson.Result{root}
		if root.IsArray() {
			items = root.Array()
		} else if root.Get("cases").IsArray() {
			items = root.Get("cases").Array()
		}
		for i, item := range items {
			c, err := parseCase(item)
			if err != nil {
				return nil, fmt.Errorf("%s case %d: %w", file, i, err)
			}
			c.File = file
			if c.ID == "" {
				c.ID = fmt.Sprintf("%s#%d", filepath.Base(file), i)
			}
			cases = append(cases, c)
		}
	}
	return cases, nil
}

func firstOf(v gjson.Result, paths ...string) gjson.Result {
	for _, p := range paths {
		if r := v.Get(p); r.Exists() {
			return r
		}
	}
	return gjson.Result{}
}

func parseCase(v gjson.Result) (Case, error) {
	var c Case
	c.ID = firstOf(v, "id", "name", "description").String()
	event := firstOf(v, "event", "input.event", "input.message", "message", "input.request.body")
	if !event.IsObject() {
		return c, fmt.Errorf("no event object (looked for event, input.event, input.message, message)")
	}
	c.Event = json.RawMessage(event.Raw)
	c.Settings = json.RawMessage("{}")
	if s := firstOf(v, "settings", "destination.Config", "input.destination.Config", "destinationConfig", "input.destination.config"); s.IsObject() {
		c.Settings = json.RawMessage(s.Raw)
	}
	var err error
	firstOf(v, "mocks", "input.mocks").ForEach(func(_, m gjson.Result) bool {
		var mock Mock
		mock.Request, err = parseCall(firstOf(m, "request", "httpReq"))
		if err != nil {
			return false
		}
		resp := firstOf(m, "response", "httpRes")
		mock.Status = int(firstOf(resp, "status", "statusCode").Int())
		if body := firstOf(resp, "body", "data"); body.Exists() {
			mock.Body = json.RawMessage(body.Raw)
		}
		c.Mocks = append(c.Mocks, mock)
		return true
	})
	if err != nil {
		return c, fmt.Errorf("mock: %w", err)
	}
	expect := firstOf(v, "expect.calls", "expect.requests", "expect")
	if !expect.IsArray() {
		return c, fmt.Errorf("expect is not a list of calls")
	}
	expect.ForEach(func(_, e gjson.Result) bool {
		var call Call
		call, err = parseCall(e)
		c.Expect = append(c.Expect, call)
		return err == nil
	})
	if err != nil {
		return c, fmt.Errorf("expect: %w", err)
	}
	return c, nil
}

func parseCall(v gjson.Result) (Call, error) {
	method := strings.ToUpper(firstOf(v, "method").String())
	target := firstOf(v, "path", "url", "endpoint").String()
	if method == "" || target == "" {
		return Call{}, fmt.Errorf("call %.80s has no method or url", v.Raw)
	}
	path, err := NormalizePath(target)
	if err != nil {
		return Call{}, err
	}
	call := Call{Method: method, Path: path}
	if body := firstOf(v, "body", "body.JSON"); body.Exists() && body.Type != gjson.Null {
		if j := body.Get("JSON"); j.Exists() {
			body = j
		}
		call.Body = json.RawMessage(body.Raw)
	}
	return call, nil
}

// NormalizePath strips the scheme and host of a URL and sorts its query,
// so "https://api.intercom.io/companies?name=a" and "/companies?name=a"
// compare equal.
func NormalizePath(target string) (string, error) {
	u, err := url.Parse(target)
	if err != nil {
		return "", fmt.Errorf("invalid url %q: %w", target, err)
	}
	path := u.EscapedPath()
	if path == "" {
		path = "/"
	}
	if u.RawQuery != "" {
		path += "?" + u.Query().Encode()
	}
	return path, nil
}

// Diff compares planned calls with the expected ones and returns the first
// difference, or "" when they match.
func Diff(got, want []Call) string {
	for i := 0; i < len(got) || i < len(want); i++ {
		switch {
		case i >= len(got):
			return fmt.Sprintf("call %d missing: want %s %s", i, want[i].Method, want[i].Path)
		case i >= len(want):
			return fmt.Sprintf("extra call %d: %s %s", i, got[i].Method, got[i].Path)
		case got[i].Method != want[i].Method || got[i].Path != want[i].Path:
			return fmt.Sprintf("call %d is %s %s, want %s %s", i, got[i].Method, got[i].Path, want[i].Method, want[i].Path)
		case !EqualJSON(got[i].Body, want[i].Body):
			return fmt.Sprintf("call %d %s %s body\n   got %s\n  want %s", i, got[i].Method, got[i].Path, got[i].Body, want[i].Body)
		}
	}
	return ""
}

// EqualJSON compares two JSON documents as values. Empty equals null.
func EqualJSON(a, b []byte) bool {
	if len(bytes.TrimSpace(a)) == 0 {
		a = []byte("null")
	}
	if len(bytes.TrimSpace(b)) == 0 {
		b = []byte("null")
	}
	var va, vb any
	if json.Unmarshal(a, &va) != nil || json.Unmarshal(b, &vb) != nil {
		return bytes.Equal(a, b)
	}
	ja, _ := json.Marshal(va)
	jb, _ := json.Marshal(vb)
	return bytes.Equal(ja, jb)
}

// FromGolden turns the golden cases of testdata/golden (event, settings,
// scripted responses and expected calls) into conformance cases, so the runners can be
// checked on known-good input when no recorded folder is present.
func FromGolden(dir string) ([]Case, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil || len(files) == 0 {
		return nil, fmt.Errorf("no golden cases in %s (err=%v)", dir, err)
	}
	var cases []Case
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			return nil, err
		}
		g := gjson.ParseBytes(data)
		c := Case{ID: filepath.Base(file), File: file, Event: json.RawMessage(g.Get("event").Raw), Settings: json.RawMessage(g.Get("settings").Raw)}
		g.Get("answers").ForEach(func(_, a gjson.Result) bool {
			path, _ := NormalizePath(a.Get("path").String())
			m := Mock{Request: Call{Method: a.Get("method").String(), Path: path}, Status: int(a.Get("status").Int())}
			if b := a.Get("body"); b.Exists() {
				m.Body = json.RawMessage(b.Raw)
			}
			c.Mocks = append(c.Mocks, m)
			return true
		})
		g.Get("expect.calls").ForEach(func(_, e gjson.Result) bool {
			path, _ := NormalizePath(e.Get("path").String())
			call := Call{Method: e.Get("method").String(), Path: path}
			if b := e.Get("body"); b.Exists() {
				call.Body = json.RawMessage(b.Raw)
			}
			c.Expect = append(c.Expect, call)
			return true
		})
		cases = append(cases, c)
	}
	return cases, nil
}
