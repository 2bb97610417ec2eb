package e2e

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/intercom-gateway/gateway/intercom/sim"
	"github.com/intercom-gateway/gateway/internal/plugintest"
)

func copyModule(t *testing.T, from, to string) {
	t.Helper()
	for _, suffix := range []string{"", ".sig"} {
		data, err := os.ReadFile(from + suffix)
		if err != nil {
			t.Fatal(err)
		}
		// Write beside and rename, so the watcher never reads half a file.
		tmp := to + suffix + ".tmp"
		if err := os.WriteFile(tmp, data, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, to+suffix); err != nil {
			t.Fatal(err)
		}
	}
}

func pluginVersion(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var health struct {
		Plugin struct{ Version, Source string }
	}
	if err := json.NewDecoder(resp.Body).Decode(&health); err != nil {
		t.Fatal(err)
	}
	return health.Plugin.Version
}

// TestSwapByFileWatchAndCommand replaces the plugin three ways on a running
// gateway process: by writing a new signed module over the watched file,
// with the admin swap command, and with the admin rollback command.
func TestSwapByFileWatchAndCommand(t *testing.T) {
	rec, simURL := newRecorder(t, sim.Options{})
	dir := t.TempDir()
	live := filepath.Join(dir, "mapping.wasm")
	copyModule(t, plugintest.Path(t), live)
	v2 := plugintest.Variant(t, "./plugin", "-ldflags", "-X main.version=v2")
	v3 := plugintest.Variant(t, "./plugin", "-ldflags", "-X main.version=v3")

	gw := startGateway(t, processConfig{dir: dir, addr: freeAddr(t), simURL: simURL, token: "tok", plugin: live, pluginsExtra: "watch: 100ms, "}, "")
	identifyAll(t, gw.url, rec)
	if v := pluginVersion(t, gw.url); v != "dev" {
		t.Fatalf("starting plugin version = %q, want dev", v)
	}

	copyModule(t, v2, live)
	waitFor(t, 30*time.Second, "the watched file to be swapped in", func() bool { return pluginVersion(t, gw.url) == "v2" })

	if out, err := adminCLI(t, gw.url, "swap", v3); err != nil || !strings.Contains(out, `"result": "swapped"`) {
		t.Fatalf("admin swap: %v\n%s", err, out)
	}
	// The watched file did not change, so the watcher must leave the
	// swapped-in plugin alone over several polls.
	time.Sleep(500 * time.Millisecond)
	if v := pluginVersion(t, gw.url); v != "v3" {
		t.Errorf("after admin swap the version is %q, want v3", v)
	}
	if out, err := adminCLI(t, gw.url, "rollback"); err != nil || !strings.Contains(out, `"result": "swapped"`) {
		t.Fatalf("admin rollback: %v\n%s", err, out)
	}
	if v := pluginVersion(t, gw.url); v != "v2" {
		t.Errorf("after rollback the version is %q, want v2", v)
	}

	out, err := adminCLI(t, gw.url, "plugin")
	if err != nil {
		t.Fatalf("admin plugin: %v\n%s", err, out)
	}
	for _, want := range []string{"file watch of", "intercom-gateway admin swap by", "rollback through the admin API"} {
		if !strings.Contains(out, want) {
			t.Errorf("swap history lacks %q:\n%s", want, out)
		}
	}

	// The plugin in use is visible in /metrics too, and events still flow.
	mids := sendTracks(t, gw.url, 5, 3)
	waitDelivered(t, rec, mids, 30*time.Second)
	resp, err := http.Get(gw.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var metrics strings.Builder
	buf := make([]byte, 64<<10)
	for {
		n, err := resp.Body.Read(buf)
		metrics.Write(buf[:n])
		if err != nil {
			break
		}
	}
	if !strings.Contains(metrics.String(), `gateway_plugin_info{name="intercom-mapping",sha256=`) || !strings.Contains(metrics.String(), `version="v2"} 1`) {
		t.Errorf("/metrics does not show plugin v2 in use")
	}

}
