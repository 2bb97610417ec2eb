package host

import "errors"

// Errors that Runtime.Load wraps when it rejects a module. Test them with
// errors.Is; the wrapping error names the export or value at fault.
var (
	// ErrNotWasm means the bytes are not a WebAssembly 2.0 module that the
	// host can instrument and wazero can decode, validate and compile.
	ErrNotWasm = errors.New("not an accepted WebAssembly module")
	// ErrImport means the module imports something the host does not
	// provide. The host provides WASI preview 1 only.
	ErrImport = errors.New("unsupported import")
	// ErrMissingExport means a required export is absent.
	ErrMissingExport = errors.New("missing export")
	// ErrExportSignature means an export has the wrong WebAssembly type.
	ErrExportSignature = errors.New("export has the wrong signature")
	// ErrABIVersion means abi_version returned a version this host does not
	// implement.
	ErrABIVersion = errors.New("unsupported ABI version")
	// ErrStartup means _initialize or another load-time call trapped,
	// exited or overran its deadline.
	ErrStartup = errors.New("plugin start-up failed")
	// ErrInfo means the info export returned something other than the
	// expected JSON object.
	ErrInfo = errors.New("invalid plugin info")
)

// Errors that Plugin.Step wraps when a call fails. Any of them poisons the
// instance that ran the call.
var (
	// ErrDeadline means the call overran its deadline or its context was
	// cancelled while the guest ran, and the host stopped it.
	ErrDeadline = errors.New("plugin call stopped at its deadline")
	// ErrTrap means the guest trapped or exited: a Go panic, a runtime fatal
	// error such as running out of memory, or an explicit exit.
	ErrTrap = errors.New("plugin call trapped")
	// ErrOutput means the call returned an error span, or an output that
	// lies outside linear memory or exceeds the output limit.
	ErrOutput = errors.New("plugin returned an invalid output")
	// ErrClosed means the Plugin or Runtime was closed.
	ErrClosed = errors.New("plugin is closed")
)
