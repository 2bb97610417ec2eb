package host

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	w "github.com/intercom-gateway/gateway/host/internal/wasmtest"
)

// abiFuncs returns the ABI's exports as trivial functions; replace one to
// build a module with a single fault.
func abiFuncs() []w.Func {
	return []w.Func{
		{Export: "_initialize"},
		{Export: "abi_version", Results: []byte{w.I32}, Body: []byte{w.OpI32Const, 1}},
		{Export: "alloc", Params: []byte{w.I32}, Results: []byte{w.I32}, Body: []byte{w.OpI32Const, 0x80, 0x08}}, // 1024
		{Export: "step", Params: []byte{w.I32}, Results: []byte{w.I64}, Body: []byte{w.OpI64Const, 0}},
		{Export: "info", Results: []byte{w.I64}, Body: []byte{w.OpI64Const, 0}},
	}
}

func withFunc(name string, f w.Func) []w.Func {
	fns := abiFuncs()
	for i := range fns {
		if fns[i].Export == name {
			fns[i] = f
		}
	}
	return fns
}

func TestLoadRejectsBadModules(t *testing.T) {
	rt := sharedRuntime(t)
	tests := []struct {
		name     string
		module   []byte
		want     error
		wantText string
	}{
		{"empty bytes", nil, ErrNotWasm, "magic number"},
		{"not wasm", []byte("#!/bin/sh\necho not a module\n"), ErrNotWasm, "magic number"},
		{"truncated module", w.Module{MemoryPages: 1, Funcs: abiFuncs()}.Encode()[:40], ErrNotWasm, ""},
		{"invalid code", w.Module{MemoryPages: 1, Funcs: withFunc("step", w.Func{Export: "step", Params: []byte{w.I32}, Results: []byte{w.I64}, Body: []byte{w.OpI32Const, 0}})}.Encode(), ErrNotWasm, ""},
		{"missing memory", w.Module{Funcs: abiFuncs()}.Encode(), ErrMissingExport, `"memory"`},
		{"missing info", w.Module{MemoryPages: 1, Funcs: abiFuncs()[:4]}.Encode(), ErrMissingExport, `"info"`},
		{"missing _initialize", w.Module{MemoryPages: 1, Funcs: abiFuncs()[1:]}.Encode(), ErrMissingExport, `"_initialize"`},
		{
			"step with the wrong result type",
			w.Module{MemoryPages: 1, Funcs: withFunc("step", w.Func{Export: "step", Params: []byte{w.I32}, Results: []byte{w.I32}, Body: []byte{w.OpI32Const, 0}})}.Encode(),
			ErrExportSignature, `export "step" is (i32) -> (i32), but ABI version 1 requires (i32) -> (i64)`,
		},
		{
			"alloc with an extra parameter",
			w.Module{MemoryPages: 1, Funcs: withFunc("alloc", w.Func{Export: "alloc", Params: []byte{w.I32, w.I32}, Results: []byte{w.I32}, Body: []byte{w.OpI32Const, 0}})}.Encode(),
			ErrExportSignature, `"alloc"`,
		},
		{
			"import outside WASI",
			w.Module{MemoryPages: 1, Imports: []w.Import{{Module: "env", Name: "http_get"}}, Funcs: abiFuncs()}.Encode(),
			ErrImport, "env.http_get",
		},
		{
			"unknown WASI function",
			w.Module{MemoryPages: 1, Imports: []w.Import{{Module: "wasi_snapshot_preview1", Name: "sock_open"}}, Funcs: abiFuncs()}.Encode(),
			ErrImport, "sock_open",
		},
		{
			"WASI function with the wrong type",
			w.Module{MemoryPages: 1, Imports: []w.Import{{Module: "wasi_snapshot_preview1", Name: "proc_exit", Params: []byte{w.I64}}}, Funcs: abiFuncs()}.Encode(),
			ErrImport, "proc_exit",
		},
		{
			"_initialize traps",
			w.Module{MemoryPages: 1, Funcs: withFunc("_initialize", w.Func{Export: "_initialize", Body: []byte{w.OpUnreachable}})}.Encode(),
			ErrStartup, "unreachable",
		},
		{
			"wrong ABI version",
			w.Module{MemoryPages: 1, Funcs: withFunc("abi_version", w.Func{Export: "abi_version", Results: []byte{w.I32}, Body: []byte{w.OpI32Const, 2}})}.Encode(),
			ErrABIVersion, "version 2",
		},
		{"info outside memory", w.Module{MemoryPages: 1, Funcs: withFunc("info", w.Func{Export: "info", Results: []byte{w.I64}, Body: append([]byte{w.OpI64Const}, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01)})}.Encode(), ErrInfo, "outside memory"},
		{"info not JSON", w.Module{MemoryPages: 1, Funcs: withFunc("info", w.Func{Export: "info", Results: []byte{w.I64}, Body: []byte{w.OpI64Const, 16}})}.Encode(), ErrInfo, "not the expected JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := rt.Load(context.Background(), tt.module, PluginConfig{StartupTimeout: time.Second})
			if err == nil {
				_ = p.Close(context.Background())
				t.Fatal("Load succeeded, want an error")
			}
			if !errors.Is(err, tt.want) {
				t.Errorf("error %q does not wrap %v", err, tt.want)
			}
			if !strings.Contains(err.Error(), tt.wantText) {
				t.Errorf("error %q does not contain %q", err, tt.wantText)
			}
		})
	}
}

func TestLoadStopsRunawayStartup(t *testing.T) {
	loop := []byte{w.OpLoop, w.BlockEmpty, w.OpBr, 0, w.OpEnd}
	tests := []struct {
		name   string
		module []byte
	}{
		{"_initialize loops", w.Module{MemoryPages: 1, Funcs: withFunc("_initialize", w.Func{Export: "_initialize", Body: loop})}.Encode()},
		{"start section loops", w.Module{MemoryPages: 1, Funcs: append(abiFuncs(), w.Func{Body: loop}), Start: uint32(len(abiFuncs())) + 1}.Encode()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			p, err := sharedRuntime(t).Load(context.Background(), tt.module, PluginConfig{StartupTimeout: 100 * time.Millisecond})
			if err == nil {
				_ = p.Close(context.Background())
				t.Fatal("Load succeeded, want an error")
			}
			if !errors.Is(err, ErrStartup) || !errors.Is(err, ErrDeadline) {
				t.Errorf("error %q does not wrap both ErrStartup and ErrDeadline", err)
			}
			if elapsed := time.Since(start); elapsed > 30*time.Second {
				t.Errorf("Load took %v to give up on a 100ms start-up deadline", elapsed)
			}
		})
	}
}

func TestLoadReportsInfo(t *testing.T) {
	module := pluginWasm(t)
	p := load(t, sharedRuntime(t), module, PluginConfig{})
	info := p.Info()
	if info.Name != "intercom-mapping" {
		t.Errorf("Name = %q, want intercom-mapping", info.Name)
	}
	if info.IntercomAPIVersion != "2.10" {
		t.Errorf("IntercomAPIVersion = %q, want 2.10", info.IntercomAPIVersion)
	}
	if info.ABIVersion != 1 {
		t.Errorf("ABIVersion = %d, want 1", info.ABIVersion)
	}
	if info.Version == "" {
		t.Error("Version is empty")
	}
	if len(info.SHA256) != 64 {
		t.Errorf("SHA256 = %q, want 64 hex digits", info.SHA256)
	}
	if info.InterruptChecks == 0 {
		t.Error("InterruptChecks = 0 under ProtectionInterrupt")
	}
}

func TestNewRuntimeCacheDirPermissions(t *testing.T) {
	ctx := context.Background()
	t.Run("created private", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "a", "cache")
		rt, err := NewRuntime(ctx, RuntimeConfig{CacheDir: dir, Logger: quietLogger()})
		if err != nil {
			t.Fatal(err)
		}
		defer rt.Close(ctx)
		fi, err := os.Stat(dir)
		if err != nil {
			t.Fatal(err)
		}
		if perm := fi.Mode().Perm(); perm != 0o700 {
			t.Errorf("the cache directory has mode %04o, want 0700", perm)
		}
	})
	t.Run("writable by others", func(t *testing.T) {
		dir := t.TempDir()
		if err := os.Chmod(dir, 0o777); err != nil {
			t.Fatal(err)
		}
		_, err := NewRuntime(ctx, RuntimeConfig{CacheDir: dir, Logger: quietLogger()})
		if err == nil || !strings.Contains(err.Error(), "chmod 700") {
			t.Errorf("NewRuntime returned %v, want an error about the mode", err)
		}
	})
	t.Run("a file", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "file")
		if err := os.WriteFile(file, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := NewRuntime(ctx, RuntimeConfig{CacheDir: file, Logger: quietLogger()}); err == nil {
			t.Error("NewRuntime accepted a file as the cache directory")
		}
	})
}
