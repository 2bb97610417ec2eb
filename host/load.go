package host

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"runtime"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/intercom-gateway/gateway/host/internal/interrupt"
	"github.com/intercom-gateway/gateway/mapping"
	"github.com/intercom-gateway/gateway/plugin/abi"
)

// Defaults of PluginConfig.
const (
	DefaultCallTimeout       = time.Second
	DefaultStartupTimeout    = 10 * time.Second
	DefaultMaxInstanceMemory = 32 << 20
)

// PluginConfig configures Runtime.Load. The zero value is valid.
type PluginConfig struct {
	// MaxInstances bounds the pool. 0 means runtime.GOMAXPROCS(0): a Go
	// guest runs on one OS thread, so more instances than cores only add
	// memory. Callers beyond the bound wait for a free instance.
	MaxInstances int
	// CallTimeout is the deadline of one step call, in addition to the
	// caller's context. 0 means DefaultCallTimeout.
	CallTimeout time.Duration
	// StartupTimeout is the deadline of _initialize and the load-time
	// calls. 0 means DefaultStartupTimeout.
	StartupTimeout time.Duration
	// MaxOutputSize bounds one step output in bytes. 0 means
	// mapping.MaxOutputSize.
	MaxOutputSize int
	// MaxInstanceMemory is the linear memory size, in bytes, above which an
	// instance is replaced after a successful call, because a Go guest's
	// memory never shrinks once one large event has grown it. 0 means
	// DefaultMaxInstanceMemory; a negative value never replaces.
	MaxInstanceMemory int64
}

// Info describes a loaded plugin.
type Info struct {
	abi.Info
	// SHA256 is the hex SHA-256 of the module bytes given to Load.
	SHA256 string
	// InterruptChecks counts the checks ProtectionInterrupt inserted, or 0
	// under another protection.
	InterruptChecks int
}

// Load compiles module, validates it and starts its first instance.
//
// It rejects, with an error that wraps the named value:
//   - bytes that are not a valid WebAssembly 2.0 module: ErrNotWasm;
//   - imports other than WASI preview 1 functions: ErrImport;
//   - a missing export: ErrMissingExport;
//   - an export of the wrong type: ErrExportSignature;
//   - _initialize trapping, exiting or overrunning StartupTimeout:
//     ErrStartup;
//   - abi_version other than abi.Version: ErrABIVersion;
//   - info not returning the expected JSON: ErrInfo.
//
// # Notes
//
//   - A cold load of the mapping plugin took about 1.3 s. With
//     RuntimeConfig.CacheDir a module compiled before loaded in about
//     80 ms (BenchmarkCompile).
//   - Under ProtectionInterrupt the module is rewritten first (see
//     Protection), so the bytes wazero compiles and caches differ from
//     module; Info.SHA256 is always the hash of module.
func (r *Runtime) Load(ctx context.Context, module []byte, cfg PluginConfig) (p *Plugin, err error) {
	cfg = cfg.withDefaults()
	sum := sha256.Sum256(module)
	info := Info{SHA256: hex.EncodeToString(sum[:])}

	defer func() {
		if v := recover(); v != nil {
			p, err = nil, fmt.Errorf("host: load plugin %s: wazero panicked: %v", info.SHA256[:12], v)
		}
	}()

	bin := module
	if r.cfg.Protection == ProtectionInterrupt {
		res, err := interrupt.Instrument(module, r.fuel)
		if err != nil {
			return nil, fmt.Errorf("host: load plugin: %w: %v", ErrNotWasm, err)
		}
		bin, info.InterruptChecks = res.Module, res.Checks
	}

	compiled, err := r.rt.CompileModule(ctx, bin)
	if err != nil {
		return nil, fmt.Errorf("host: load plugin: %w: %v", ErrNotWasm, err)
	}
	if err := r.checkImports(compiled); err != nil {
		_ = compiled.Close(ctx)
		return nil, fmt.Errorf("host: load plugin: %w", err)
	}
	if err := checkExports(compiled); err != nil {
		_ = compiled.Close(ctx)
		return nil, fmt.Errorf("host: load plugin: %w", err)
	}

	p = &Plugin{
		rt:       r,
		compiled: compiled,
		cfg:      cfg,
		log:      r.log,
		lines:    newLineLimiter(),
	}
	p.pool = newPool(cfg.MaxInstances, p.newInstance)

	first, err := p.pool.get(ctx)
	if err != nil {
		_ = p.Close(ctx)
		return nil, fmt.Errorf("host: load plugin: %w", err)
	}
	abiInfo, err := first.handshake(ctx)
	if err != nil {
		p.pool.discard(first)
		_ = p.Close(ctx)
		return nil, fmt.Errorf("host: load plugin: %w", err)
	}
	info.Info = abiInfo
	p.info = info
	p.log = r.log.With("plugin", info.Name, "plugin_version", info.Version, "plugin_sha256", info.SHA256[:12])
	first.stderr.log, first.stdout.log = p.log, p.log
	p.log.Info("plugin loaded", "abi_version", info.ABIVersion, "intercom_api_version", info.IntercomAPIVersion,
		"interrupt_checks", info.InterruptChecks, "max_instances", cfg.MaxInstances)
	p.pool.put(first)
	return p, nil
}

func (cfg PluginConfig) withDefaults() PluginConfig {
	if cfg.MaxInstances <= 0 {
		cfg.MaxInstances = runtime.GOMAXPROCS(0)
	}
	if cfg.CallTimeout <= 0 {
		cfg.CallTimeout = DefaultCallTimeout
	}
	if cfg.StartupTimeout <= 0 {
		cfg.StartupTimeout = DefaultStartupTimeout
	}
	if cfg.MaxOutputSize <= 0 {
		cfg.MaxOutputSize = mapping.MaxOutputSize
	}
	if cfg.MaxInstanceMemory == 0 {
		cfg.MaxInstanceMemory = DefaultMaxInstanceMemory
	}
	return cfg
}

// wasiModule is the import module name of WASI preview 1.
const wasiModule = "wasi_snapshot_preview1"

// checkImports accepts only memory-less imports of WASI preview 1
// functions that the runtime provides, with the type it provides them
// with.
func (r *Runtime) checkImports(compiled wazero.CompiledModule) error {
	if mems := compiled.ImportedMemories(); len(mems) > 0 {
		mod, name, _ := mems[0].Import()
		return fmt.Errorf("%w: the module imports memory %s.%s; a plugin must define and export its own memory", ErrImport, mod, name)
	}
	wasi := r.rt.Module(wasiModule)
	provided := wasi.ExportedFunctionDefinitions()
	for _, f := range compiled.ImportedFunctions() {
		mod, name, _ := f.Import()
		if r.cfg.Protection == ProtectionInterrupt && mod == interrupt.ImportModule && name == interrupt.ImportName &&
			len(f.ParamTypes()) == 0 && len(f.ResultTypes()) == 0 {
			continue // added by the instrumentation
		}
		if mod != wasiModule {
			return fmt.Errorf("%w: the module imports function %s.%s; the host provides only %s", ErrImport, mod, name, wasiModule)
		}
		def, ok := provided[name]
		if !ok {
			return fmt.Errorf("%w: the module imports %s.%s, which WASI preview 1 does not define", ErrImport, mod, name)
		}
		if !sameTypes(def.ParamTypes(), f.ParamTypes()) || !sameTypes(def.ResultTypes(), f.ResultTypes()) {
			return fmt.Errorf("%w: the module imports %s.%s as %s, but the host provides %s", ErrImport, mod, name, signature(f), signature(def))
		}
	}
	return nil
}

// requiredExports lists the functions of the ABI with their types.
var requiredExports = []struct {
	name            string
	params, results []api.ValueType
}{
	{abi.ExportInitialize, nil, nil},
	{abi.ExportABIVersion, nil, []api.ValueType{api.ValueTypeI32}},
	{abi.ExportAlloc, []api.ValueType{api.ValueTypeI32}, []api.ValueType{api.ValueTypeI32}},
	{abi.ExportStep, []api.ValueType{api.ValueTypeI32}, []api.ValueType{api.ValueTypeI64}},
	{abi.ExportInfo, nil, []api.ValueType{api.ValueTypeI64}},
}

// checkExports checks that every export of the ABI exists with its type.
func checkExports(compiled wazero.CompiledModule) error {
	fns := compiled.ExportedFunctions()
	for _, want := range requiredExports {
		got, ok := fns[want.name]
		if !ok {
			return fmt.Errorf("%w: the module does not export function %q %s; build it from ./plugin with -buildmode=c-shared", ErrMissingExport, want.name, signatureOf(want.params, want.results))
		}
		if !sameTypes(got.ParamTypes(), want.params) || !sameTypes(got.ResultTypes(), want.results) {
			return fmt.Errorf("%w: export %q is %s, but ABI version %d requires %s", ErrExportSignature, want.name, signature(got), abi.Version, signatureOf(want.params, want.results))
		}
	}
	if _, ok := compiled.ExportedMemories()[abi.ExportMemory]; !ok {
		return fmt.Errorf("%w: the module does not export its linear memory as %q", ErrMissingExport, abi.ExportMemory)
	}
	return nil
}

// handshake checks abi_version and reads info on a fresh instance.
func (in *instance) handshake(ctx context.Context) (abi.Info, error) {
	var info abi.Info
	timeout := in.plugin.cfg.StartupTimeout
	fn := in.mod.ExportedFunction(abi.ExportABIVersion)
	if err := in.guard(ctx, timeout, func(ctx context.Context) error { return fn.CallWithStack(ctx, in.stack) }); err != nil {
		return info, fmt.Errorf("%w: %s: %w", ErrStartup, abi.ExportABIVersion, err)
	}
	if v := uint32(in.stack[0]); v != abi.Version {
		return info, fmt.Errorf("%w: the plugin implements ABI version %d, but this host implements version %d; rebuild the plugin against this gateway's plugin/abi", ErrABIVersion, v, abi.Version)
	}

	fn = in.mod.ExportedFunction(abi.ExportInfo)
	if err := in.guard(ctx, timeout, func(ctx context.Context) error { return fn.CallWithStack(ctx, in.stack) }); err != nil {
		return info, fmt.Errorf("%w: %s: %w", ErrStartup, abi.ExportInfo, err)
	}
	span := abi.Span(in.stack[0])
	data, ok := in.mem.Read(span.Ptr(), min(span.Len(), 4096))
	switch {
	case span.IsError():
		return info, fmt.Errorf("%w: info returned the error %q", ErrInfo, data)
	case !ok || span.Len() > 4096:
		return info, fmt.Errorf("%w: info returned %d bytes at %#x, which is outside memory or above 4096 bytes", ErrInfo, span.Len(), span.Ptr())
	}
	if err := json.Unmarshal(data, &info); err != nil {
		return info, fmt.Errorf("%w: info is not the expected JSON object: %v", ErrInfo, err)
	}
	if info.Name == "" || info.Version == "" || info.IntercomAPIVersion == "" {
		return info, fmt.Errorf("%w: info %s lacks name, version or intercom_api_version", ErrInfo, data)
	}
	if info.ABIVersion != abi.Version {
		return info, fmt.Errorf("%w: info reports ABI version %d, but abi_version returned %d", ErrInfo, info.ABIVersion, abi.Version)
	}
	return info, nil
}

func sameTypes(a, b []api.ValueType) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func signature(f api.FunctionDefinition) string {
	return signatureOf(f.ParamTypes(), f.ResultTypes())
}

// signatureOf formats a function type as "(i32) -> (i64)".
func signatureOf(params, results []api.ValueType) string {
	list := func(ts []api.ValueType) string {
		s := "("
		for i, t := range ts {
			if i > 0 {
				s += ", "
			}
			s += api.ValueTypeName(t)
		}
		return s + ")"
	}
	return list(params) + " -> " + list(results)
}
