package gateway_test

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/intercom-gateway/gateway/gateway"
	"github.com/intercom-gateway/gateway/intercom/sim"
	"github.com/intercom-gateway/gateway/internal/plugintest"
	"github.com/intercom-gateway/gateway/mapping"
)

func readModule(t *testing.T, path string) (module []byte, signature string) {
	t.Helper()
	module, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sig, _ := os.ReadFile(path + ".sig")
	return module, string(sig)
}

// swapViaAdmin uploads a module through PUT /admin/plugin.
func swapViaAdmin(t *testing.T, url string, module []byte, signature string) (int, gateway.SwapReport) {
	t.Helper()
	req, _ := http.NewRequest("PUT", url+"/admin/plugin", strings.NewReader(string(module)))
	req.Header.Set("Authorization", "Bearer admin-secret")
	req.Header.Set("X-Plugin-Signature", signature)
	req.Header.Set("X-Requested-By", "swap test")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var report gateway.SwapReport
	if err := json.NewDecoder(resp.Body).Decode(&report); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, report
}

// TestSwapUnderLoad swaps between two versions of the plugin 20 times while
// events flow, and checks that every event is delivered exactly as without
// swaps: none fails, none is lost.
func TestSwapUnderLoad(t *testing.T) {
	st := startStackWith(t, `{}`, sim.Options{TokenRateLimit: 1_000_000, WorkspaceRateLimit: 1_000_000}, `"adminTokenEnv":"ADMIN",`, "")
	v1, sig1 := readModule(t, plugintest.Path(t))
	v2, sig2 := readModule(t, plugintest.Variant(t, "./plugin", "-ldflags", "-X main.version=v2"))

	const users, perUser = 20, 30
	var identify []string
	for u := 0; u < users; u++ {
		identify = append(identify, fmt.Sprintf(`{"type":"identify","userId":"swap-%d","traits":{"email":"swap%d@example.com"}}`, u, u))
	}
	if status, reply := st.post(t, "/v1/batch", writeKey, `{"batch":[`+strings.Join(identify, ",")+`]}`); status != 200 {
		t.Fatalf("identify batch: %d %v", status, reply)
	}

	// Steady load: one batch of tracks every 20 ms while the swaps run.
	var sent atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for n := 0; n < perUser; n++ {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
			var batch []string
			for u := 0; u < users; u++ {
				batch = append(batch, fmt.Sprintf(`{"type":"track","userId":"swap-%d","event":"Tick","timestamp":%d}`, u, 1700000000+n))
			}
			if status, _ := st.post(t, "/v1/batch", writeKey, `{"batch":[`+strings.Join(batch, ",")+`]}`); status == 200 {
				sent.Add(int64(len(batch)))
			}
		}
	}()

	versions := map[string]int{}
	for i := 0; i < 20; i++ {
		module, sig := v2, sig2
		if i%2 == 1 {
			module, sig = v1, sig1
		}
		status, report := swapViaAdmin(t, st.url, module, sig)
		if status != 200 || report.Result != "swapped" {
			t.Fatalf("swap %d: %d %+v", i, status, report)
		}
		versions[report.New.Version]++
		if report.Old.SHA256 == report.New.SHA256 || report.RequestedBy == "" {
			t.Errorf("swap %d report = %+v", i, report)
		}
	}
	wg.Wait()
	close(stop)

	total := users + int(sent.Load())
	final := st.waitFinal(t, total)
	for _, d := range final {
		if d.Result.Outcome != mapping.OutcomeDelivered {
			t.Errorf("%s %s ended %s during the swaps: %s", d.Event.Type, d.Event.MessageID, d.Result.Outcome, d.Result.Message)
		}
	}
	st.mu.Lock()
	attempts := len(st.delivered)
	st.mu.Unlock()
	if attempts != total {
		t.Errorf("%d delivery attempts for %d events: a swap made some event fail and retry", attempts, total)
	}
	if got := len(st.sim.State().Events); got != int(sent.Load()) {
		t.Errorf("simulator holds %d events, want %d", got, sent.Load())
	}
	if versions["v2"] != 10 || versions["dev"] != 10 {
		t.Errorf("swapped-in versions = %v", versions)
	}
	if history := st.gateway.SwapHistory(); len(history) != 20 {
		t.Errorf("swap history has %d entries, want 20", len(history))
	}

	// A module can also be named by its path on the gateway's machine.
	req, _ := http.NewRequest("PUT", st.url+"/admin/plugin?path="+plugintest.Path(t), nil)
	req.Header.Set("Authorization", "Bearer admin-secret")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var byPath gateway.SwapReport
	_ = json.NewDecoder(resp.Body).Decode(&byPath)
	resp.Body.Close()
	if resp.StatusCode != 200 || byPath.Result != "unchanged" {
		t.Errorf("swap by path to the module in use: %d %+v", resp.StatusCode, byPath)
	}
	t.Logf("%d events delivered across 20 swaps", total)
}

// TestSwapRefusesBrokenModules offers modules that must not take traffic;
// each is refused and the plugin in use keeps serving.
func TestSwapRefusesBrokenModules(t *testing.T) {
	st := startStack(t, `{}`, sim.Options{})
	ctx := context.Background()
	before := st.gateway.Plugin()
	good, _ := readModule(t, plugintest.Variant(t, "./plugin", "-ldflags", "-X main.version=v2"))
	wrong, wrongSig := readModule(t, plugintest.Variant(t, "./gateway/testdata/wrongplugin"))
	abi99, abi99Sig := readModule(t, plugintest.Variant(t, "./host/testdata/hostile", "-tags", "abi99"))

	tests := []struct {
		name   string
		req    gateway.SwapRequest
		reason string
	}{
		{"not wasm", gateway.SwapRequest{Module: []byte("#!/bin/sh\necho not wasm"), SHA256: sha(t, []byte("#!/bin/sh\necho not wasm"))}, "WebAssembly"},
		{"no signature", gateway.SwapRequest{Module: good}, "no signature"},
		{"bad signature", gateway.SwapRequest{Module: good, Signature: wrongSig}, "signature is not valid"},
		{"wrong pinned hash", gateway.SwapRequest{Module: good, SHA256: strings.Repeat("0", 64)}, "not the pinned"},
		{"wrong ABI version", gateway.SwapRequest{Module: abi99, Signature: abi99Sig}, "ABI version"},
		{"failing self-test", gateway.SwapRequest{Module: wrong, Signature: wrongSig}, "self-test outputs"},
	}
	for _, tt := range tests {
		tt.req.RequestedBy = "refusal test"
		report, err := st.gateway.Swap(ctx, tt.req)
		if !errors.Is(err, gateway.ErrSwapRefused) || report.Result != "refused" {
			t.Errorf("%s: err %v, report %+v", tt.name, err, report)
			continue
		}
		if !strings.Contains(report.Reason, tt.reason) {
			t.Errorf("%s: reason %q lacks %q", tt.name, report.Reason, tt.reason)
		}
		if tt.name == "failing self-test" && len(report.Differences) == 0 {
			t.Errorf("failing self-test: no differences reported")
		}
		if st.gateway.Plugin().SHA256 != before.SHA256 {
			t.Fatalf("%s: the plugin in use changed after a refused swap", tt.name)
		}
	}
	// The old plugin still serves.
	st.post(t, "/v1/track", writeKey, `{"userId":"nobody","event":"Still Serving","timestamp":1700000000}`)
	if d := st.wait(t, 1)[0]; len(d.Result.Calls) == 0 || d.Result.Calls[0].Request.Path != "/events" {
		t.Errorf("after the refusals, delivery = %+v", d.Result)
	}

	// Accepting the differences lets the operator through.
	report, err := st.gateway.Swap(ctx, gateway.SwapRequest{Module: wrong, Signature: wrongSig, AcceptDifferences: true, RequestedBy: "operator"})
	if err != nil || report.Result != "swapped" || report.New.Name != "wrong-mapping" {
		t.Errorf("accepted swap: %v %+v", err, report)
	}
}

// TestAutoRollbackOnWrongPlugin swaps in a plugin whose company writes
// Intercom rejects; it must be rolled back on its own.
func TestAutoRollbackOnWrongPlugin(t *testing.T) {
	st := startStackWith(t, `{}`, sim.Options{}, "", `"autoRollback":{"minEvents":5,"maxErrorRate":0.5},`)
	ctx := context.Background()
	original := st.gateway.Plugin()
	wrong, wrongSig := readModule(t, plugintest.Variant(t, "./gateway/testdata/wrongplugin"))
	if _, err := st.gateway.Swap(ctx, gateway.SwapRequest{Module: wrong, Signature: wrongSig, AcceptDifferences: true, RequestedBy: "a hurried operator"}); err != nil {
		t.Fatal(err)
	}

	var batch []string
	for u := 0; u < 10; u++ {
		batch = append(batch, fmt.Sprintf(`{"type":"group","groupId":"rb-%d","traits":{"name":"Rollback %d"}}`, u, u))
	}
	st.post(t, "/v1/batch", writeKey, `{"batch":[`+strings.Join(batch, ",")+`]}`)
	rejected := 0
	for _, d := range st.waitFinal(t, 10) {
		if d.Result.Outcome == mapping.OutcomeRejected && strings.Contains(d.Result.Message, "companyId") {
			rejected++
		}
	}
	if rejected < 5 {
		t.Errorf("only %d group events were rejected for the wrong plugin's companyId", rejected)
	}

	deadline := time.Now().Add(10 * time.Second)
	for st.gateway.Plugin().SHA256 != original.SHA256 {
		if time.Now().After(deadline) {
			t.Fatalf("the wrong plugin was not rolled back; in use: %+v", st.gateway.Plugin())
		}
		time.Sleep(20 * time.Millisecond)
	}
	history := st.gateway.SwapHistory()
	last := history[len(history)-1]
	if !strings.Contains(last.RequestedBy, "automatic rollback") || last.Result != "swapped" {
		t.Errorf("last swap = %+v, want the automatic rollback", last)
	}

	// After the rollback, new events are delivered again.
	st.post(t, "/v1/group", writeKey, `{"groupId":"after-rollback","traits":{"name":"After"}}`)
	for deadline := time.Now().Add(10 * time.Second); ; {
		if _, ok := st.sim.CompanyByCompanyID("after-rollback"); ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the rolled-back plugin did not deliver a new group")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func sha(t *testing.T, b []byte) string {
	t.Helper()
	return fmt.Sprintf("%x", sha256Sum(b))
}

func sha256Sum(b []byte) [32]byte { return sha256.Sum256(b) }
