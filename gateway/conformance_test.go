package gateway_test

import (
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
	"github.com/intercom-gateway/gateway/internal/conformance"
	"github.com/intercom-gateway/gateway/internal/plugintest"
)

// fakeIntercom responds from a case's recorded mocks and records the calls
// that reach it. The gateway's own data attribute lookups are answered with
// the custom attributes the recorded calls wrote, since the recorded
// workspace accepted them, and are left out of the comparison.
type fakeIntercom struct {
	mu         sync.Mutex
	mocks      []conformance.Mock
	used       []bool
	calls      []conformance.Call
	attributes map[string][]string
}

func newFakeIntercom(c conformance.Case) *fakeIntercom {
	f := &fakeIntercom{mocks: c.Mocks, used: make([]bool, len(c.Mocks)), attributes: map[string][]string{}}
	for _, call := range c.Expect {
		model := "contact"
		if strings.HasPrefix(call.Path, "/companies") {
			model = "company"
		}
		var body struct {
			CustomAttributes map[string]json.RawMessage `json:"custom_attributes"`
		}
		_ = json.Unmarshal(call.Body, &body)
		for name := range body.CustomAttributes {
			f.attributes[model] = append(f.attributes[model], name)
		}
	}
	return f
}

func (f *fakeIntercom) serveDataAttributes(w http.ResponseWriter, r *http.Request) {
	model := r.URL.Query().Get("model")
	var data []map[string]any
	for i, name := range f.attributes[model] {
		data = append(data, map[string]any{"type": "data_attribute", "id": i + 1, "model": model, "name": name,
			"full_name": "custom_attributes." + name, "data_type": "string", "custom": true, "archived": false, "api_writable": true})
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"type": "list", "data": data})
}

func (f *fakeIntercom) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet && r.URL.Path == "/data_attributes" {
		f.serveDataAttributes(w, r)
		return
	}
	body, _ := io.ReadAll(r.Body)
	path, _ := conformance.NormalizePath(r.URL.RequestURI())
	f.mu.Lock()
	f.calls = append(f.calls, conformance.Call{Method: r.Method, Path: path, Body: body})
	status, answer := http.StatusNotFound, []byte(`{"type":"error.list","request_id":null,"errors":[{"code":"not_found","message":"no recorded answer"}]}`)
	for i, m := range f.mocks {
		if !f.used[i] && m.Request.Method == r.Method && m.Request.Path == path {
			f.used[i] = true
			status, answer = m.Status, m.Body
			break
		}
	}
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(answer)
}

// TestConformanceThroughGateway sends each recorded case through the
// ingestion API of a running gateway whose Intercom is a fake responding
// from the case's mocks, and compares the calls that reached it with the
// recorded ones. It prints one line per case.
func TestConformanceThroughGateway(t *testing.T) {
	conformance.RunFolder(t, "..", "conformance-gateway", func(c conformance.Case) string {
		return runCaseThroughGateway(t, c)
	})
}

func runCaseThroughGateway(t *testing.T, c conformance.Case) string {
	fake := newFakeIntercom(c)
	server := httptest.NewServer(fake)
	defer server.Close()

	settings := withoutAPIKey(c.Settings)
	cfg, err := config.Parse([]byte(fmt.Sprintf(`{"plugin":%q,"cacheDir":%q,"dataDir":%q,"workers":1,"retry":{"maxAttempts":1},
		"plugins":{"publicKeyFile":%q},
		"destinations":[{"name":"conformance","writeKeys":["wk"],"apiKey":"tok","baseURL":%q,"settings":%s}]}`,
		plugintest.Path(t), plugintest.CacheDir(t), t.TempDir(), plugintest.PublicKeyFile(t), server.URL, settings)),
		func(string) (string, bool) { return "", false })
	if err != nil {
		return "config: " + err.Error()
	}
	done := make(chan gateway.Delivery, 1)
	g, err := gateway.New(context.Background(), cfg, gateway.Options{
		Logger:     slog.New(slog.DiscardHandler),
		OnDelivery: func(d gateway.Delivery) { done <- d },
	})
	if err != nil {
		return "gateway: " + err.Error()
	}
	defer g.Close(context.Background())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go g.Run(ctx)
	ingestion := httptest.NewServer(g.Handler())
	defer ingestion.Close()

	req, _ := http.NewRequest("POST", ingestion.URL+"/v1/batch", strings.NewReader(`{"batch":[`+string(c.Event)+`]}`))
	req.SetBasicAuth("wk", "")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "ingestion: " + err.Error()
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		if len(c.Expect) == 0 {
			return ""
		}
		return fmt.Sprintf("ingestion answered %d, but the case expects %d calls", resp.StatusCode, len(c.Expect))
	}
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		return "the event was not delivered within 30 s"
	}
	fake.mu.Lock()
	defer fake.mu.Unlock()
	return conformance.Diff(fake.calls, c.Expect)
}

func withoutAPIKey(settings json.RawMessage) string {
	var m map[string]json.RawMessage
	if json.Unmarshal(settings, &m) != nil {
		return "{}"
	}
	delete(m, "apiKey")
	out, _ := json.Marshal(m)
	return string(out)
}

// TestConformanceRunnerOnGoldenCases runs the gateway conformance runner on
// the golden cases where every answer is a success, so the runner itself is
// exercised even where no recorded folder exists. Failed answers are left
// out because the gateway's client retries them and its attribute policy
// adds calls, which the recorded mapping-only cases do not contain.
func TestConformanceRunnerOnGoldenCases(t *testing.T) {
	cases, err := conformance.FromGolden("../testdata/golden")
	if err != nil {
		t.Fatal(err)
	}
	ran := 0
	for _, c := range cases {
		// A case without a timestamp takes the gateway's clock or the time
		// ingestion received the event, which differ from the recording.
		replayable := len(c.Mocks) > 0 && !strings.Contains(c.ID, "uses-now") && !strings.Contains(c.ID, "received-at")
		for _, m := range c.Mocks {
			if m.Status < 200 || m.Status > 299 {
				replayable = false
			}
		}
		if !replayable {
			continue
		}
		ran++
		if diff := runCaseThroughGateway(t, c); diff != "" {
			t.Errorf("%s: %s", c.ID, diff)
		}
	}
	if ran < 25 {
		t.Errorf("only %d golden cases were replayable, want at least 25", ran)
	}
}
