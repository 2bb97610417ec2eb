package host

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/intercom-gateway/gateway/mapping"
)

// inlineCases are exchanges of each event type that run even when
// testdata/golden is empty.
var inlineCases = []exchangeCase{
	{
		Name:     "inline identify creates a contact",
		Event:    json.RawMessage(`{"type":"identify","userId":"u-1","traits":{"email":"Ada@Example.com","name":"Ada","plan":"pro","address":{"city":"London"}},"timestamp":"2024-12-04T10:00:00Z"}`),
		Settings: json.RawMessage(`{"apiServer":"eu"}`),
		Now:      1733337600,
		Answers: []scriptAnswer{
			{Method: "POST", Path: "/contacts/search", Status: 200, Body: json.RawMessage(`{"type":"list","data":[],"total_count":0}`)},
			{Method: "POST", Path: "/contacts", Status: 200, Body: json.RawMessage(`{"type":"contact","id":"c-1","external_id":"u-1"}`)},
		},
	},
	{
		Name:     "inline track posts an event",
		Event:    json.RawMessage(`{"type":"track","userId":"u-1","event":"Order Completed","properties":{"revenue":12.5,"currency":"EUR"},"timestamp":"2024-12-04T10:00:00Z"}`),
		Settings: json.RawMessage(`{}`),
		Now:      1733337600,
		Answers:  []scriptAnswer{{Method: "POST", Path: "/events", Status: 202}},
	},
	{
		Name:     "inline group with the contact not found",
		Event:    json.RawMessage(`{"type":"group","userId":"u-1","groupId":"acme","traits":{"name":"Acme","plan":"enterprise"}}`),
		Settings: json.RawMessage(`{"apiServer":"us"}`),
		Now:      1733337600,
		Answers: []scriptAnswer{
			{Method: "POST", Path: "/contacts/search", Status: 200, Body: json.RawMessage(`{"type":"list","data":[],"total_count":0}`)},
			{Method: "POST", Path: "/companies", Status: 200, Body: json.RawMessage(`{"type":"company","id":"co-1","company_id":"acme","name":"Acme"}`)},
		},
	},
	{
		Name:     "inline invalid event",
		Event:    json.RawMessage(`{"type":"alias","userId":"u-1"}`),
		Settings: json.RawMessage(`{}`),
		Now:      1733337600,
	},
}

// compareWithNative runs c natively and through p with the same scripted
// answers and requires identical step inputs and outputs at every step and
// equal results.
func compareWithNative(t *testing.T, p *Plugin, c exchangeCase) {
	t.Helper()
	nativeRes, native, nativeScript := runCase(c, mapping.NativeStep)
	pluginRes, plugin, _ := runCase(c, p.StepFunc(context.Background()))

	if len(nativeScript.mismatches) > 0 {
		t.Logf("the scripted answers do not match the native requests: %v", nativeScript.mismatches)
	}
	if len(plugin.outputs) != len(native.outputs) {
		t.Fatalf("the plugin ran %d steps, native ran %d (plugin result: %s %q)", len(plugin.outputs), len(native.outputs), pluginRes.Outcome, pluginRes.Message)
	}
	for i := range native.outputs {
		if !bytes.Equal(plugin.inputs[i], native.inputs[i]) {
			t.Fatalf("step %d input differs:\nplugin: %s\nnative: %s", i+1, plugin.inputs[i], native.inputs[i])
		}
		if !bytes.Equal(plugin.outputs[i], native.outputs[i]) {
			t.Fatalf("step %d output differs:\nplugin: %s\nnative: %s", i+1, plugin.outputs[i], native.outputs[i])
		}
	}
	if !reflect.DeepEqual(pluginRes, nativeRes) {
		t.Errorf("results differ:\nplugin: %+v\nnative: %+v", pluginRes, nativeRes)
	}
}

func TestGoldenPluginMatchesNative(t *testing.T) {
	p := load(t, sharedRuntime(t), pluginWasm(t), PluginConfig{})
	cases := loadCases(t, filepath.Join("..", "testdata", "golden"))
	if len(cases) == 0 {
		t.Log("testdata/golden has no cases yet; running the inline cases only")
	}
	cases = append(cases, inlineCases...)
	cases = append(cases, loadCases(t, filepath.Join("testdata", "bench"))...)
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) { compareWithNative(t, p, c) })
	}
}

// TestConformancePluginMatchesNative runs the recorded conformance cases
// of INTERCOM_CONFORMANCE_DIR (default ../shared/conformance/intercom-2.10
// from the repository root) through both the plugin and mapping.Step.
func TestConformancePluginMatchesNative(t *testing.T) {
	dir := os.Getenv("INTERCOM_CONFORMANCE_DIR")
	if dir == "" {
		dir = filepath.Join("..", "..", "shared", "conformance", "intercom-2.10")
	}
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("no conformance cases: %v; set INTERCOM_CONFORMANCE_DIR to a directory of case files", err)
	}
	cases := loadCases(t, dir)
	if len(cases) == 0 {
		t.Skipf("%s holds no *.json case files", dir)
	}
	p := load(t, sharedRuntime(t), pluginWasm(t), PluginConfig{})
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) { compareWithNative(t, p, c) })
	}
}

// TestGoldenOverHTTP delivers every golden case through Deliverer and a
// loopback server that replays the case's answers in order, and requires
// the result native mapping.Exchange gets from the same answers. It shows
// that the route check and the HTTP path change nothing for the requests
// the mapping plans.
func TestGoldenOverHTTP(t *testing.T) {
	p := load(t, sharedRuntime(t), pluginWasm(t), PluginConfig{})
	cases := append(loadCases(t, filepath.Join("..", "testdata", "golden")), inlineCases...)
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			want, _, _ := runCase(c, mapping.NativeStep)

			replay := &script{answers: c.Answers}
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := io.ReadAll(r.Body)
				a := replay.answer(mapping.Request{Method: r.Method, Path: r.URL.RequestURI(), Body: body})
				if a.Status == 0 {
					// A network failure: close the connection without an
					// answer.
					if hj, ok := w.(http.Hijacker); ok {
						if conn, _, err := hj.Hijack(); err == nil {
							conn.Close()
							return
						}
					}
				}
				w.WriteHeader(a.Status)
				w.Write(a.Body)
			}))
			defer srv.Close()

			d := Deliverer{Plugin: p, Sender: &httpSender{base: srv.URL, token: testToken}}
			got := d.Deliver(context.Background(), c.Event, c.Settings, c.Now)
			if len(replay.mismatches) > 0 {
				t.Errorf("requests over HTTP differ from the script: %v", replay.mismatches)
			}
			// An answer's error text reaches the message, and HTTP cannot
			// carry it, so those messages differ by design.
			sameText := got.Message == want.Message || hasErrorText(c.Answers)
			if got.Outcome != want.Outcome || !sameText || got.Steps != want.Steps {
				t.Errorf("over HTTP: %s %q in %d steps; native: %s %q in %d steps", got.Outcome, got.Message, got.Steps, want.Outcome, want.Message, want.Steps)
			}
			if len(got.Calls) != len(want.Calls) {
				t.Fatalf("over HTTP %d calls, native %d", len(got.Calls), len(want.Calls))
			}
			for i := range want.Calls {
				if !reflect.DeepEqual(got.Calls[i].Request, want.Calls[i].Request) {
					t.Errorf("call %d over HTTP %+v, native %+v", i, got.Calls[i].Request, want.Calls[i].Request)
				}
				if got.Calls[i].Response.Status != want.Calls[i].Response.Status {
					t.Errorf("call %d status over HTTP %d, native %d (%s)", i, got.Calls[i].Response.Status, want.Calls[i].Response.Status, got.Calls[i].Response.Error)
				}
			}
		})
	}
}

func hasErrorText(answers []scriptAnswer) bool {
	for _, a := range answers {
		if a.Error != "" {
			return true
		}
	}
	return false
}

// TestLargeEventPluginMatchesNative runs events near the mapping's 1 MiB
// event limit through both, which grows the guest's buffers and heap far
// beyond what the other cases need.
func TestLargeEventPluginMatchesNative(t *testing.T) {
	p := load(t, sharedRuntime(t), pluginWasm(t), PluginConfig{MaxInstances: 1})
	var traits, props bytes.Buffer
	for i := 0; i < 200; i++ {
		if i > 0 {
			traits.WriteByte(',')
			props.WriteByte(',')
		}
		value := strings.Repeat(string(rune('a'+i%26)), 4000)
		fmt.Fprintf(&traits, `"attr_%03d":%q`, i, value)
		fmt.Fprintf(&props, `"prop_%03d":{"text":%q,"n":%d}`, i, value, i)
	}
	cases := []exchangeCase{
		{
			Name:     "identify with 800 KB of traits",
			Event:    json.RawMessage(`{"type":"identify","userId":"u-big","traits":{"email":"big@example.com",` + traits.String() + `}}`),
			Settings: json.RawMessage(`{"customAttributePolicy":"drop"}`),
			Now:      1733337600,
			Answers: []scriptAnswer{
				{Method: "POST", Path: "/contacts/search", Status: 200, Body: json.RawMessage(`{"type":"list","data":[],"total_count":0}`)},
				{Method: "POST", Path: "/contacts", Status: 200, Body: json.RawMessage(`{"type":"contact","id":"c-big"}`)},
			},
		},
		{
			Name:     "track with 800 KB of properties",
			Event:    json.RawMessage(`{"type":"track","userId":"u-big","event":"Big","properties":{` + props.String() + `}}`),
			Settings: json.RawMessage(`{}`),
			Now:      1733337600,
			Answers:  []scriptAnswer{{Method: "POST", Path: "/events", Status: 202}},
		},
	}
	for _, c := range cases {
		if len(c.Event) < 800_000 || len(c.Event) > mapping.MaxEventSize {
			t.Fatalf("%s: the event is %d bytes, want between 800 KB and the mapping's limit", c.Name, len(c.Event))
		}
		t.Run(c.Name, func(t *testing.T) {
			compareWithNative(t, p, c)
			if res, _, _ := runCase(c, mapping.NativeStep); res.Outcome != mapping.OutcomeDelivered {
				t.Errorf("the case ends %s (%s), so it does not exercise a full exchange", res.Outcome, res.Message)
			}
		})
	}
}
