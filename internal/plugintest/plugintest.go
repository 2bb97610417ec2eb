// Package plugintest builds the mapping plugin from source for tests, so a
// fresh clone's go test needs no prior make plugin.
package plugintest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

var (
	once sync.Once
	path string
	err  error
	out  []byte
)

// Path compiles ./plugin with GOOS=wasip1 GOARCH=wasm once per test binary
// and returns the module's file path. It fails tb when the build fails.
func Path(tb testing.TB) string {
	tb.Helper()
	once.Do(func() {
		root, rerr := repoRoot()
		if rerr != nil {
			err = rerr
			return
		}
		dir, derr := os.MkdirTemp("", "plugintest-")
		if derr != nil {
			err = derr
			return
		}
		path = filepath.Join(dir, "mapping.wasm")
		cmd := exec.Command("go", "build", "-buildmode=c-shared", "-trimpath", "-o", path, "./plugin")
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm")
		out, err = cmd.CombinedOutput()
	})
	if err != nil {
		tb.Fatalf("build the mapping plugin for wasip1: %v\n%s", err, out)
	}
	return path
}

// Bytes returns the module built by Path.
func Bytes(tb testing.TB) []byte {
	tb.Helper()
	data, rerr := os.ReadFile(Path(tb))
	if rerr != nil {
		tb.Fatal(rerr)
	}
	return data
}

func repoRoot() (string, error) {
	gomod, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", err
	}
	return filepath.Dir(strings.TrimSpace(string(gomod))), nil
}

var (
	cacheOnce sync.Once
	cacheDir  string
	cacheErr  error
)

// CacheDir returns a compilation cache directory shared by the tests of one
// test binary, so only the first test pays for compiling the plugin.
func CacheDir(tb testing.TB) string {
	tb.Helper()
	cacheOnce.Do(func() {
		cacheDir, cacheErr = os.MkdirTemp("", "plugintest-cache-")
		if cacheErr == nil {
			// wazero's cache must live in a directory only its owner can write.
			cacheErr = os.Chmod(cacheDir, 0o700)
		}
	})
	if cacheErr != nil {
		tb.Fatal(cacheErr)
	}
	return cacheDir
}
