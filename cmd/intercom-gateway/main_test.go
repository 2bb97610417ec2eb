package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/intercom-gateway/gateway/intercom/sim"
	"github.com/intercom-gateway/gateway/internal/plugintest"
)

// runCLI runs the command in-process and returns its exit code and output.
func runCLI(t *testing.T, ctx context.Context, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(ctx, args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func startSim(t *testing.T, attrs ...sim.DataAttributeSeed) (*sim.Server, string) {
	t.Helper()
	s, err := sim.New(sim.Options{Logger: slog.New(slog.DiscardHandler), DataAttributes: attrs, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return s, srv.URL
}

// writeConfig writes a one-destination configuration for the simulator.
func writeConfig(t *testing.T, simURL, extra string) string {
	t.Helper()
	dir := t.TempDir()
	text := fmt.Sprintf(`plugin: %s
cacheDir: %s
dataDir: %s
plugins: {publicKeyFile: %s}
%s
destinations:
  - name: cli
    writeKeys: [wk_cli]
    apiKeyEnv: CLI_TEST_TOKEN
    baseURL: %s
`, plugintest.Path(t), plugintest.CacheDir(t), filepath.Join(dir, "data"), plugintest.PublicKeyFile(t), extra, simURL)
	path := filepath.Join(dir, "gateway.yaml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("CLI_TEST_TOKEN", "tok-cli")
	return path
}

func TestUsageAndUnknownCommand(t *testing.T) {
	if code, _, stderr := runCLI(t, context.Background()); code != exitUsageConfig || !strings.Contains(stderr, "Commands:") {
		t.Errorf("no arguments: exit %d, stderr %q", code, stderr)
	}
	if code, _, _ := runCLI(t, context.Background(), "help"); code != exitOK {
		t.Errorf("help: exit %d", code)
	}
	if code, _, stderr := runCLI(t, context.Background(), "frobnicate"); code != exitUsageConfig || !strings.Contains(stderr, `unknown command "frobnicate"`) {
		t.Errorf("unknown command: exit %d, stderr %q", code, stderr)
	}
	if code, _, stderr := runCLI(t, context.Background(), "send", "-nope"); code != exitUsageConfig || !strings.Contains(stderr, "-nope") {
		t.Errorf("unknown flag: exit %d, stderr %q", code, stderr)
	}
	if code, _, stderr := runCLI(t, context.Background(), "send", "-config", "/does/not/exist.yaml"); code != exitUsageConfig || !strings.Contains(stderr, "exist.yaml") {
		t.Errorf("missing config: exit %d, stderr %q", code, stderr)
	}
}

func TestSendPrintsOneResultPerEvent(t *testing.T) {
	s, simURL := startSim(t, sim.DataAttributeSeed{Model: "contact", Name: "plan", DataType: "string"})
	config := writeConfig(t, simURL, "")
	events := filepath.Join(t.TempDir(), "events.ndjson")
	lines := []string{
		`{"type":"identify","userId":"u1","traits":{"email":"u1@example.com","plan":"pro"}}`,
		``,
		`{"type":"track","userId":"u1","event":"Signed In","timestamp":1700000000}`,
		`{"type":"track","event":"no identifier"}`,
		`not json`,
	}
	if err := os.WriteFile(events, []byte(strings.Join(lines, "\n")), 0o600); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runCLI(t, context.Background(), "send", "-config", config, "-progress=false", events)
	if code != exitNotAllSent {
		t.Fatalf("exit %d, want %d\nstderr: %s", code, exitNotAllSent, stderr)
	}
	if !strings.Contains(stderr, "2 of 4 events were not delivered") {
		t.Errorf("stderr %q does not count the failures", stderr)
	}
	var results []resultLine
	for _, l := range strings.Split(strings.TrimSpace(stdout), "\n") {
		var r resultLine
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatalf("output line is not JSON: %s", l)
		}
		results = append(results, r)
	}
	want := []struct {
		line    int
		outcome string
	}{{1, "delivered"}, {3, "delivered"}, {4, "invalid_event"}, {5, "invalid_event"}}
	if len(results) != len(want) {
		t.Fatalf("%d result lines, want %d:\n%s", len(results), len(want), stdout)
	}
	for i, w := range want {
		if results[i].Line != w.line || string(results[i].Outcome) != w.outcome {
			t.Errorf("result %d = line %d %s (%s), want line %d %s", i, results[i].Line, results[i].Outcome, results[i].Message, w.line, w.outcome)
		}
	}
	if len(results[0].Calls) != 2 || results[0].Calls[1].Status != 200 {
		t.Errorf("identify calls = %+v", results[0].Calls)
	}
	if c, ok := s.ContactByExternalID("u1"); !ok || c.CustomAttributes["plan"] != "pro" {
		t.Errorf("simulator contact = %+v, %v", c, ok)
	}
}

func TestSendAllDeliveredExitsZero(t *testing.T) {
	_, simURL := startSim(t)
	config := writeConfig(t, simURL, "")
	events := filepath.Join(t.TempDir(), "events.ndjson")
	_ = os.WriteFile(events, []byte(`{"type":"identify","userId":"u2","traits":{"email":"u2@example.com"}}`+"\n"), 0o600)
	if code, stdout, stderr := runCLI(t, context.Background(), "send", "-config", config, events); code != exitOK {
		t.Errorf("exit %d\nstdout %s\nstderr %s", code, stdout, stderr)
	}
}

func TestExplainWithAnswersFile(t *testing.T) {
	dir := t.TempDir()
	event := filepath.Join(dir, "event.json")
	answers := filepath.Join(dir, "answers.json")
	_ = os.WriteFile(event, []byte(`{"type":"identify","userId":"alex98","traits":{"email":"alex@example.com","phone":"+800 555-0100"},"integrations":{"INTERCOM":{"lookup":"phone"}}}`), 0o600)
	_ = os.WriteFile(answers, []byte(`[{"status":200,"body":{"type":"list","data":[]}},{"status":200,"body":{"type":"contact","id":"c-1"}}]`), 0o600)
	code, stdout, stderr := runCLI(t, context.Background(), "explain", "-plugin", plugintest.Path(t), "-answers", answers, event)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{
		"1. POST /contacts/search", "find an existing contact by phone or external_id",
		"2. POST /contacts", "create the contact, since the search found none",
		"Outcome: delivered", "contact c-1 created",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("explain output lacks %q:\n%s", want, stdout)
		}
	}

	_ = os.WriteFile(answers, []byte(`[{"status":200,"body":{"type":"list","data":[]}}]`), 0o600)
	code, stdout, _ = runCLI(t, context.Background(), "explain", "-plugin", plugintest.Path(t), "-answers", answers, event)
	if code != exitOK || !strings.Contains(stdout, "no response for call 2") {
		t.Errorf("short answers file: exit %d\n%s", code, stdout)
	}
}

func TestExplainAgainstSimulatorShowsRejection(t *testing.T) {
	event := filepath.Join(t.TempDir(), "event.json")
	_ = os.WriteFile(event, []byte(`{"type":"identify","userId":"u3","traits":{"email":"u3@example.com","favourite_colour":"teal"}}`), 0o600)
	code, stdout, stderr := runCLI(t, context.Background(), "explain", "-plugin", plugintest.Path(t), event)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "Outcome: rejected") || !strings.Contains(stdout, "favourite_colour") {
		t.Errorf("explain output:\n%s", stdout)
	}
	code, stdout, _ = runCLI(t, context.Background(), "explain", "-plugin", plugintest.Path(t), "-attribute", "contact:favourite_colour:string", "-json", event)
	var res struct{ Outcome string }
	if code != exitOK || json.Unmarshal([]byte(stdout), &res) != nil || res.Outcome != "delivered" {
		t.Errorf("with the attribute defined: exit %d outcome %q\n%s", code, res.Outcome, stdout)
	}
}

func TestServeDeliversAndStops(t *testing.T) {
	s, simURL := startSim(t)
	addr := "127.0.0.1:" + freePort(t)
	config := writeConfig(t, simURL, "listen: "+addr+"\nadminTokenEnv: CLI_ADMIN_TOKEN")
	t.Setenv("CLI_ADMIN_TOKEN", "adm")
	t.Setenv("INTERCOM_GATEWAY_ADMIN_TOKEN", "adm")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		code, _, _ := runCLI(t, ctx, "serve", "-config", config, "-log-level", "error")
		done <- code
	}()

	url := "http://" + addr
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(url + "/healthz")
		if err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("serve did not answer /healthz")
		}
		time.Sleep(50 * time.Millisecond)
	}
	req, _ := http.NewRequest("POST", url+"/v1/identify", strings.NewReader(`{"userId":"u4","traits":{"email":"u4@example.com"}}`))
	req.SetBasicAuth("wk_cli", "")
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("ingest: %v %v", err, resp)
	}
	resp.Body.Close()
	for deadline := time.Now().Add(30 * time.Second); ; {
		if _, ok := s.ContactByExternalID("u4"); ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the event did not reach the simulator")
		}
		time.Sleep(50 * time.Millisecond)
	}
	code, stdout, stderr := runCLI(t, context.Background(), "admin", "-url", url, "queue")
	if code != exitOK || !strings.Contains(stdout, `"pending": 0`) {
		t.Errorf("admin queue: exit %d\n%s%s", code, stdout, stderr)
	}

	cancel()
	select {
	case code := <-done:
		if code != exitOK {
			t.Errorf("serve exited %d after the signal", code)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop")
	}
}

func freePort(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(http.NotFoundHandler())
	port := srv.URL[strings.LastIndex(srv.URL, ":")+1:]
	srv.Close()
	return port
}
