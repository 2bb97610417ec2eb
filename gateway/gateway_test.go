package gateway_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/intercom-gateway/gateway/config"
	"github.com/intercom-gateway/gateway/gateway"
	"github.com/intercom-gateway/gateway/intercom/sim"
	"github.com/intercom-gateway/gateway/intercom/spectest"
	"github.com/intercom-gateway/gateway/internal/plugintest"
	"github.com/intercom-gateway/gateway/mapping"
)

const writeKey = "wk_test"

// stack is a gateway serving on loopback in front of a simulator.
type stack struct {
	sim       *sim.Server
	url       string
	gateway   *gateway.Gateway
	mu        sync.Mutex
	delivered []gateway.Delivery
	notify    chan struct{}
}

func startStack(t *testing.T, settings string, simOpts sim.Options) *stack {
	t.Helper()
	return startStackWith(t, settings, simOpts, "", "")
}

// startStackWith adds extra top-level configuration fields and extra fields
// of the plugins section, each written as JSON members with a trailing
// comma, such as `"adminTokenEnv":"ADMIN",`. The environment variable ADMIN
// holds the admin token "admin-secret".
func startStackWith(t *testing.T, settings string, simOpts sim.Options, extra, pluginsExtra string) *stack {
	t.Helper()
	st := &stack{notify: make(chan struct{}, 1000)}
	simOpts.Logger = slog.New(slog.DiscardHandler)
	if simOpts.Seed == 0 {
		simOpts.Seed = 7
	}
	var err error
	st.sim, err = sim.New(simOpts)
	if err != nil {
		t.Fatal(err)
	}
	simServer := httptest.NewServer(st.sim)
	t.Cleanup(simServer.Close)

	cfg, err := config.Parse([]byte(fmt.Sprintf(`{`+extra+`"plugin":%q,"cacheDir":%q,"dataDir":%q,"workers":4,
		"retry":{"maxAttempts":3,"baseDelay":"10ms","maxDelay":"50ms"},"plugins":{`+pluginsExtra+`"publicKeyFile":%q},
		"destinations":[{"name":"test","writeKeys":[%q],"apiKey":"tok_test","baseURL":%q,"settings":%s}]}`,
		plugintest.Path(t), plugintest.CacheDir(t), t.TempDir(), plugintest.PublicKeyFile(t), writeKey, simServer.URL, settings)),
		func(name string) (string, bool) { return "admin-secret", name == "ADMIN" })
	if err != nil {
		t.Fatal(err)
	}
	validator := spectest.NewTransport(spectest.ForTest(t), http.DefaultTransport)
	validator.CheckOnCleanup(t)
	st.gateway, err = gateway.New(context.Background(), cfg, gateway.Options{
		Logger:     slog.New(slog.DiscardHandler),
		HTTPClient: &http.Client{Transport: validator},
		OnDelivery: func(d gateway.Delivery) {
			st.mu.Lock()
			st.delivered = append(st.delivered, d)
			st.mu.Unlock()
			st.notify <- struct{}{}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { st.gateway.Run(ctx); close(done) }()
	srv := httptest.NewServer(st.gateway.Handler())
	st.url = srv.URL
	t.Cleanup(func() {
		srv.Close()
		cancel()
		<-done
		st.gateway.Close(context.Background())
	})
	return st
}

// post sends body to a route and returns the status and reply.
func (st *stack) post(t *testing.T, route, key, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest("POST", st.url+route, strings.NewReader(body))
	if key != "" {
		req.SetBasicAuth(key, "")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var reply map[string]any
	_ = json.Unmarshal(data, &reply)
	return resp.StatusCode, reply
}

// wait blocks until n deliveries ended and returns them in order of ending.
func (st *stack) wait(t *testing.T, n int) []gateway.Delivery {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		st.mu.Lock()
		got := len(st.delivered)
		st.mu.Unlock()
		if got >= n {
			st.mu.Lock()
			defer st.mu.Unlock()
			return append([]gateway.Delivery(nil), st.delivered...)
		}
		select {
		case <-st.notify:
		case <-deadline:
			t.Fatalf("only %d of %d deliveries ended within 30 s", got, n)
		}
	}
}

// waitFinal blocks until n events left the queue (delivered or
// dead-lettered) and returns those final deliveries.
func (st *stack) waitFinal(t *testing.T, n int) []gateway.Delivery {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		st.mu.Lock()
		var final []gateway.Delivery
		for _, d := range st.delivered {
			if d.Final {
				final = append(final, d)
			}
		}
		st.mu.Unlock()
		if len(final) >= n {
			return final
		}
		select {
		case <-st.notify:
		case <-deadline:
			t.Fatalf("only %d of %d events left the queue within 30 s", len(final), n)
		}
	}
}

var seedAttributes = []sim.DataAttributeSeed{
	{Model: "contact", Name: "address_city", DataType: "string"},
	{Model: "contact", Name: "address_state", DataType: "string"},
	{Model: "contact", Name: "plan", DataType: "string"},
}

func TestMigrationGuideEndToEnd(t *testing.T) {
	st := startStack(t, `{"apiServer":"standard"}`, sim.Options{DataAttributes: seedAttributes})
	status, reply := st.post(t, "/v1/identify", writeKey, `{"userId":"alex98","traits":{"name":"Alex Keener","createdAt":"2024-01-05T19:11:00.337Z",
		"email":"alex@example.com","phone":"+800 555-0100","address":{"city":"New Orleans","state":"Louisiana"},"plan":"enterprise"},
		"integrations":{"INTERCOM":{"lookup":"phone"}}}`)
	if status != 200 {
		t.Fatalf("identify: status %d %v", status, reply)
	}
	st.wait(t, 1)
	status, _ = st.post(t, "/v1/batch", writeKey, `{"batch":[
		{"type":"track","userId":"alex98","event":"Order Completed","timestamp":1704535200,"properties":{"order_id":"o-1"}},
		{"type":"group","userId":"alex98","groupId":"keener-labs","traits":{"name":"Keener Labs","size":12}}]}`)
	if status != 200 {
		t.Fatalf("batch: status %d", status)
	}
	for _, d := range st.wait(t, 3) {
		if d.Result.Outcome != mapping.OutcomeDelivered {
			t.Errorf("%s %s: %s: %s", d.Event.Type, d.Event.MessageID, d.Result.Outcome, d.Result.Message)
		}
	}

	state := st.sim.State()
	if len(state.Contacts) != 1 {
		t.Fatalf("simulator holds %d contacts, want 1", len(state.Contacts))
	}
	c := state.Contacts[0]
	if c.ExternalID != "alex98" || c.Email != "alex@example.com" || c.Phone != "+800 555-0100" || c.Name != "Alex Keener" {
		t.Errorf("contact = %+v", c)
	}
	for k, want := range map[string]string{"address_city": "New Orleans", "address_state": "Louisiana", "plan": "enterprise"} {
		if c.CustomAttributes[k] != want {
			t.Errorf("custom attribute %s = %v, want %q", k, c.CustomAttributes[k], want)
		}
	}
	if c.SignedUpAt == nil || *c.SignedUpAt != 1704481860 {
		t.Errorf("signed_up_at = %v, want 1704481860", c.SignedUpAt)
	}
	if len(state.Events) != 1 || state.Events[0].EventName != "Order Completed" || state.Events[0].CreatedAt != 1704535200 {
		t.Errorf("events = %+v", state.Events)
	}
	if len(state.Companies) != 1 || state.Companies[0].CompanyID != "keener-labs" || len(state.Companies[0].ContactIDs) != 1 {
		t.Errorf("companies = %+v", state.Companies)
	}
}

func TestUndefinedAttributeRejectedWithFix(t *testing.T) {
	st := startStack(t, `{}`, sim.Options{})
	st.post(t, "/v1/identify", writeKey, `{"userId":"sam42","traits":{"email":"sam@example.com","favourite_colour":"teal"}}`)
	d := st.wait(t, 1)[0]
	if d.Result.Outcome != mapping.OutcomeRejected {
		t.Fatalf("outcome = %s (%s), want rejected", d.Result.Outcome, d.Result.Message)
	}
	for _, want := range []string{"favourite_colour", "not sent", "POST /data_attributes", `"drop" or "create"`} {
		if !strings.Contains(d.Result.Message, want) {
			t.Errorf("message %q does not contain %q", d.Result.Message, want)
		}
	}
	if n := len(st.sim.State().Contacts); n != 0 {
		t.Errorf("simulator holds %d contacts; the rejected write must not be sent", n)
	}
}

func TestDropPolicyDeliversWithoutAttribute(t *testing.T) {
	st := startStack(t, `{"customAttributePolicy":"drop"}`, sim.Options{DataAttributes: seedAttributes})
	st.post(t, "/v1/identify", writeKey, `{"userId":"u1","traits":{"email":"u1@example.com","plan":"pro","favourite_colour":"teal"}}`)
	d := st.wait(t, 1)[0]
	if d.Result.Outcome != mapping.OutcomeDelivered {
		t.Fatalf("outcome = %s (%s)", d.Result.Outcome, d.Result.Message)
	}
	if !strings.Contains(strings.Join(d.Result.Warnings, "\n"), "favourite_colour") {
		t.Errorf("warnings %q do not report the dropped attribute", d.Result.Warnings)
	}
	c := st.sim.State().Contacts[0]
	if c.CustomAttributes["plan"] != "pro" || c.CustomAttributes["favourite_colour"] != nil {
		t.Errorf("custom attributes = %v", c.CustomAttributes)
	}
}

func TestOrderPerContact(t *testing.T) {
	st := startStack(t, `{}`, sim.Options{})
	const users, perUser = 6, 15
	var batch []string
	for u := 0; u < users; u++ {
		batch = append(batch, fmt.Sprintf(`{"type":"identify","userId":"user-%d","traits":{"email":"user%d@example.com"}}`, u, u))
	}
	for n := 0; n < perUser; n++ {
		for u := 0; u < users; u++ {
			batch = append(batch, fmt.Sprintf(`{"type":"track","userId":"user-%d","event":"Step","timestamp":%d,"properties":{"seq":%d}}`, u, 1700000000+n, n))
		}
	}
	status, reply := st.post(t, "/v1/batch", writeKey, `{"batch":[`+strings.Join(batch, ",")+`]}`)
	if status != 200 {
		t.Fatalf("status %d %v", status, reply)
	}
	deliveries := st.wait(t, len(batch))
	seq := map[string]int{}
	for _, d := range deliveries {
		if d.Result.Outcome != mapping.OutcomeDelivered {
			t.Fatalf("%s: %s %s", d.Event.Key, d.Result.Outcome, d.Result.Message)
		}
		if d.Event.Type != "track" {
			if seq[d.Event.Key] != 0 {
				t.Fatalf("identify of %s ended after its tracks", d.Event.Key)
			}
			continue
		}
		var body struct {
			Properties struct{ Seq int } `json:"properties"`
		}
		_ = json.Unmarshal(d.Event.Body, &body)
		if body.Properties.Seq != seq[d.Event.Key] {
			t.Fatalf("%s: event seq %d delivered when %d was next", d.Event.Key, body.Properties.Seq, seq[d.Event.Key])
		}
		seq[d.Event.Key]++
	}
	if got := len(st.sim.State().Events); got != users*perUser {
		t.Errorf("simulator holds %d events, want %d", got, users*perUser)
	}
}

func TestBadInputKeepsServing(t *testing.T) {
	st := startStack(t, `{}`, sim.Options{})
	deep := strings.Repeat(`{"a":`, 10000) + "1" + strings.Repeat("}", 10000)
	cases := []struct {
		name, route, key, body string
		status                 int
	}{
		{"malformed JSON", "/v1/batch", writeKey, `{"batch":[{"type":`, 400},
		{"unknown write key", "/v1/batch", "nope", `{"batch":[{"type":"track","userId":"u","event":"e"}]}`, 401},
		{"ten megabytes", "/v1/track", writeKey, `{"userId":"u","event":"e","properties":{"x":"` + strings.Repeat("x", 10<<20) + `"}}`, 413},
		{"deep nesting", "/v1/track", writeKey, `{"userId":"u","event":"e","properties":` + deep + `}`, 400},
		{"invalid UTF-8", "/v1/track", writeKey, "{\"userId\":\"u\",\"event\":\"\xc3\x28\"}", 400},
		{"unknown type", "/v1/batch", writeKey, `{"batch":[{"type":"purchase","userId":"u"}]}`, 400},
		{"wrong types", "/v1/batch", writeKey, `{"batch":[{"type":7,"userId":"u"}]}`, 400},
	}
	for _, c := range cases {
		status, reply := st.post(t, c.route, c.key, c.body)
		if status != c.status {
			t.Errorf("%s: status %d, want %d (%v)", c.name, status, c.status, reply)
		}
		if reply["error"] == nil || reply["error"] == "" {
			t.Errorf("%s: reply has no error message: %v", c.name, reply)
		}
	}

	// A batch with bad events still delivers its valid ones.
	status, reply := st.post(t, "/v1/batch", writeKey, `{"batch":[{"type":"purchase"},{"type":"track","userId":"u9","event":"Kept","timestamp":1700000000},{"type":"track","event":"no user"},"x"]}`)
	if status != 200 {
		t.Fatalf("mixed batch: status %d %v", status, reply)
	}
	if rejected, _ := reply["rejected"].([]any); len(rejected) != 2 {
		t.Errorf("mixed batch rejected %v, want 2 entries", reply["rejected"])
	}
	outcomes := map[mapping.Outcome]int{}
	for _, d := range st.waitFinal(t, 2) {
		outcomes[d.Result.Outcome]++
	}
	if outcomes[mapping.OutcomeInvalidEvent] != 1 {
		t.Errorf("outcomes = %v, want the track without identifier to end invalid", outcomes)
	}
	// No contact u9 exists, so Intercom answers 404 until the retry
	// budget is spent: the valid event reached Intercom.
	if outcomes[mapping.OutcomeRetrying] != 1 {
		t.Errorf("outcomes = %v, want the valid track to reach Intercom and be retried", outcomes)
	}
}

func TestHealthzAndMetrics(t *testing.T) {
	st := startStack(t, `{}`, sim.Options{})
	// No contact u1 exists, so the track is retried until the budget of
	// three attempts is spent and becomes a dead letter.
	st.post(t, "/v1/track", writeKey, `{"userId":"u1","event":"e","timestamp":1700000000}`)
	final := st.wait(t, 3)[2]
	if !final.Final || final.Result.Outcome != mapping.OutcomeRetrying || !strings.Contains(final.Result.Message, "retry budget spent") {
		t.Errorf("third attempt = %+v", final)
	}

	resp, err := http.Get(st.url + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	var health struct {
		Status string
		Plugin struct{ Name, Version, Sha256 string }
	}
	_ = json.NewDecoder(resp.Body).Decode(&health)
	resp.Body.Close()
	if health.Status != "ok" || len(health.Plugin.Sha256) != 64 || health.Plugin.Version == "" {
		t.Errorf("healthz = %+v", health)
	}

	resp, err = http.Get(st.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		`gateway_events_total{destination="test",outcome="retrying"} 3`,
		`gateway_intercom_calls_total{route="POST /events",status="404"}`,
		`gateway_ingested_events_total{destination="test",status="accepted"} 1`,
		`gateway_plugin_step_seconds_count 6`,
		`gateway_plugin_info{name="intercom-mapping"`,
		`gateway_queue_depth 0`,
	} {
		if !bytes.Contains(data, []byte(want)) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}
