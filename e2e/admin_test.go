package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/intercom-gateway/gateway/intercom/sim"
)

// adminCLI runs the admin command of the binary against a gateway.
func adminCLI(t *testing.T, url string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, gatewayBinary(t), append([]string{"admin", "-url", url}, args...)...)
	cmd.Env = append(os.Environ(), "INTERCOM_GATEWAY_ADMIN_TOKEN=admin-secret")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

// TestDeadLetterReplayAfterDefiningAttribute dead-letters an identify
// whose custom attribute the workspace lacks, then defines the attribute
// and replays the dead letter with the admin command.
func TestDeadLetterReplayAfterDefiningAttribute(t *testing.T) {
	rec, simURL := newRecorder(t, sim.Options{})
	gw := startGateway(t, processConfig{dir: t.TempDir(), addr: freeAddr(t), simURL: simURL, token: "tok"}, "")
	event := `{"type":"identify","messageId":"needs-attr","userId":"u-attr","traits":{"email":"attr@example.com","favourite_colour":"teal"}}`
	if status, body, err := postBatch(context.Background(), gw.url, []string{event}); err != nil || status != http.StatusOK {
		t.Fatalf("batch: %d %s %v", status, body, err)
	}

	var list struct {
		DeadLetters []struct {
			ID               uint64
			MessageID        string
			Outcome, Message string
		}
	}
	waitFor(t, 30*time.Second, "a dead letter", func() bool {
		out, err := adminCLI(t, gw.url, "deadletters")
		if err != nil {
			t.Fatalf("admin deadletters: %v\n%s", err, out)
		}
		list.DeadLetters = nil
		if err := json.Unmarshal([]byte(out), &list); err != nil {
			t.Fatalf("admin deadletters printed no JSON: %s", out)
		}
		return len(list.DeadLetters) == 1
	})
	dead := list.DeadLetters[0]
	if dead.MessageID != "needs-attr" || dead.Outcome != "rejected" || !strings.Contains(dead.Message, "favourite_colour") {
		t.Fatalf("dead letter = %+v", dead)
	}
	out, err := adminCLI(t, gw.url, "deadletter", strings.TrimSpace(jsonNumber(dead.ID)))
	if err != nil || !strings.Contains(out, `"plugin"`) || !strings.Contains(out, `"sha256"`) || !strings.Contains(out, "favourite_colour") {
		t.Fatalf("admin deadletter: %v\n%s", err, out)
	}

	// Define the attribute in the workspace, then replay.
	req, _ := http.NewRequest("POST", simURL+"/data_attributes", strings.NewReader(`{"name":"favourite_colour","model":"contact","data_type":"string"}`))
	req.Header.Set("Authorization", "Bearer tok")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Intercom-Version", "2.10")
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("define the attribute: %v %v", err, resp)
	}
	resp.Body.Close()
	if out, err := adminCLI(t, gw.url, "replay", "-outcome", "rejected"); err != nil || !strings.Contains(out, `"replayed": 1`) {
		t.Fatalf("admin replay: %v\n%s", err, out)
	}
	waitFor(t, 60*time.Second, "the replayed contact", func() bool {
		c, ok := rec.sim.ContactByExternalID("u-attr")
		return ok && c.CustomAttributes["favourite_colour"] == "teal"
	})

	if out, err := adminCLI(t, gw.url, "replay"); err == nil {
		t.Errorf("admin replay without a filter succeeded: %s", out)
	}
	if out, err := adminCLI(t, gw.url, "pause", "e2e"); err != nil || !strings.Contains(out, `"paused": "e2e"`) {
		t.Errorf("admin pause: %v\n%s", err, out)
	}
	if out, err := adminCLI(t, gw.url, "resume", "e2e"); err != nil || !strings.Contains(out, `"wasPaused": true`) {
		t.Errorf("admin resume: %v\n%s", err, out)
	}
	if out, err := adminCLI(t, gw.url, "queue"); err != nil || !strings.Contains(out, `"pending": 0`) {
		t.Errorf("admin queue: %v\n%s", err, out)
	}
}

func jsonNumber(n uint64) string {
	b, _ := json.Marshal(n)
	return string(b)
}
