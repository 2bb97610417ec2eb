package host

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"

	"github.com/intercom-gateway/gateway/host/internal/interrupt"
)

// Protection selects how the host stops a plugin call that overruns its
// deadline.
type Protection int

const (
	// ProtectionInterrupt, the default, rewrites the module at load so that
	// it spends fuel at every function entry, every 64 loop iterations and
	// every bulk memory instruction. When the fuel runs out, about every
	// thousand function calls, the guest calls back into the host, which
	// stops the call if it has overrun its deadline or its context has
	// ended.
	//
	// The checks stay in machine code. They made the mapping plugin 15 to
	// 30 % slower than ProtectionNone (BenchmarkRatio). The callbacks also
	// let a garbage collection of the host process stop the world while a
	// guest runs.
	ProtectionInterrupt Protection = iota
	// ProtectionCloseOnContextDone uses wazero's
	// RuntimeConfig.WithCloseOnContextDone: each call gets a context with
	// the deadline, and the guest is closed when it ends.
	//
	// In wazero v1.12.0 this leaves machine code for Go at every loop head,
	// which made the mapping plugin six to eight times slower than
	// ProtectionNone (BenchmarkRatio).
	ProtectionCloseOnContextDone
	// ProtectionNone stops nothing: a plugin that loops forever pins an OS
	// thread until the process exits. It exists to measure the cost of the
	// other modes and must not be used with plugins that are not trusted
	// and tested.
	ProtectionNone
)

// String returns the name used in logs and benchmark names.
func (p Protection) String() string {
	switch p {
	case ProtectionInterrupt:
		return "interrupt"
	case ProtectionCloseOnContextDone:
		return "close-on-context-done"
	case ProtectionNone:
		return "none"
	}
	return fmt.Sprintf("Protection(%d)", int(p))
}

// DefaultMemoryLimitPages is the default memory limit of one instance:
// 1024 pages of 64 KiB, 64 MiB. The mapping plugin's linear memory stayed
// below 20 MiB with 10 KB events, so the headroom is for events near the
// mapping's 1 MiB size limit.
const DefaultMemoryLimitPages = 1024

// RuntimeConfig configures NewRuntime. The zero value is valid: no disk
// cache, DefaultMemoryLimitPages, ProtectionInterrupt and slog.Default().
type RuntimeConfig struct {
	// CacheDir is the directory of wazero's on-disk compilation cache,
	// which turned a cold load of the mapping plugin, about 1.3 s, into
	// about 80 ms for a module seen before (BenchmarkCompile). Empty means
	// no disk cache.
	//
	// The directory holds machine code the process will execute, so it is
	// created with mode 0700 and NewRuntime rejects an existing directory
	// that other users can write to.
	CacheDir string
	// MemoryLimitPages caps the linear memory of every instance, in 64 KiB
	// pages. A guest that needs more traps, which poisons its instance.
	MemoryLimitPages uint32
	// Protection selects how overrunning calls are stopped.
	Protection Protection
	// Logger receives load events, poisoned instances and the guests'
	// stderr. Nil means slog.Default().
	Logger *slog.Logger
}

// Runtime is the process-wide WebAssembly runtime that plugins are loaded
// into. It is safe for concurrent use.
type Runtime struct {
	rt    wazero.Runtime
	cache wazero.CompilationCache
	cfg   RuntimeConfig
	log   *slog.Logger
	// fuel is the number of fuel units between two yields.
	fuel uint32
}

// interruptFuel is how many fuel units the instrumented guest spends
// between two calls of yield. The mapping plugin spent that much every 30
// to 55 µs of a step (BenchmarkStep), so a call overruns its deadline, and
// a collection waits for the guest, by well under a millisecond.
const interruptFuel = 1000

// NewRuntime creates the wazero runtime with the compiler engine and
// instantiates WASI preview 1 in it.
//
// # Notes
//
//   - Create one Runtime per process and load every plugin into it, so that
//     compiled code and the WASI module are shared.
//   - It fails when the platform supports only wazero's interpreter, which
//     ran the mapping plugin about 30 times slower than the compiler. There
//     is no silent fallback.
func NewRuntime(ctx context.Context, cfg RuntimeConfig) (r *Runtime, err error) {
	if cfg.MemoryLimitPages == 0 {
		cfg.MemoryLimitPages = DefaultMemoryLimitPages
	}
	if cfg.MemoryLimitPages > 65536 {
		return nil, fmt.Errorf("host: MemoryLimitPages is %d, above the 65536 pages (4 GiB) of a 32-bit memory; lower it", cfg.MemoryLimitPages)
	}
	switch cfg.Protection {
	case ProtectionInterrupt, ProtectionCloseOnContextDone, ProtectionNone:
	default:
		return nil, fmt.Errorf("host: unknown Protection %d; use ProtectionInterrupt", int(cfg.Protection))
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}

	rc := wazero.NewRuntimeConfigCompiler().
		WithCoreFeatures(api.CoreFeaturesV2).
		WithMemoryLimitPages(cfg.MemoryLimitPages).
		WithCloseOnContextDone(cfg.Protection == ProtectionCloseOnContextDone)

	var cache wazero.CompilationCache
	if cfg.CacheDir != "" {
		if err := preparePrivateDir(cfg.CacheDir); err != nil {
			return nil, err
		}
		cache, err = wazero.NewCompilationCacheWithDir(cfg.CacheDir)
		if err != nil {
			return nil, fmt.Errorf("host: open the compilation cache in %s: %w; fix the directory or leave CacheDir empty", cfg.CacheDir, err)
		}
		rc = rc.WithCompilationCache(cache)
	}

	// wazero panics when the compiler does not support the platform.
	defer func() {
		if p := recover(); p != nil {
			r = nil
			err = fmt.Errorf("host: the wazero compiler is not available on %s/%s (%v); the host does not fall back to the much slower interpreter, so run the gateway on amd64 or arm64 with executable memory allowed", runtime.GOOS, runtime.GOARCH, p)
			if cache != nil {
				_ = cache.Close(ctx)
			}
		}
	}()
	rt := wazero.NewRuntimeWithConfig(ctx, rc)
	if _, err := wasi_snapshot_preview1.Instantiate(ctx, rt); err != nil {
		_ = rt.Close(ctx)
		if cache != nil {
			_ = cache.Close(ctx)
		}
		return nil, fmt.Errorf("host: instantiate WASI preview 1: %w", err)
	}
	if cfg.Protection == ProtectionInterrupt {
		_, err := rt.NewHostModuleBuilder(interrupt.ImportModule).
			NewFunctionBuilder().
			WithGoModuleFunction(api.GoModuleFunc(yield), nil, nil).
			WithName(interrupt.ImportName).
			Export(interrupt.ImportName).
			Instantiate(ctx)
		if err != nil {
			_ = rt.Close(ctx)
			if cache != nil {
				_ = cache.Close(ctx)
			}
			return nil, fmt.Errorf("host: instantiate the interrupt host module: %w", err)
		}
	}
	log.Info("plugin runtime started", "engine", "compiler", "protection", cfg.Protection.String(),
		"memory_limit_pages", cfg.MemoryLimitPages, "cache_dir", cfg.CacheDir)
	return &Runtime{rt: rt, cache: cache, cfg: cfg, log: log, fuel: interruptFuel}, nil
}

// Close closes every module of the runtime and the compilation cache.
// Plugins loaded from it stop working; close them first so that calls in
// flight can finish.
func (r *Runtime) Close(ctx context.Context) error {
	err := r.rt.Close(ctx)
	if r.cache != nil {
		err = errors.Join(err, r.cache.Close(ctx))
	}
	return err
}

// preparePrivateDir creates dir with mode 0700, or checks that an existing
// dir is a directory that only its owner can write to.
func preparePrivateDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("host: create the compilation cache directory %s: %w", dir, err)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("host: check the compilation cache directory %s: %w", dir, err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("host: the compilation cache path %s is not a directory; choose a directory", dir)
	}
	if perm := fi.Mode().Perm(); perm&0o022 != 0 {
		return fmt.Errorf("host: the compilation cache directory %s has mode %04o, so other users could plant machine code in it; run chmod 700 on it or choose a private directory", dir, perm)
	}
	return nil
}
