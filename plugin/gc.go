//go:build wasip1

package main

import (
	"runtime"
	"runtime/debug"
)

// guestMemoryLimit is the soft limit of the guest's Go heap, in bytes. The
// host replaces an instance whose linear memory passes 32 MiB, and linear
// memory never shrinks, so the collector works harder as the heap nears
// this limit instead. A step whose live data exceeds it still runs; the Go
// runtime caps the collector's share of the time.
const guestMemoryLimit = 16 << 20

func init() { debug.SetMemoryLimit(guestMemoryLimit) }

// yieldToCollector lets the collector's background workers run. A guest
// goroutine runs only while an export executes, and the step goroutine
// rarely blocks, so without this a collection cycle stalls for hundreds of
// steps while the heap keeps growing. With the 10 KB benchmark events the
// instance's memory then passed 32 MiB about once every 1500 steps. With
// the yield and the limit it stayed below 20 MiB over 6000 steps.
func yieldToCollector() { runtime.Gosched() }
