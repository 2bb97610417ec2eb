package host

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/intercom-gateway/gateway/mapping"
)

// hostileInput returns a first step input whose event selects a behaviour
// of the hostile plugin.
func hostileInput(behaviour string) []byte {
	return fmt.Appendf(nil, `{"event":{"type":"identify","userId":"u-1","hostile":%q},"settings":{},"now":1733337600}`, behaviour)
}

func TestHostileCallsPoisonOnlyTheirInstance(t *testing.T) {
	rt := sharedRuntime(t)
	f := newFakeIntercom(t)
	// quick stops loops early; patient gives the memory faults time to
	// reach the memory limit, which takes up to a second.
	quick := load(t, rt, hostileWasm(t, ""), PluginConfig{MaxInstances: 1, CallTimeout: 300 * time.Millisecond})
	patient := load(t, rt, hostileWasm(t, ""), PluginConfig{MaxInstances: 1, CallTimeout: 20 * time.Second})
	good := load(t, rt, pluginWasm(t), PluginConfig{MaxInstances: 1})

	tests := []struct {
		name      string
		behaviour string
		plugin    *Plugin
		want      error
		wantText  string
	}{
		{"infinite loop without calls", "loop", quick, ErrDeadline, "ran past 300ms"},
		{"infinite loop with calls", "spin", quick, ErrDeadline, "ran past 300ms"},
		{"unbounded recursion", "recurse", patient, ErrTrap, "unreachable"},
		{"memory bomb", "membomb", patient, ErrTrap, "unreachable"},
		{"panic", "panic", quick, ErrTrap, "unreachable"},
		{"exit", "exit", quick, ErrTrap, "exited with code 3"},
		{"huge output", "huge", quick, ErrOutput, "more than the limit"},
		{"output outside memory", "badspan", quick, ErrOutput, "outside linear memory"},
		{"error span", "errorspan", quick, ErrOutput, "hostile error span"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hostile := tt.plugin
			start := time.Now()
			out, err := hostile.Step(context.Background(), nil, hostileInput(tt.behaviour))
			if !errors.Is(err, tt.want) {
				t.Fatalf("Step returned %q and error %v, want an error wrapping %v", out, err, tt.want)
			}
			if !strings.Contains(err.Error(), tt.wantText) {
				t.Errorf("error %q does not contain %q", err, tt.wantText)
			}
			if len(out) != 0 {
				t.Errorf("Step returned %d bytes along with the error", len(out))
			}
			t.Logf("%s: %v after %v", tt.behaviour, err, time.Since(start).Round(time.Millisecond))

			// The hostile plugin's pool replaces the poisoned instance and
			// maps an ordinary event; the other plugin is unaffected.
			deliverNormal(t, hostile, f)
			deliverNormal(t, good, f)
		})
	}
}

func TestHostileOutputEndsEventRetrying(t *testing.T) {
	rt := sharedRuntime(t)
	f := newFakeIntercom(t)
	hostile := load(t, rt, hostileWasm(t, ""), PluginConfig{MaxInstances: 1, CallTimeout: 300 * time.Millisecond})
	sender := &httpSender{base: f.srv.URL, token: testToken}

	tests := []struct {
		behaviour string
		wantText  string
	}{
		{"garbage", "not valid JSON"},
		{"loop", "stopped at its deadline"},
		{"panic", "trapped"},
	}
	for _, tt := range tests {
		t.Run(tt.behaviour, func(t *testing.T) {
			event := fmt.Appendf(nil, `{"type":"track","userId":"u-1","event":"E","hostile":%q}`, tt.behaviour)
			res := Deliver(context.Background(), hostile, sender, event, testSettings, 1733337600)
			if res.Outcome != mapping.OutcomeRetrying {
				t.Errorf("outcome %s, want %s", res.Outcome, mapping.OutcomeRetrying)
			}
			if !strings.Contains(res.Message, tt.wantText) {
				t.Errorf("message %q does not contain %q", res.Message, tt.wantText)
			}
			deliverNormal(t, hostile, f)
		})
	}
	if got, _ := f.received(); len(got) != len(tests)*2 {
		t.Errorf("Intercom received %v; want only the two calls of each normal identify", got)
	}
}

func TestHostileRequestsAreRejected(t *testing.T) {
	rt := sharedRuntime(t)
	f := newFakeIntercom(t)
	hostile := load(t, rt, hostileWasm(t, ""), PluginConfig{MaxInstances: 1})
	sender := &httpSender{base: f.srv.URL, token: testToken}

	tests := []struct {
		name, method, path string
	}{
		{"absolute URL", "POST", "http://evil.example/contacts"},
		{"https URL", "GET", "https://api.intercom.io/contacts/1"},
		{"scheme-relative URL", "POST", "//evil.example/contacts"},
		{"backslashes", "POST", `\\evil.example\contacts`},
		{"backslash inside", "GET", `/contacts/a\b`},
		{"dot-dot segment", "GET", "/contacts/../admins"},
		{"encoded dot-dot", "GET", "/contacts/%2e%2e"},
		{"encoded slash", "GET", "/contacts/a%2Fb"},
		{"encoded backslash", "GET", "/contacts/a%5cb"},
		{"control character", "GET", "/contacts/a\x01b"},
		{"encoded control character", "GET", "/contacts/a%0Ab"},
		{"space", "GET", "/contacts/a b"},
		{"unknown route", "GET", "/admins"},
		{"conversations", "POST", "/conversations"},
		{"wrong method", "DELETE", "/contacts/c-1"},
		{"query on a route without one", "POST", "/events?x=1"},
		{"unknown query parameter", "GET", "/companies?email=a"},
		{"fragment", "GET", "/contacts/1#x"},
		{"empty path", "GET", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			method, _ := json.Marshal(tt.method)
			path, _ := json.Marshal(tt.path)
			event := fmt.Appendf(nil, `{"type":"track","userId":"u-1","event":"E","hostile":"path","method":%s,"path":%s}`, method, path)
			res := Deliver(context.Background(), hostile, sender, event, testSettings, 1733337600)
			// The hostile plugin ends with the error text it was given.
			if !strings.Contains(res.Message, "rejected by the host") {
				t.Errorf("the plugin was answered %q; want a local error that says the request was rejected", res.Message)
			}
			if len(res.Calls) != 1 || res.Calls[0].Response.Status != 0 {
				t.Errorf("calls %+v; want one call answered with status 0", res.Calls)
			}
		})
	}
	if got, _ := f.received(); len(got) != 0 {
		t.Errorf("Intercom received %v; want no request", got)
	}
}

func TestHostileModulesRejectedAtLoad(t *testing.T) {
	rt := sharedRuntime(t)
	f := newFakeIntercom(t)
	good := load(t, rt, pluginWasm(t), PluginConfig{MaxInstances: 1})

	tests := []struct {
		name, tags string
		want       error
		wantText   string
	}{
		{"wrong ABI version", "abi99", ErrABIVersion, "ABI version 99"},
		{"missing step export", "nostep", ErrMissingExport, `"step"`},
		{"panic in _initialize", "inittrap", ErrStartup, "_initialize"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := rt.Load(context.Background(), hostileWasm(t, tt.tags), PluginConfig{})
			if err == nil {
				_ = p.Close(context.Background())
				t.Fatal("Load succeeded, want an error")
			}
			if !errors.Is(err, tt.want) {
				t.Errorf("error %v does not wrap %v", err, tt.want)
			}
			if !strings.Contains(err.Error(), tt.wantText) {
				t.Errorf("error %q does not contain %q", err, tt.wantText)
			}
			deliverNormal(t, good, f)
		})
	}
}
