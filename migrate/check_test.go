package migrate

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/intercom-gateway/gateway/host"
	"github.com/intercom-gateway/gateway/ingest"
	"github.com/intercom-gateway/gateway/intercom"
	"github.com/intercom-gateway/gateway/intercom/sim"
	"github.com/intercom-gateway/gateway/internal/plugintest"
	"github.com/intercom-gateway/gateway/mapping"
)

var quiet = slog.New(slog.DiscardHandler)

// loadPlugin builds the mapping plugin from source and loads it.
func loadPlugin(t *testing.T) *host.Plugin {
	t.Helper()
	ctx := context.Background()
	rt, err := host.NewRuntime(ctx, host.RuntimeConfig{CacheDir: plugintest.CacheDir(t), Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rt.Close(ctx) })
	p, err := rt.Load(ctx, plugintest.Bytes(t), host.PluginConfig{MaxInstances: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close(ctx) })
	return p
}

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile("../testdata/migrate/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func checkFiles(t *testing.T, plugin *host.Plugin, settings, events string, ws *Workspace) *Report {
	t.Helper()
	in := Input{SettingsName: settings, Settings: readTestdata(t, settings), EventsName: events, Events: readTestdata(t, events)}
	r, err := Check(context.Background(), in, Options{Plugin: plugin, Workspace: ws, Now: time.Unix(1733337600, 0)})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func attributeNames(r *Report) []string {
	var names []string
	for _, a := range r.Attributes {
		names = append(names, a.Model+":"+a.Name+":"+attributeType(a))
	}
	return names
}

func TestCheckGuideExample(t *testing.T) {
	r := checkFiles(t, loadPlugin(t), "settings-export.json", "guide.json", nil)

	want := "contact:address_city:string contact:address_state:string contact:plan:string"
	if got := strings.Join(attributeNames(r), " "); got != want {
		t.Errorf("attributes = %s, want %s", got, want)
	}
	for _, a := range r.Attributes {
		if a.Status != StatusUnknown {
			t.Errorf("%s status = %s without a workspace, want unknown", a.Name, a.Status)
		}
	}
	if r.Blocked() {
		t.Errorf("problems = %+v, want none", r.Problems)
	}
	kinds := map[string]int{}
	for _, w := range r.Warnings {
		kinds[w.Kind] = w.Count
	}
	if kinds[KindLastSeen] != 1 || kinds[KindNestedTraits] != 1 {
		t.Errorf("warnings = %+v, want one identify without lastSeenAt and one nested trait", r.Warnings)
	}
	if r.Events.Total != 3 || r.Events.ByType[0].Delivered != 1 {
		t.Errorf("events = %+v", r.Events)
	}
}

// TestCheckMatchesNativeMapping runs the sample through the native mapping
// and compares the custom attributes it plans with the plugin's, so a stale
// plugin or a missed write shows up here.
func TestCheckMatchesNativeMapping(t *testing.T) {
	r := checkFiles(t, loadPlugin(t), "settings-export.json", "events.ndjson", nil)

	file, err := ParseEvents(readTestdata(t, "events.ndjson"))
	if err != nil {
		t.Fatal(err)
	}
	settings, _ := json.Marshal(r.Settings.New)
	ws := newDryRunWorkspace()
	x := mapping.Exchange{Step: mapping.NativeStep, Send: func(ctx context.Context, reqs []mapping.Request) []mapping.Response {
		out := make([]mapping.Response, len(reqs))
		for i, req := range reqs {
			out[i], _ = ws.Send(ctx, req)
		}
		return out
	}}
	var native attributeCollector
	for _, se := range file.Events {
		ev, err := ingest.Normalize(se.Raw, "", time.Unix(1733337600, 0))
		if err != nil || !ev.Sent() {
			continue
		}
		res := x.Run(context.Background(), ev.Body, settings, 1733337600)
		native.addEvent(se.Label, res.Calls)
	}
	var want []string
	for _, a := range native.list() {
		want = append(want, a.Model+":"+a.Name+":"+attributeType(a))
	}
	got := attributeNames(r)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("plugin attributes:\n%s\nnative mapping attributes:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if len(got) < 15 {
		t.Errorf("only %d attributes; the sample writes at least 15", len(got))
	}
}

func TestCheckEventFindings(t *testing.T) {
	r := checkFiles(t, loadPlugin(t), "settings-export.json", "events.ndjson", nil)
	examples := map[string][]string{}
	for _, f := range append(append([]Finding{}, r.Problems...), r.Warnings...) {
		examples[f.Kind+" "+f.Subject] = f.Examples
	}
	tests := []struct {
		key      string
		examples string
	}{
		{KindInvalidEvent + " identify events", "id-anonymous"},
		{KindInvalidEvent + " track events", "track-nobody"},
		{KindInvalidEvent + " group events", "group-no-id"},
		{KindIngestRejected + " events", "no-type"},
		{KindNotSent + " page events", "page-home"},
		{KindNotSent + " screen events", "screen-settings"},
		{KindNotSent + " alias events", "alias-1"},
		{KindLastRequestAt + ` event key "traits.update_last_request_at"`, "id-sam-2"},
		{KindLastRequestAt + ` event key "integrations.Intercom.updateLastRequestAt"`, "line 5"},
		{KindUserCompany + " identify events with traits.company", "line 5"},
		{KindUserCompanies + " identify events with a companies list", "line 5"},
		{KindNestedTraits + ` contact trait "address"`, "guide-identify,line 5"},
		{KindNestedTraits + ` company trait "address"`, "group-keener"},
		{KindLastSeen + " identify events", "guide-identify,id-sam-2,id-bad-names"},
		{KindRefusedName + ` contact attribute "user.email"`, "id-bad-names"},
		{KindTypeConflict + ` contact attribute "seats"`, "id-sam-1,id-sam-2"},
	}
	for _, tt := range tests {
		got, ok := examples[tt.key]
		if !ok {
			t.Errorf("no finding %q", tt.key)
			continue
		}
		if strings.Join(got, ",") != tt.examples {
			t.Errorf("%s: examples %v, want %s", tt.key, got, tt.examples)
		}
	}
	if _, ok := examples[KindLastSeen+" identify events"]; ok && slices.Contains(examples[KindLastSeen+" identify events"], "id-sam-1") {
		t.Error("id-sam-1 sends lastSeenAt but is reported without it")
	}
}

func TestCheckNeedsPlugin(t *testing.T) {
	_, err := Check(context.Background(), Input{Settings: []byte("{}"), Events: []byte("{}")}, Options{})
	if err == nil || !strings.Contains(err.Error(), "Plugin") {
		t.Errorf("error = %v, want one about the missing plugin", err)
	}
}

// startSim serves a simulator on loopback with the given attributes.
func startSim(t *testing.T, opts sim.Options) (*sim.Server, string) {
	t.Helper()
	opts.Logger, opts.Seed = quiet, 5
	s, err := sim.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return s, srv.URL
}

func newClient(t *testing.T, baseURL, token string) *intercom.Client {
	t.Helper()
	c, err := intercom.New(intercom.Config{Token: token, BaseURL: baseURL, Logger: quiet, MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestCheckAgainstWorkspaceAndApply(t *testing.T) {
	server, url := startSim(t, sim.Options{DataAttributes: []sim.DataAttributeSeed{
		{Model: "contact", Name: "address_city", DataType: "string"},
		{Model: "contact", Name: "plan", DataType: "string"},
		{Model: "company", Name: "hq_city", DataType: "string"},
	}})
	client := newClient(t, url, "tok-test")
	ctx := context.Background()
	ws, err := FetchWorkspace(ctx, client)
	if err != nil {
		t.Fatal(err)
	}
	if ws.customCount() != 3 {
		t.Fatalf("workspace has %d custom attributes, want 3", ws.customCount())
	}

	r := checkFiles(t, loadPlugin(t), "settings-export.json", "deliverable.ndjson", ws)
	states := map[string]string{}
	for _, a := range r.Attributes {
		states[a.Model+":"+a.Name] = a.Status
	}
	if states["contact:address_city"] != StatusDefined || states["contact:address_state"] != StatusMissing || states["company:hq_city"] != StatusDefined {
		t.Fatalf("states = %v", states)
	}
	if !r.Blocked() {
		t.Fatal("the report has no problem, but the workspace lacks attributes")
	}

	// Another process defines one of the attributes after the check, so
	// creating it fails with Intercom's message.
	req, _ := http.NewRequest("POST", url+"/data_attributes", strings.NewReader(`{"name":"seats","model":"contact","data_type":"integer"}`))
	req.Header.Set("Authorization", "Bearer tok-test")
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Intercom-Version", "2.10")
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("define seats in the simulator: %v %v", err, resp)
	}
	resp.Body.Close()

	if err := Apply(ctx, client, r); err != nil {
		t.Fatal(err)
	}
	results := map[string]ApplyItem{}
	for _, item := range r.Apply.Items {
		results[item.Model+":"+item.Name] = item
	}
	seats := results["contact:seats"]
	if seats.Result != ResultFailed || !strings.Contains(seats.Message, "You already have 'seats'") {
		t.Errorf("seats = %+v, want failed with Intercom's message", seats)
	}
	for _, name := range []string{"contact:address_state", "contact:score", "contact:beta_tester", "contact:trial_ends_at", "company:hq_country", "company:employees_remote", "company:industry_segment"} {
		if results[name].Result != ResultCreated {
			t.Errorf("%s = %+v, want created", name, results[name])
		}
	}
	if _, listed := results["contact:address_city"]; listed {
		t.Error("apply lists address_city, which was already defined")
	}

	defined := map[string]string{}
	for _, a := range server.State().DataAttributes {
		if a.Custom {
			defined[a.Model+":"+a.Name] = a.DataType
		}
	}
	wantTypes := map[string]string{"contact:score": "float", "contact:beta_tester": "boolean", "contact:trial_ends_at": "date", "company:employees_remote": "integer"}
	for name, dataType := range wantTypes {
		if defined[name] != dataType {
			t.Errorf("simulator defines %s as %q, want %q", name, defined[name], dataType)
		}
	}

	// Only the failed create remains a problem, and the report lists it.
	if len(r.Problems) != 1 || r.Problems[0].Subject != `contact attribute "seats"` {
		t.Errorf("problems after apply = %+v, want only seats", r.Problems)
	}
}

func TestFetchWorkspaceRejectedToken(t *testing.T) {
	_, url := startSim(t, sim.Options{Tokens: map[string]string{"good": ""}})
	const token = "tok-rejected-7f3a"
	_, err := FetchWorkspace(context.Background(), newClient(t, url, token))
	if err == nil || !strings.Contains(err.Error(), "401") || !strings.Contains(err.Error(), "check the token") {
		t.Errorf("error = %v, want the 401 and what to check", err)
	}
	if err != nil && strings.Contains(err.Error(), token) {
		t.Errorf("error %q contains the token", err)
	}
}

func TestApplyNeedsWorkspace(t *testing.T) {
	r := &Report{}
	if err := Apply(context.Background(), nil, r); err == nil {
		t.Error("Apply without a workspace succeeded")
	}
}

func TestWriteTextSections(t *testing.T) {
	r := checkFiles(t, loadPlugin(t), "settings-config.json", "batch.json", nil)
	var b bytes.Buffer
	if err := WriteText(&b, r); err != nil {
		t.Fatal(err)
	}
	text := b.String()
	var order []int
	for _, h := range []string{"Input\n-----", "New settings\n", "Custom attributes (", "Events (", "Problems that block", "Warnings (", "Summary\n"} {
		i := strings.Index(text, h)
		if i < 0 {
			t.Fatalf("the report lacks the section %q:\n%s", h, text)
		}
		order = append(order, i)
	}
	if !sort.IntsAreSorted(order) {
		t.Errorf("sections out of order: %v", order)
	}
	if strings.Contains(text, "dG9rOm") {
		t.Error("the text report contains the access token")
	}
}
