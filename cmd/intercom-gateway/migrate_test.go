package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/intercom-gateway/gateway/config"
	"github.com/intercom-gateway/gateway/gateway"
	"github.com/intercom-gateway/gateway/intercom/sim"
	"github.com/intercom-gateway/gateway/internal/plugintest"
	"github.com/intercom-gateway/gateway/mapping"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden reports of migrate check in testdata/migrate/golden")

const (
	migrateData  = "../../testdata/migrate/"
	migrateToken = "tok-migrate-secret-4711"
	// exportToken is the apiKey of settings-export.json.
	exportToken = "dG9rOmV4YW1wbGUtdG9rZW4tbm90LXJlYWw="
)

// runMigrateCLI runs the binary's command in-process.
func runMigrateCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(context.Background(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

// checkArgs returns migrate check arguments with the plugin built from
// source and the test's compilation cache.
func checkArgs(t *testing.T, settings, events string, extra ...string) []string {
	t.Helper()
	args := []string{"migrate", "check", "-plugin", plugintest.Path(t), "-cache-dir", plugintest.CacheDir(t),
		"-settings", migrateData + settings, "-events", migrateData + events}
	return append(args, extra...)
}

// startMigrateSim serves a simulator on loopback that accepts only
// migrateToken and defines the given attributes.
func startMigrateSim(t *testing.T, seeds ...sim.DataAttributeSeed) (*sim.Server, string) {
	t.Helper()
	s, err := sim.New(sim.Options{Logger: slog.New(slog.DiscardHandler), Seed: 11, DataAttributes: seeds,
		Tokens: map[string]string{migrateToken: ""}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return s, srv.URL
}

// sampleSeeds define some of events.ndjson's attributes: score with
// another type and account_tier archived.
var sampleSeeds = []sim.DataAttributeSeed{
	{Model: "contact", Name: "address_city", DataType: "string"},
	{Model: "contact", Name: "plan", DataType: "string"},
	{Model: "contact", Name: "score", DataType: "integer"},
	{Model: "contact", Name: "account_tier", DataType: "string", Archived: true},
	{Model: "company", Name: "industry_segment", DataType: "string"},
}

// guideSeeds define the custom attributes of the migration guide's
// example identify.
var guideSeeds = []sim.DataAttributeSeed{
	{Model: "contact", Name: "address_city", DataType: "string"},
	{Model: "contact", Name: "address_state", DataType: "string"},
	{Model: "contact", Name: "plan", DataType: "string"},
}

// deliverableSeeds define part of deliverable.ndjson's attributes.
var deliverableSeeds = []sim.DataAttributeSeed{
	{Model: "contact", Name: "address_city", DataType: "string"},
	{Model: "contact", Name: "plan", DataType: "string"},
	{Model: "company", Name: "hq_city", DataType: "string"},
}

func TestMigrateCheckGolden(t *testing.T) {
	tests := []struct {
		name      string
		settings  string
		events    string
		workspace bool
		seeds     []sim.DataAttributeSeed
		extra     []string
		exit      int
	}{
		{name: "export-sample", settings: "settings-export.json", events: "events.ndjson", exit: exitNotAllSent},
		{name: "export-sample-workspace", settings: "settings-export.json", events: "events.ndjson", workspace: true, seeds: sampleSeeds, exit: exitNotAllSent},
		{name: "config-batch", settings: "settings-config.json", events: "batch.json", exit: exitOK},
		{name: "guide-workspace", settings: "settings-export.json", events: "guide.json", workspace: true, seeds: guideSeeds, extra: []string{"-region", "us"}, exit: exitOK},
		{name: "apply-sample", settings: "settings-export.json", events: "events.ndjson", workspace: true, seeds: sampleSeeds, extra: []string{"-apply", "-yes"}, exit: exitNotAllSent},
		{name: "apply-deliverable", settings: "settings-export.json", events: "deliverable.ndjson", workspace: true, seeds: deliverableSeeds, extra: []string{"-apply", "-yes"}, exit: exitOK},
	}
	t.Setenv("MIGRATE_TEST_TOKEN", migrateToken)
	for _, tt := range tests {
		for _, format := range []string{"txt", "json"} {
			t.Run(tt.name+"."+format, func(t *testing.T) {
				args := checkArgs(t, tt.settings, tt.events, tt.extra...)
				simURL := ""
				if tt.workspace {
					// A fresh simulator per run, because -apply changes it.
					_, simURL = startMigrateSim(t, tt.seeds...)
					args = append(args, "-base-url", simURL, "-token-env", "MIGRATE_TEST_TOKEN")
				}
				if format == "json" {
					args = append(args, "-json")
				}
				code, stdout, stderr := runMigrateCLI(t, args...)
				if code != tt.exit {
					t.Errorf("exit %d, want %d; stderr:\n%s", code, tt.exit, stderr)
				}
				if tt.exit == exitNotAllSent && !strings.Contains(stderr, "block the migration") {
					t.Errorf("stderr %q does not say what blocks the migration", stderr)
				}
				if format == "json" && !json.Valid([]byte(stdout)) {
					t.Errorf("-json output is not valid JSON:\n%s", stdout)
				}
				for _, secret := range []string{migrateToken, exportToken} {
					if strings.Contains(stdout, secret) || strings.Contains(stderr, secret) {
						t.Errorf("the output contains the token %q", secret)
					}
				}
				if simURL != "" {
					stdout = strings.ReplaceAll(stdout, simURL, "http://127.0.0.1:SIMULATOR")
				}
				compareGolden(t, filepath.Join(migrateData, "golden", tt.name+"."+format), stdout)
			})
		}
	}
}

// compareGolden compares got with the golden file byte for byte, or
// rewrites the file under -update.
func compareGolden(t *testing.T, path, got string) {
	t.Helper()
	if *updateGolden {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v; run go test ./cmd/intercom-gateway -run TestMigrateCheckGolden -update to create it", err)
	}
	if got != string(want) {
		t.Errorf("the report differs from %s; review the difference and rerun with -update if it is right.\n%s", path, firstDifference(string(want), got))
	}
}

// firstDifference shows the first line where two texts differ.
func firstDifference(want, got string) string {
	wantLines, gotLines := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < max(len(wantLines), len(gotLines)); i++ {
		var w, g string
		if i < len(wantLines) {
			w = wantLines[i]
		}
		if i < len(gotLines) {
			g = gotLines[i]
		}
		if w != g {
			return fmt.Sprintf("line %d:\n  want: %q\n  got:  %q", i+1, w, g)
		}
	}
	return "the texts differ only in their line endings"
}

func TestMigrateCheckBadInput(t *testing.T) {
	t.Setenv("MIGRATE_TEST_TOKEN", migrateToken)
	t.Setenv("MIGRATE_EMPTY_TOKEN", "")
	closed := httptest.NewServer(http.NotFoundHandler())
	closedURL := closed.URL
	closed.Close()
	_, simURL := startMigrateSim(t)

	tests := []struct {
		name   string
		args   []string
		stderr string
	}{
		{"no sub-command", []string{"migrate"}, "needs a sub-command: check"},
		{"unknown sub-command", []string{"migrate", "fix"}, `unknown migrate sub-command "fix"`},
		{"missing settings flag", []string{"migrate", "check", "-events", "x.ndjson"}, "missing -settings"},
		{"missing events flag", []string{"migrate", "check", "-settings", "x.json"}, "missing -events"},
		{"extra argument", []string{"migrate", "check", "-settings", "a", "-events", "b", "c"}, "takes no arguments"},
		{"unknown flag", []string{"migrate", "check", "-nope"}, "-nope"},
		{"missing settings file", checkArgs(t, "nothing-here.json", "events.ndjson"), "read the settings file"},
		{"settings not JSON", checkArgs(t, "settings-not-json.yaml", "events.ndjson"), "is not valid JSON (line 1, column"},
		{"missing events file", checkArgs(t, "settings-export.json", "nothing-here.ndjson"), "read the events file"},
		{"unknown region", checkArgs(t, "settings-export.json", "events.ndjson", "-region", "mars"), `invalid -region "mars"`},
		{"base URL without token", checkArgs(t, "settings-export.json", "events.ndjson", "-base-url", simURL), "-base-url needs -token-env"},
		{"token variable unset", checkArgs(t, "settings-export.json", "events.ndjson", "-base-url", simURL, "-token-env", "MIGRATE_UNSET_TOKEN_VAR"), "MIGRATE_UNSET_TOKEN_VAR (-token-env) is not set"},
		{"token variable empty", checkArgs(t, "settings-export.json", "events.ndjson", "-base-url", simURL, "-token-env", "MIGRATE_EMPTY_TOKEN"), "is not set or empty"},
		{"token given as name", checkArgs(t, "settings-export.json", "events.ndjson", "-base-url", simURL, "-token-env", exportToken), "not the token itself"},
		{"workspace unreachable", checkArgs(t, "settings-export.json", "events.ndjson", "-base-url", closedURL, "-token-env", "MIGRATE_TEST_TOKEN"), "list the workspace's contact data attributes"},
		{"invalid base URL", checkArgs(t, "settings-export.json", "events.ndjson", "-base-url", "ftp://127.0.0.1", "-token-env", "MIGRATE_TEST_TOKEN"), "BaseURL"},
		{"apply without workspace", checkArgs(t, "settings-export.json", "events.ndjson", "-apply", "-yes"), "-apply needs a workspace"},
		{"apply from stdin", checkArgs(t, "settings-export.json", "-", "-apply", "-base-url", simURL, "-token-env", "MIGRATE_TEST_TOKEN"), "add -yes"},
		{"missing plugin", []string{"migrate", "check", "-plugin", migrateData + "no-plugin.wasm", "-settings", migrateData + "settings-export.json", "-events", migrateData + "events.ndjson"}, "read plugin"},
		{"plugin not wasm", []string{"migrate", "check", "-plugin", migrateData + "guide.json", "-settings", migrateData + "settings-export.json", "-events", migrateData + "events.ndjson"}, "load plugin"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runMigrateCLI(t, tt.args...)
			if code != exitUsageConfig {
				t.Errorf("exit %d, want %d; stderr: %s", code, exitUsageConfig, stderr)
			}
			if !strings.Contains(stderr, tt.stderr) {
				t.Errorf("stderr %q does not contain %q", stderr, tt.stderr)
			}
			if strings.Contains(stderr, exportToken) || strings.Contains(stderr, migrateToken) {
				t.Errorf("stderr contains a token: %s", stderr)
			}
			if stdout != "" {
				t.Errorf("stdout = %q, want nothing: no report for input that cannot be read", stdout)
			}
		})
	}
}

func TestMigrateCheckRejectedToken(t *testing.T) {
	t.Setenv("MIGRATE_WRONG_TOKEN", "tok-wrong-9")
	_, simURL := startMigrateSim(t)
	code, _, stderr := runMigrateCLI(t, checkArgs(t, "settings-export.json", "events.ndjson", "-base-url", simURL, "-token-env", "MIGRATE_WRONG_TOKEN")...)
	if code != exitUsageConfig || !strings.Contains(stderr, "401") {
		t.Errorf("exit %d, stderr %q; want %d and the 401", code, stderr, exitUsageConfig)
	}
	if strings.Contains(stderr, "tok-wrong-9") {
		t.Errorf("stderr contains the token: %s", stderr)
	}
}

func TestMigrateCheckBrokenLine(t *testing.T) {
	code, stdout, stderr := runMigrateCLI(t, checkArgs(t, "settings-config.json", "events-broken.ndjson", "-json")...)
	if code != exitUsageConfig {
		t.Errorf("exit %d, want %d", code, exitUsageConfig)
	}
	if !strings.Contains(stderr, "1 unreadable parts") {
		t.Errorf("stderr %q does not report the unreadable line", stderr)
	}
	var report struct {
		Input struct {
			Errors []struct {
				Line    int    `json:"line"`
				Message string `json:"message"`
			} `json:"errors"`
		} `json:"input"`
		Events struct {
			Total int `json:"total"`
		} `json:"events"`
		Attributes []struct {
			Name string `json:"name"`
		} `json:"attributes"`
	}
	if err := json.Unmarshal([]byte(stdout), &report); err != nil {
		t.Fatalf("the report is not JSON: %v\n%s", err, stdout)
	}
	if len(report.Input.Errors) != 1 || report.Input.Errors[0].Line != 2 || !strings.Contains(report.Input.Errors[0].Message, "line 2 is not valid JSON") {
		t.Errorf("input errors = %+v, want line 2", report.Input.Errors)
	}
	if report.Events.Total != 2 {
		t.Errorf("events = %d, want the 2 readable ones analysed", report.Events.Total)
	}
	var names []string
	for _, a := range report.Attributes {
		names = append(names, a.Name)
	}
	if strings.Join(names, ",") != "plan,seats" {
		t.Errorf("attributes = %v, want plan and seats from the lines around the broken one", names)
	}
}

func TestMigrateCheckEventsFromStdin(t *testing.T) {
	events, err := os.Open(migrateData + "guide.json")
	if err != nil {
		t.Fatal(err)
	}
	defer events.Close()
	saved := os.Stdin
	os.Stdin = events
	t.Cleanup(func() { os.Stdin = saved })
	code, stdout, stderr := runMigrateCLI(t, "migrate", "check", "-plugin", plugintest.Path(t), "-cache-dir", plugintest.CacheDir(t),
		"-settings", migrateData+"settings-export.json", "-events", "-")
	if code != exitOK {
		t.Errorf("exit %d, stderr %s", code, stderr)
	}
	if !strings.Contains(stdout, "Events     stdin (JSON array, 3 events)") {
		t.Errorf("the report does not read the events from stdin:\n%s", stdout)
	}
}

func TestMigrateCheckHelp(t *testing.T) {
	for _, args := range [][]string{{"migrate", "-h"}, {"migrate", "check", "-h"}} {
		code, _, stderr := runMigrateCLI(t, args...)
		if code != exitOK || !strings.Contains(stderr, "migrate check -settings") {
			t.Errorf("%v: exit %d, stderr %q", args, code, stderr)
		}
	}
}

// withPrompt makes stdin a terminal that answers the confirmation prompt.
func withPrompt(t *testing.T, answer string) {
	t.Helper()
	savedIn, savedTerminal := migrateStdin, stdinIsTerminal
	migrateStdin = strings.NewReader(answer)
	stdinIsTerminal = func() bool { return true }
	t.Cleanup(func() { migrateStdin, stdinIsTerminal = savedIn, savedTerminal })
}

func customAttributes(s *sim.Server) map[string]string {
	out := map[string]string{}
	for _, a := range s.State().DataAttributes {
		if a.Custom {
			out[a.Model+":"+a.Name] = a.DataType
		}
	}
	return out
}

func TestMigrateApplyPrompt(t *testing.T) {
	t.Setenv("MIGRATE_TEST_TOKEN", migrateToken)
	tests := []struct {
		answer  string
		created bool
		exit    int
	}{
		{"n\n", false, exitNotAllSent},
		{"\n", false, exitNotAllSent},
		{"yes\n", true, exitOK},
	}
	for _, tt := range tests {
		t.Run(strings.TrimSpace(tt.answer), func(t *testing.T) {
			server, simURL := startMigrateSim(t, deliverableSeeds...)
			withPrompt(t, tt.answer)
			code, stdout, stderr := runMigrateCLI(t, checkArgs(t, "settings-export.json", "deliverable.ndjson",
				"-apply", "-base-url", simURL, "-token-env", "MIGRATE_TEST_TOKEN")...)
			if code != tt.exit {
				t.Errorf("exit %d, want %d; stderr %s", code, tt.exit, stderr)
			}
			if !strings.Contains(stderr, "These 9 custom attributes will be created") || !strings.Contains(stderr, "Create them? [y/N]") {
				t.Errorf("stderr does not list the attributes and ask:\n%s", stderr)
			}
			_, created := customAttributes(server)["contact:address_state"]
			if created != tt.created {
				t.Errorf("address_state created = %v, want %v", created, tt.created)
			}
			if !tt.created && (!strings.Contains(stderr, "No attribute was created") || strings.Contains(stdout, "Apply (")) {
				t.Errorf("a declined prompt must create nothing and print no apply section:\nstdout %s\nstderr %s", stdout, stderr)
			}
			if tt.created && !strings.Contains(stdout, "Apply (9 created, 0 failed, 0 skipped)") {
				t.Errorf("stdout lacks the apply section:\n%s", stdout)
			}
		})
	}
}

func TestMigrateApplyRefusedWithoutTerminal(t *testing.T) {
	t.Setenv("MIGRATE_TEST_TOKEN", migrateToken)
	saved := stdinIsTerminal
	stdinIsTerminal = func() bool { return false }
	t.Cleanup(func() { stdinIsTerminal = saved })
	server, simURL := startMigrateSim(t, deliverableSeeds...)
	code, stdout, stderr := runMigrateCLI(t, checkArgs(t, "settings-export.json", "deliverable.ndjson",
		"-apply", "-base-url", simURL, "-token-env", "MIGRATE_TEST_TOKEN")...)
	if code != exitUsageConfig || !strings.Contains(stderr, "stdin is not a terminal; add -yes") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
	if stdout != "" || len(customAttributes(server)) != len(deliverableSeeds) {
		t.Errorf("the refused run printed %q or changed the workspace: %v", stdout, customAttributes(server))
	}
}

// deliveryRecorder collects the final deliveries of a gateway.
type deliveryRecorder struct {
	mu     sync.Mutex
	final  []gateway.Delivery
	notify chan struct{}
}

func (r *deliveryRecorder) record(d gateway.Delivery) {
	if !d.Final {
		return
	}
	r.mu.Lock()
	r.final = append(r.final, d)
	r.mu.Unlock()
	r.notify <- struct{}{}
}

func (r *deliveryRecorder) wait(t *testing.T, n int) []gateway.Delivery {
	t.Helper()
	deadline := time.After(60 * time.Second)
	for {
		r.mu.Lock()
		got := append([]gateway.Delivery(nil), r.final...)
		r.mu.Unlock()
		if len(got) >= n {
			return got
		}
		select {
		case <-r.notify:
		case <-deadline:
			t.Fatalf("only %d of %d events left the queue within 60 s", len(got), n)
		}
	}
}

// testdataLines returns the non-empty lines of a testdata file.
func testdataLines(t *testing.T, file string) []string {
	t.Helper()
	data, err := os.ReadFile(migrateData + file)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSpace(string(data)), "\n")
}

// deliverThroughGateway starts a gateway whose destination uses settings
// and the simulator at simURL, posts the events as one batch and returns
// their final deliveries.
func deliverThroughGateway(t *testing.T, simURL string, settings json.RawMessage, events []string) []gateway.Delivery {
	t.Helper()
	cfgText := fmt.Sprintf(`{"plugin":%q,"cacheDir":%q,"dataDir":%q,"workers":2,"plugins":{"publicKeyFile":%q},
		"destinations":[{"name":"migrated","writeKeys":["wk_migrate"],"apiKeyEnv":"MIGRATE_TEST_TOKEN","baseURL":%q,"settings":%s}]}`,
		plugintest.Path(t), plugintest.CacheDir(t), t.TempDir(), plugintest.PublicKeyFile(t), simURL, settings)
	cfg, err := config.Parse([]byte(cfgText), func(name string) (string, bool) {
		return migrateToken, name == "MIGRATE_TEST_TOKEN"
	})
	if err != nil {
		t.Fatalf("the new settings do not load as gateway settings: %v", err)
	}
	rec := &deliveryRecorder{notify: make(chan struct{}, 100)}
	g, err := gateway.New(context.Background(), cfg, gateway.Options{Logger: slog.New(slog.DiscardHandler), OnDelivery: rec.record})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { g.Run(ctx); close(done) }()
	srv := httptest.NewServer(g.Handler())
	t.Cleanup(func() {
		srv.Close()
		cancel()
		<-done
		g.Close(context.Background())
	})

	req, _ := http.NewRequest("POST", srv.URL+"/v1/batch", strings.NewReader(`{"batch":[`+strings.Join(events, ",")+`]}`))
	req.SetBasicAuth("wk_migrate", "")
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("the gateway returned %d for the batch", resp.StatusCode)
	}
	return rec.wait(t, len(events))
}

// newSettingsOf returns the settings object of a JSON report.
func newSettingsOf(t *testing.T, report string) json.RawMessage {
	t.Helper()
	var r struct {
		Settings struct {
			New json.RawMessage `json:"new"`
		} `json:"settings"`
	}
	if err := json.Unmarshal([]byte(report), &r); err != nil || len(r.Settings.New) == 0 {
		t.Fatalf("the report has no new settings: %v\n%s", err, report)
	}
	return r.Settings.New
}

func TestMigrateApplyThenDeliver(t *testing.T) {
	t.Setenv("MIGRATE_TEST_TOKEN", migrateToken)

	events := testdataLines(t, "deliverable.ndjson")

	// Control: without the check, the guide's identify fails against a
	// workspace with the same attributes. Only that event is sent, since a
	// track after a rejected identify would wait for retries.
	_, controlURL := startMigrateSim(t, deliverableSeeds...)
	control := deliverThroughGateway(t, controlURL, json.RawMessage(`{"apiServer":"standard"}`), events[:1])
	if control[0].Result.Outcome != mapping.OutcomeRejected {
		t.Fatalf("control: the identify ended %s without the check, so this test would prove nothing", control[0].Result.Outcome)
	}

	server, simURL := startMigrateSim(t, deliverableSeeds...)
	workspace := []string{"-base-url", simURL, "-token-env", "MIGRATE_TEST_TOKEN", "-json"}
	code, report, stderr := runMigrateCLI(t, checkArgs(t, "settings-export.json", "deliverable.ndjson", append(workspace, "-apply", "-yes")...)...)
	if code != exitOK {
		t.Fatalf("apply: exit %d; stderr %s", code, stderr)
	}
	code, again, stderr := runMigrateCLI(t, checkArgs(t, "settings-export.json", "deliverable.ndjson", workspace...)...)
	if code != exitOK || strings.Contains(again, `"status": "missing"`) {
		t.Fatalf("check after apply: exit %d, stderr %s\n%s", code, stderr, again)
	}

	deliveries := deliverThroughGateway(t, simURL, newSettingsOf(t, report), events)
	for _, d := range deliveries {
		if d.Result.Outcome != mapping.OutcomeDelivered {
			t.Errorf("%s %s: %s: %s", d.Event.Type, d.Event.MessageID, d.Result.Outcome, d.Result.Message)
		}
	}

	state := server.State()
	contacts := map[string]sim.Contact{}
	for _, c := range state.Contacts {
		contacts[c.ExternalID] = c
	}
	if got := contacts["alex98"].CustomAttributes["address_state"]; got != "Louisiana" {
		t.Errorf("alex98 address_state = %v, want Louisiana", got)
	}
	if got := contacts["sam42"].CustomAttributes["beta_tester"]; got != true {
		t.Errorf("sam42 beta_tester = %v, want true", got)
	}
	companies := map[string]sim.Company{}
	for _, c := range state.Companies {
		companies[c.CompanyID] = c
	}
	if got := companies["keener-labs"].CustomAttributes["hq_country"]; got != "US" {
		t.Errorf("keener-labs hq_country = %v, want US", got)
	}
}
