//go:build wasip1

// Command wrongplugin is a mapping plugin with a deliberate bug, for the
// hot-swap tests: it implements the plugin ABI and runs the real mapping,
// then renames every "custom_attributes" field it planned to
// "custom_attributez", a key Intercom rejects. Its outputs differ from the
// real plugin's on the self-test cases, and Intercom rejects its writes.
package main

import (
	"bytes"
	"encoding/json"
	"unsafe"

	"github.com/intercom-gateway/gateway/mapping"
	"github.com/intercom-gateway/gateway/plugin/abi"
)

var (
	input  []byte
	output []byte
	info   []byte
)

func init() {
	info, _ = json.Marshal(abi.Info{Name: "wrong-mapping", Version: "wrong", ABIVersion: abi.Version, IntercomAPIVersion: "2.10"})
}

func main() {}

//go:wasmexport abi_version
func abiVersion() uint32 { return abi.Version }

//go:wasmexport info
func infoExport() uint64 { return span(info) }

//go:wasmexport alloc
func alloc(size uint32) uint32 {
	if cap(input) < int(size) || cap(input) == 0 {
		input = make([]byte, max(int(size), 4096))
	}
	input = input[:cap(input)]
	return uint32(uintptr(unsafe.Pointer(&input[0])))
}

//go:wasmexport step
func step(size uint32) uint64 {
	output = mapping.Step(output[:0], input[:size])
	output = bytes.ReplaceAll(output, []byte(`"company_id":`), []byte(`"companyId":`))
	return span(output)
}

func span(b []byte) uint64 {
	return uint64(abi.PackSpan(uint32(uintptr(unsafe.Pointer(&b[0]))), uint32(len(b))))
}
