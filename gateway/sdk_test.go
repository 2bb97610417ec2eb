package gateway_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/intercom-gateway/gateway/intercom/sim"
	"github.com/intercom-gateway/gateway/mapping"
)

// TestOfficialSDKs points the official RudderStack and Segment Node SDKs at
// the gateway and checks what reached the simulator. It needs node and the
// packages of testdata/sdk (npm ci --prefix testdata/sdk); CI installs them.
func TestOfficialSDKs(t *testing.T) {
	sdkDir, _ := filepath.Abs(filepath.Join("..", "testdata", "sdk"))
	if _, err := exec.LookPath("node"); err != nil {
		requireInCI(t, "node is not installed")
	}
	if _, err := os.Stat(filepath.Join(sdkDir, "node_modules", "@segment", "analytics-node")); err != nil {
		requireInCI(t, "the SDK packages are not installed; run npm ci --prefix testdata/sdk")
	}

	st := startStack(t, `{}`, sim.Options{DataAttributes: []sim.DataAttributeSeed{{Model: "contact", Name: "plan", DataType: "string"}}})
	runSDKs := func(phase string) {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, "node", "send.mjs", phase)
		cmd.Dir = sdkDir
		cmd.Env = append(os.Environ(), "GATEWAY_URL="+st.url, "WRITE_KEY="+writeKey)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("node send.mjs %s: %v\n%s", phase, err, out)
		}
	}
	// The contacts exist before the groups attach them.
	runSDKs("identify")
	st.wait(t, 2)
	runSDKs("rest")

	deliveries := st.wait(t, 6)
	for _, d := range deliveries {
		if d.Result.Outcome != mapping.OutcomeDelivered {
			t.Errorf("%s from %s: %s: %s", d.Event.Type, d.Event.Key, d.Result.Outcome, d.Result.Message)
		}
	}
	state := st.sim.State()
	contacts := map[string]string{}
	for _, c := range state.Contacts {
		contacts[c.ExternalID] = c.Email
	}
	if contacts["rudder-user"] != "rudder@example.com" || contacts["segment-user"] != "segment@example.com" {
		t.Errorf("contacts by external_id = %v", contacts)
	}
	events := map[string]bool{}
	for _, e := range state.Events {
		events[e.EventName] = true
	}
	if !events["Rudder Event"] || !events["Segment Event"] {
		t.Errorf("events = %v", events)
	}
	companies := map[string]int{}
	for _, c := range state.Companies {
		companies[c.CompanyID] = len(c.ContactIDs)
	}
	if companies["rudder-co"] != 1 || companies["segment-co"] != 1 {
		t.Errorf("companies and their contact counts = %v", companies)
	}
}

// requireInCI skips locally but fails in CI, where the dependency must be
// installed by .ci/run.
func requireInCI(t *testing.T, reason string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatal(reason)
	}
	t.Skip(reason)
}
