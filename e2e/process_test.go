package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/intercom-gateway/gateway/internal/plugintest"
)

var (
	binaryOnce sync.Once
	binaryPath string
	binaryErr  error
	binaryOut  []byte
)

// gatewayBinary builds cmd/intercom-gateway once per test binary.
func gatewayBinary(t testing.TB) string {
	t.Helper()
	binaryOnce.Do(func() {
		dir, err := os.MkdirTemp("", "e2e-bin-")
		if err != nil {
			binaryErr = err
			return
		}
		binaryPath = filepath.Join(dir, "intercom-gateway")
		cmd := exec.Command("go", "build", "-o", binaryPath, "./cmd/intercom-gateway")
		cmd.Dir = ".."
		binaryOut, binaryErr = cmd.CombinedOutput()
	})
	if binaryErr != nil {
		t.Fatalf("build the gateway: %v\n%s", binaryErr, binaryOut)
	}
	return binaryPath
}

// freeAddr returns a loopback address that was free a moment ago.
func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// gatewayProcess is one run of the gateway binary.
type gatewayProcess struct {
	cmd    *exec.Cmd
	url    string
	logs   *bytes.Buffer
	exited chan error
}

// processConfig describes the gateway configuration file the tests write.
type processConfig struct {
	dir      string // holds the config file and the data directory
	addr     string
	simURL   string
	token    string
	workers  int
	settings string
	// plugin replaces the plugin file; pluginsExtra adds YAML fields to
	// the plugins section, such as "watch: 200ms, ".
	plugin       string
	pluginsExtra string
}

func (c processConfig) write(t testing.TB) string {
	t.Helper()
	if c.settings == "" {
		c.settings = "{}"
	}
	if c.workers == 0 {
		c.workers = 8
	}
	if c.plugin == "" {
		c.plugin = plugintest.Path(t)
	}
	text := fmt.Sprintf(`listen: %s
plugin: %s
plugins: {%spublicKeyFile: %s}
cacheDir: %s
dataDir: %s
workers: %d
adminTokenEnv: E2E_ADMIN_TOKEN
retry: {maxAttempts: 50, baseDelay: 20ms, maxDelay: 500ms}
destinations:
  - name: e2e
    writeKeys: [wk_e2e]
    apiKeyEnv: E2E_INTERCOM_TOKEN
    baseURL: %s
    settings: %s
`, c.addr, c.plugin, c.pluginsExtra, plugintest.PublicKeyFile(t), plugintest.CacheDir(t), filepath.Join(c.dir, "data"), c.workers, c.simURL, c.settings)
	path := filepath.Join(c.dir, "gateway.yaml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// startGateway runs serve with cfg, optionally through a shell prefix such
// as "ulimit -f 64;", and waits until /healthz answers.
func startGateway(t testing.TB, cfg processConfig, shellPrefix string) *gatewayProcess {
	t.Helper()
	configPath := cfg.write(t)
	bin := gatewayBinary(t)
	var cmd *exec.Cmd
	if shellPrefix == "" {
		cmd = exec.Command(bin, "serve", "-config", configPath, "-log-level", "warn")
	} else {
		cmd = exec.Command("bash", "-c", shellPrefix+` exec "$0" serve -config "$1" -log-level warn`, bin, configPath)
	}
	p := &gatewayProcess{cmd: cmd, url: "http://" + cfg.addr, logs: &bytes.Buffer{}, exited: make(chan error, 1)}
	cmd.Env = append(os.Environ(), "E2E_INTERCOM_TOKEN="+cfg.token, "E2E_ADMIN_TOKEN=admin-secret")
	cmd.Stdout, cmd.Stderr = p.logs, p.logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.exited <- cmd.Wait() }()
	t.Cleanup(func() { p.kill() })

	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-p.exited:
			t.Fatalf("the gateway exited at start: %v\n%s", err, p.logs)
		default:
		}
		resp, err := http.Get(p.url + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("the gateway did not answer /healthz within 30 s\n%s", p.logs)
	return nil
}

// kill sends SIGKILL and waits for the process to end.
func (p *gatewayProcess) kill() {
	if p.cmd.ProcessState != nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	select {
	case <-p.exited:
	case <-time.After(10 * time.Second):
	}
}

// stop sends SIGTERM and returns the exit error.
func (p *gatewayProcess) stop(t testing.TB) error {
	t.Helper()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.exited:
		return err
	case <-time.After(30 * time.Second):
		t.Fatal("the gateway did not stop within 30 s of SIGTERM")
		return nil
	}
}

// postBatch sends events to /v1/batch and returns the HTTP status.
func postBatch(ctx context.Context, url string, events []string) (int, string, error) {
	body := `{"batch":[` + strings.Join(events, ",") + `]}`
	req, err := http.NewRequestWithContext(ctx, "POST", url+"/v1/batch", strings.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	req.SetBasicAuth("wk_e2e", "")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(data), nil
}

// adminGet calls the gateway's admin API and decodes the JSON answer.
func adminGet(t *testing.T, url, path string, out any) {
	t.Helper()
	req, _ := http.NewRequest("GET", url+path, nil)
	req.Header.Set("Authorization", "Bearer admin-secret")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		t.Fatal(err)
	}
}
