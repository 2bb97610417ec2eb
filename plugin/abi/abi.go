// Package abi defines the binary interface between the gateway host and the
// mapping plugin: the ABI version, the names and WebAssembly signatures of
// the plugin's exports, and how a pointer and a length travel in one 64-bit
// value. Both sides import it, so they cannot disagree on a constant.
//
// docs/abi.md is the full specification: memory ownership, error signalling
// and the rules for changing the version.
package abi

// Version is the ABI version this package describes. A plugin returns it
// from its abi_version export and a host refuses a plugin whose value
// differs.
const Version uint32 = 1

// Names of the plugin's exports.
const (
	// ExportInitialize runs the Go runtime and package initialisation. The
	// host calls it once per instance before any other export.
	ExportInitialize = "_initialize"
	// ExportABIVersion is abi_version() -> i32.
	ExportABIVersion = "abi_version"
	// ExportAlloc is alloc(size i32) -> i32: the address of a guest-owned
	// input buffer of at least size bytes, or 0 when size is above
	// MaxInputSize.
	ExportAlloc = "alloc"
	// ExportStep is step(size i32) -> i64: runs one mapping step on the
	// first size bytes of the input buffer and returns the output as a
	// packed Span.
	ExportStep = "step"
	// ExportInfo is info() -> i64: the plugin description as a packed Span
	// over a JSON object.
	ExportInfo = "info"
	// ExportMemory is the linear memory the addresses refer to.
	ExportMemory = "memory"
)

// MaxInputSize is the largest input alloc accepts: 16 MiB. It is above the
// mapping's own input limit so that the mapping, not the ABI, reports
// oversized events with a proper result.
const MaxInputSize = 16 << 20

// ErrorFlag is set in the length half of a Span when the bytes are an error
// message (UTF-8 text) instead of the export's normal output.
const ErrorFlag uint32 = 1 << 31

// Span is an address and a length in the guest's linear memory packed into
// one i64: the address in the upper 32 bits and the length in the lower 32
// bits. For example, 1024 bytes at address 0x10000 are
// 0x00010000_00000400. Bit 31 is ErrorFlag, so a length is at most
// 2^31-1 bytes.
type Span uint64

// PackSpan packs an address and a length into a Span.
func PackSpan(ptr, length uint32) Span { return Span(uint64(ptr)<<32 | uint64(length)) }

// Ptr returns the address half of s.
func (s Span) Ptr() uint32 { return uint32(s >> 32) }

// Len returns the length half of s without ErrorFlag.
func (s Span) Len() uint32 { return uint32(s) &^ ErrorFlag }

// IsError reports whether the bytes of s are an error message.
func (s Span) IsError() bool { return uint32(s)&ErrorFlag != 0 }

// Info is the JSON object the info export returns.
type Info struct {
	// Name identifies the plugin, such as "intercom-mapping".
	Name string `json:"name"`
	// Version is the plugin's own version, set at build time.
	Version string `json:"version"`
	// ABIVersion repeats the abi_version export.
	ABIVersion uint32 `json:"abi_version"`
	// IntercomAPIVersion is the Intercom REST API version whose requests
	// the plugin plans, such as "2.10".
	IntercomAPIVersion string `json:"intercom_api_version"`
}
