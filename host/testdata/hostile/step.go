//go:build wasip1 && !nostep

package main

import "github.com/intercom-gateway/gateway/mapping"

//go:wasmexport step
func step(size uint32) uint64 {
	in := input[:size]
	if out, ok := misbehave(in); ok {
		return out
	}
	output = mapping.Step(output[:0], in)
	return span(output)
}
