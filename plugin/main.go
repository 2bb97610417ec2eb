//go:build wasip1

// Command plugin is the mapping plugin: package mapping compiled to a WASI
// reactor module that the gateway host loads with wazero.
//
// Build it with build/build.sh, which runs
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o build/mapping.wasm ./plugin
//
// This package only implements the ABI of package abi (see docs/abi.md): it
// copies nothing it does not have to, keeps its buffers between calls and
// leaves every decision to package mapping. It reads no clock, no random
// source, no file, no environment variable and starts no goroutine, so one
// step input always produces the same output.
package main

import (
	"encoding/json"
	"unsafe"

	"github.com/intercom-gateway/gateway/mapping"
	"github.com/intercom-gateway/gateway/plugin/abi"
)

// Plugin identity returned by the info export. version is replaced at build
// time with -ldflags "-X main.version=...".
var version = "dev"

const pluginName = "intercom-mapping"

// The buffers live in package variables so that the garbage collector keeps
// them, and their addresses stay valid, after an export returns. The host
// writes input between alloc and step. output stays readable until the
// next call into the instance.
var (
	input  []byte
	output []byte
	info   []byte
)

func init() {
	var err error
	info, err = json.Marshal(abi.Info{
		Name:               pluginName,
		Version:            version,
		ABIVersion:         abi.Version,
		IntercomAPIVersion: mapping.IntercomAPIVersion,
	})
	if err != nil {
		panic("plugin: cannot encode the plugin info: " + err.Error())
	}
}

// main is required by -buildmode=c-shared and never called by the host.
func main() {}

//go:wasmexport abi_version
func abiVersion() uint32 { return abi.Version }

//go:wasmexport alloc
func alloc(size uint32) uint32 {
	if size > abi.MaxInputSize {
		return 0
	}
	if uint32(cap(input)) < size || cap(input) == 0 {
		// Grow by at least half again so that a stream of slightly
		// larger events does not reallocate every time.
		n := max(int(size), cap(input)+cap(input)/2, 4096)
		input = make([]byte, n)
	}
	input = input[:cap(input)]
	return uint32(uintptr(unsafe.Pointer(&input[0])))
}

//go:wasmexport step
func step(size uint32) uint64 {
	if uint64(size) > uint64(len(input)) {
		return errorSpan("step: size is larger than the input buffer; call alloc with the size first")
	}
	output = mapping.Step(output[:0], input[:size])
	yieldToCollector()
	return uint64(spanOf(output, 0))
}

//go:wasmexport info
func infoExport() uint64 { return uint64(spanOf(info, 0)) }

// errorSpan returns msg as an error span. msg is a constant, so its bytes
// stay valid after the export returns.
func errorSpan(msg string) uint64 {
	return uint64(abi.PackSpan(uint32(uintptr(unsafe.Pointer(unsafe.StringData(msg)))), uint32(len(msg))|abi.ErrorFlag))
}

func spanOf(b []byte, flag uint32) abi.Span {
	if len(b) == 0 {
		return abi.PackSpan(0, flag)
	}
	return abi.PackSpan(uint32(uintptr(unsafe.Pointer(&b[0]))), uint32(len(b))|flag)
}
