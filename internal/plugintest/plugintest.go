// Package plugintest builds the mapping plugin from source for tests, so a
// fresh clone's go test needs no prior make plugin. The module is signed
// with a key made for the test binary, as make plugin signs it, so tests
// run with signature checks on.
package plugintest

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

var (
	once    sync.Once
	path    string
	pubPath string
	private ed25519.PrivateKey
	err     error
	out     []byte
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
		if out, err = cmd.CombinedOutput(); err != nil {
			return
		}
		var public ed25519.PublicKey
		if public, private, err = ed25519.GenerateKey(rand.Reader); err != nil {
			return
		}
		pubPath = filepath.Join(dir, "signing-key.pub")
		if err = os.WriteFile(pubPath, []byte(base64.StdEncoding.EncodeToString(public)), 0o644); err != nil {
			return
		}
		err = signFile(path)
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

// PublicKeyFile returns the public key file that verifies the modules this
// package builds and signs.
func PublicKeyFile(tb testing.TB) string {
	tb.Helper()
	Path(tb)
	return pubPath
}

// Sign writes module's ".sig" companion with the test key, as
// intercom-gateway plugin sign does.
func Sign(tb testing.TB, module string) {
	tb.Helper()
	Path(tb)
	if err := signFile(module); err != nil {
		tb.Fatal(err)
	}
}

func signFile(module string) error {
	data, err := os.ReadFile(module)
	if err != nil {
		return err
	}
	sig := ed25519.Sign(private, data)
	return os.WriteFile(module+".sig", []byte(base64.StdEncoding.EncodeToString(sig)), 0o644)
}

var (
	variantMu sync.Mutex
	variants  = map[string]string{}
)

// Variant builds a main package for wasip1 with extra go build flags, such
// as "-ldflags", "-X main.version=v2" or "-tags", "abi99", once per test
// binary, signs it with the test key and returns its path. It is for tests
// that need a second plugin: another version of ./plugin, or a broken one.
func Variant(tb testing.TB, pkg string, buildFlags ...string) string {
	tb.Helper()
	Path(tb)
	variantMu.Lock()
	defer variantMu.Unlock()
	key := pkg + " " + strings.Join(buildFlags, " ")
	if p, ok := variants[key]; ok {
		return p
	}
	root, err := repoRoot()
	if err != nil {
		tb.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "plugintest-variant-")
	if err != nil {
		tb.Fatal(err)
	}
	out := filepath.Join(dir, "plugin.wasm")
	args := append([]string{"build", "-buildmode=c-shared", "-trimpath", "-o", out}, buildFlags...)
	cmd := exec.Command("go", append(args, pkg)...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm")
	if msg, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("build %s for wasip1: %v\n%s", pkg, err, msg)
	}
	if err := signFile(out); err != nil {
		tb.Fatal(err)
	}
	variants[key] = out
	return out
}
