//go:build wasip1

// Command hostile is a deliberately misbehaving mapping plugin for the host
// tests. It implements the plugin ABI and runs mapping.Step for ordinary
// events, but an event with a "hostile" field makes it misbehave instead:
//
//	loop       spin forever in a loop without calls
//	spin       spin forever in a loop that calls a function
//	recurse    recurse without bound
//	membomb    allocate until memory runs out
//	panic      panic
//	exit       call os.Exit(3)
//	garbage    return bytes that are not JSON
//	path       plan one request with the event's "method" and "path" fields,
//	           then end with a result whose message is the response's error
//	huge       return an output larger than the host's limit
//	badspan    return a span outside linear memory
//	errorspan  return an error span
//	stderr     write 500 lines to stderr, then map the event normally
//	sleep      sleep for an hour, then map the event normally
//
// Build tags select load-time faults instead: abi99 (abi_version returns
// 99), nostep (no step export) and inittrap (a panic during _initialize).
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"
	"unsafe"

	"github.com/tidwall/gjson"

	"github.com/intercom-gateway/gateway/mapping"
	"github.com/intercom-gateway/gateway/plugin/abi"
)

var (
	input  []byte
	output []byte
	info   = []byte(`{"name":"hostile","version":"test","abi_version":1,"intercom_api_version":"2.10"}`)
	sink   []byte
	hold   [][]byte
	count  int
)

func main() {}

//go:wasmexport alloc
func alloc(size uint32) uint32 {
	if cap(input) < int(size) || cap(input) == 0 {
		input = make([]byte, max(int(size), 4096))
	}
	input = input[:cap(input)]
	return uint32(uintptr(unsafe.Pointer(&input[0])))
}

//go:wasmexport info
func infoExport() uint64 { return span(info) }

func span(b []byte) uint64 {
	return uint64(abi.PackSpan(uint32(uintptr(unsafe.Pointer(&b[0]))), uint32(len(b))))
}

// misbehave runs the behaviour the step input selects and returns the
// output span, or ok false for an ordinary event.
func misbehave(in []byte) (result uint64, ok bool) {
	root := gjson.ParseBytes(in)
	event := root.Get("event")
	switch event.Get("hostile").String() {
	case "":
		return 0, false
	case "loop":
		for {
			count++
		}
	case "spin":
		for {
			tick()
		}
	case "recurse":
		return uint64(recurse(1)), true
	case "membomb":
		for {
			hold = append(hold, make([]byte, 1<<20))
		}
	case "panic":
		panic("hostile plugin panics on purpose")
	case "exit":
		os.Exit(3)
	case "garbage":
		output = append(output[:0], "this is not JSON {{{"...)
	case "path":
		if responses := root.Get("responses"); responses.Exists() {
			msg, _ := json.Marshal(responses.Get("0.error").String())
			output = fmt.Appendf(output[:0], `{"result":{"outcome":"rejected","message":%s}}`, msg)
		} else {
			// Raw copies the JSON strings with their escapes.
			output = fmt.Appendf(output[:0], `{"requests":[{"method":%s,"path":%s}],"state":{"phase":"path"}}`,
				event.Get("method").Raw, event.Get("path").Raw)
		}
	case "huge":
		output = append(output[:0], `{"result":{"outcome":"delivered","message":"`...)
		output = append(output, strings.Repeat("x", mapping.MaxOutputSize)...)
		output = append(output, `"}}`...)
	case "badspan":
		return uint64(abi.PackSpan(0xffff0000, 1<<20)), true
	case "errorspan":
		msg := []byte("hostile error span")
		sink = msg
		return uint64(abi.PackSpan(uint32(uintptr(unsafe.Pointer(&msg[0]))), uint32(len(msg))|abi.ErrorFlag)), true
	case "stderr":
		for i := 0; i < 500; i++ {
			fmt.Fprintf(os.Stderr, "hostile stderr line %d\n", i)
		}
		return 0, false
	case "sleep":
		time.Sleep(time.Hour)
		return 0, false
	default:
		output = append(output[:0], `{"result":{"outcome":"invalid_event","message":"unknown hostile behaviour"}}`...)
	}
	return span(output), true
}

//go:noinline
func tick() { count++ }

//go:noinline
func recurse(n int) int {
	var pad [64]byte
	pad[n%64] = byte(n)
	return recurse(n+1) + int(pad[0])
}
