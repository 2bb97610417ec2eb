package host

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// The tests build the plugins from source with the Go toolchain, once per
// test binary, so that go test ./... works on a fresh clone.

var (
	buildDir   string
	buildMu    sync.Mutex
	builds     = map[string][]byte{}
	sharedOnce sync.Once
	shared     *Runtime
	sharedErr  error
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "host-test-wasm-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "create a directory for test plugins:", err)
		os.Exit(1)
	}
	buildDir = dir
	code := m.Run()
	if shared != nil {
		_ = shared.Close(context.Background())
	}
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// buildWasm builds the main package pkg (relative to the module root) for
// wasip1 as a reactor with the given build tags and returns the module.
func buildWasm(t testing.TB, pkg, tags string) []byte {
	t.Helper()
	buildMu.Lock()
	defer buildMu.Unlock()
	key := pkg + " " + tags
	if b, ok := builds[key]; ok {
		return b
	}
	out := filepath.Join(buildDir, strings.NewReplacer("/", "_", ".", "_", " ", "_").Replace(key)+".wasm")
	args := []string{"build", "-buildmode=c-shared", "-o", out}
	if tags != "" {
		args = append(args, "-tags", tags)
	}
	cmd := exec.Command("go", append(args, pkg)...)
	cmd.Dir = ".."
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm")
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build %s with tags %q for wasip1: %v\n%s", pkg, tags, err, msg)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	builds[key] = b
	return b
}

// pluginWasm returns the mapping plugin built from ./plugin.
func pluginWasm(t testing.TB) []byte { return buildWasm(t, "./plugin", "") }

// hostileWasm returns the hostile test plugin built with tags.
func hostileWasm(t testing.TB, tags string) []byte {
	return buildWasm(t, "./host/testdata/hostile", tags)
}

// testCacheDir is a compilation cache kept between test runs, so that only
// the first run pays wazero's cold compile of each test plugin.
func testCacheDir(t testing.TB) string {
	base, err := os.UserCacheDir()
	if err != nil {
		return t.TempDir()
	}
	return filepath.Join(base, "intercom-gateway", "host-test-wazero")
}

// quietLogger discards records; tests that check logs install their own.
func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// sharedRuntime returns one ProtectionInterrupt runtime for the tests
// that do not need their own.
func sharedRuntime(t testing.TB) *Runtime {
	t.Helper()
	sharedOnce.Do(func() {
		shared, sharedErr = NewRuntime(context.Background(), RuntimeConfig{
			CacheDir: testCacheDir(t),
			Logger:   quietLogger(),
		})
	})
	if sharedErr != nil {
		t.Fatalf("create the shared runtime: %v", sharedErr)
	}
	return shared
}

// load loads module into rt and closes the plugin when the test ends.
func load(t testing.TB, rt *Runtime, module []byte, cfg PluginConfig) *Plugin {
	t.Helper()
	p, err := rt.Load(context.Background(), module, cfg)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	t.Cleanup(func() {
		if err := p.Close(context.Background()); err != nil {
			t.Errorf("close the plugin: %v", err)
		}
	})
	return p
}
