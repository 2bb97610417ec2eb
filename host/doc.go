// Package host runs the mapping plugin, a WebAssembly module built from
// package mapping (see docs/abi.md), inside the gateway with wazero, and
// drives the plugin's step loop against Intercom through a Sender.
//
// # Contract
//
//   - One Runtime per process: it owns the wazero runtime (compiler engine
//     only; NewRuntime fails if the platform supports only the
//     interpreter), the optional on-disk compilation cache and the WASI
//     host module.
//   - Runtime.Load compiles a module, checks its imports, the signature of
//     every export and its ABI version, runs its start-up code once and
//     returns a Plugin. A module that fails any check is rejected with an
//     error that wraps one of the Err* values of this package and names the
//     export or value at fault.
//   - A Plugin is one compiled module with its own bounded pool of
//     instances. Plugin.Step runs one mapping step on an instance. Calls
//     are safe for concurrent use; each instance serves one call at a
//     time.
//   - Every call has a deadline. A call that overruns it is stopped (see
//     Protection; ProtectionNone, meant for measurements, stops nothing). A call that fails for any reason (deadline, trap,
//     invalid or oversized output) poisons its instance: the instance is
//     closed and never serves another call, and the pool creates a fresh
//     one on demand. The host survives any plugin behaviour; the cost of a
//     misbehaving plugin is the failed call and a new instance.
//   - The plugin is sandboxed: no file system, no environment, no network,
//     no real clock (wazero's fake clocks) and a memory limit per instance.
//     Its stderr and stdout go to the log, bounded and rate-limited.
//   - Deliverer runs the step loop of package mapping with the plugin:
//     it checks every request the plugin plans against the Intercom routes
//     the gateway sends (CheckRequest) before handing it to the Sender,
//     answers a rejected request to the plugin as a local error without
//     sending anything, and removes secrets from every response before the
//     plugin sees it. The access token and the region never enter the
//     plugin: the Sender holds them.
//
// # Notes
//
//   - Numbers in the documentation of this package come from the
//     benchmarks in host/bench_test.go (2 vCPU AMD EPYC, Go 1.26, wazero
//     v1.12.0) and vary by machine.
//   - The design keeps a later hot swap simple: a Plugin is immutable once
//     loaded, so a new version is a new Plugin, and Plugin.Close waits for
//     the calls in flight before it releases the compiled module.
package host
