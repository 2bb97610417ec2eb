package interrupt_test

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/intercom-gateway/gateway/host/internal/interrupt"
	w "github.com/intercom-gateway/gateway/host/internal/wasmtest"
)

// spinModule has "spin", a loop without calls, "fork", exponential
// recursion without loops, and "sum", a loop that adds 1..n.
func spinModule() []byte {
	return w.Module{
		Funcs: []w.Func{
			{Export: "spin", Body: []byte{w.OpLoop, w.BlockEmpty, w.OpBr, 0, w.OpEnd}},
			{
				Export: "fork", Params: []byte{w.I32},
				Body: []byte{
					w.OpLocalGet, 0, w.OpIf, w.BlockEmpty,
					w.OpLocalGet, 0, w.OpI32Const, 1, w.OpI32Sub, w.OpCall, 1,
					w.OpLocalGet, 0, w.OpI32Const, 1, w.OpI32Sub, w.OpCall, 1,
					w.OpEnd,
				},
			},
			{
				Export: "sum", Params: []byte{w.I32}, Results: []byte{w.I32}, Locals: []byte{w.I32},
				Body: []byte{
					w.OpLoop, w.BlockEmpty,
					w.OpLocalGet, 1, w.OpLocalGet, 0, w.OpI32Add, w.OpLocalSet, 1,
					w.OpLocalGet, 0, w.OpI32Const, 1, w.OpI32Sub, w.OpLocalSet, 0,
					w.OpLocalGet, 0, w.OpBrIf, 0,
					w.OpEnd,
					w.OpLocalGet, 1,
				},
			},
		},
		Globals: []int32{7},
	}.Encode()
}

var errStop = errors.New("stopped by the test")

// instantiate compiles module with a compiler runtime that provides the
// yield import as the given function.
func instantiate(t *testing.T, module []byte, yield func()) api.Module {
	t.Helper()
	ctx := context.Background()
	rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigCompiler())
	t.Cleanup(func() { _ = rt.Close(ctx) })
	_, err := rt.NewHostModuleBuilder(interrupt.ImportModule).
		NewFunctionBuilder().
		WithGoModuleFunction(api.GoModuleFunc(func(context.Context, api.Module, []uint64) { yield() }), nil, nil).
		Export(interrupt.ImportName).
		Instantiate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	mod, err := rt.Instantiate(ctx, module)
	if err != nil {
		t.Fatalf("instantiate the instrumented module: %v", err)
	}
	return mod
}

func TestInstrumentStopsRunawayCalls(t *testing.T) {
	res, err := interrupt.Instrument(spinModule(), 1000)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		export string
		params []uint64
	}{
		{"loop without calls", "spin", nil},
		{"recursion without loops", "fork", []uint64{62}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stop atomic.Bool
			mod := instantiate(t, res.Module, func() {
				if stop.Load() {
					panic(errStop)
				}
			})
			done := make(chan error, 1)
			go func() {
				_, err := mod.ExportedFunction(tt.export).Call(context.Background(), tt.params...)
				done <- err
			}()

			// A collection stops the world, which waits for the spinning
			// goroutine to reach a preemption point; the yields are those.
			gcDone := make(chan struct{})
			go func() {
				runtime.GC()
				close(gcDone)
			}()
			select {
			case <-gcDone:
			case <-time.After(10 * time.Second):
				t.Fatal("runtime.GC did not finish within 10s while the guest ran")
			}

			stop.Store(true)
			select {
			case err := <-done:
				if !errors.Is(err, errStop) {
					t.Fatalf("call ended with %v, want the error the yield function panicked with", err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("the call did not stop within 10s; its goroutine is still spinning")
			}
		})
	}
}

func TestInstrumentKeepsResults(t *testing.T) {
	const fuel = 7
	res, err := interrupt.Instrument(spinModule(), fuel)
	if err != nil {
		t.Fatal(err)
	}
	// Three bodies and two loops.
	if res.Checks != 5 {
		t.Errorf("Checks = %d, want 5", res.Checks)
	}
	yields := 0
	mod := instantiate(t, res.Module, func() { yields++ })
	got, err := mod.ExportedFunction("sum").Call(context.Background(), 10000)
	if err != nil {
		t.Fatal(err)
	}
	if got[0] != 50005000 {
		t.Errorf("sum(10000) = %d, want 50005000", got[0])
	}
	// One unit at entry and one per 64 iterations: 157 units, a yield every
	// seventh.
	if want := (1 + 10000/64) / fuel; yields != want {
		t.Errorf("%d yields, want %d", yields, want)
	}
	if g := mod.ExportedGlobal(interrupt.FuelExport); g == nil {
		t.Errorf("the instrumented module does not export %q", interrupt.FuelExport)
	}
}

func TestInstrumentChargesBulkMemory(t *testing.T) {
	// fill(n) runs memory.fill(0, 0, n).
	module := w.Module{
		MemoryPages: 4,
		Funcs: []w.Func{{
			Export: "fill", Params: []byte{w.I32},
			Body: []byte{w.OpI32Const, 0, w.OpI32Const, 0, w.OpLocalGet, 0, 0xfc, 11, 0},
		}},
	}.Encode()
	res, err := interrupt.Instrument(module, 100)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		bytes  uint64
		yields int
	}{
		// The entry costs 1 unit and the fill 1 plus 1 per KiB.
		{64 << 10, 0},  // 1 + 65 units of 100
		{128 << 10, 1}, // 1 + 129 units: the fill exhausts the fuel
	}
	for _, tt := range tests {
		yields := 0
		mod := instantiate(t, res.Module, func() { yields++ })
		if _, err := mod.ExportedFunction("fill").Call(context.Background(), tt.bytes); err != nil {
			t.Fatal(err)
		}
		if yields != tt.yields {
			t.Errorf("fill(%d): %d yields, want %d", tt.bytes, yields, tt.yields)
		}
	}
}

// TestInstrumentShiftsFunctionIndices runs a module whose functions refer
// to each other in every way the rewrite must renumber: direct calls,
// call_indirect through an element segment, exports, a start function and
// the name section.
func TestInstrumentShiftsFunctionIndices(t *testing.T) {
	module := w.Module{
		Imports: []w.Import{{Module: "env", Name: "seven", Results: []byte{w.I32}}},
		Funcs: []w.Func{
			// 1: set global 0 to 40 (the start function)
			{Body: []byte{w.OpI32Const, 40, w.OpGlobalSet, 0}},
			// 2: return global 0 + seven()
			{Results: []byte{w.I32}, Body: []byte{w.OpGlobalGet, 0, w.OpCall, 0, w.OpI32Add}},
			// 3: call_indirect with type 0, () -> i32, on table slot 0 (function 2), plus 1
			{Export: "indirect", Results: []byte{w.I32}, Body: []byte{w.OpI32Const, 0, w.OpCallIndirect, 0, 0, w.OpI32Const, 1, w.OpI32Add}},
			// 4: call 2 directly
			{Export: "direct", Results: []byte{w.I32}, Body: []byte{w.OpCall, 2}},
			// 5: trap, for a stack trace with names
			{Export: "trap", Body: []byte{w.OpUnreachable}},
		},
		Globals: []int32{0},
		Table:   []uint32{2},
		Start:   1 + 1,
		Names:   true,
	}.Encode()
	res, err := interrupt.Instrument(module, 1000)
	if err != nil {
		t.Fatal(err)
	}

	ctx := context.Background()
	rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigCompiler())
	defer rt.Close(ctx)
	_, err = rt.NewHostModuleBuilder("env").
		NewFunctionBuilder().WithFunc(func() int32 { return 7 }).Export("seven").
		Instantiate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	_, err = rt.NewHostModuleBuilder(interrupt.ImportModule).
		NewFunctionBuilder().WithFunc(func() {}).Export(interrupt.ImportName).
		Instantiate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	mod, err := rt.Instantiate(ctx, res.Module)
	if err != nil {
		t.Fatalf("instantiate: %v", err)
	}
	for name, want := range map[string]uint64{"direct": 47, "indirect": 48} {
		got, err := mod.ExportedFunction(name).Call(ctx)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got[0] != want {
			t.Errorf("%s() = %d, want %d", name, got[0], want)
		}
	}
	_, err = mod.ExportedFunction("trap").Call(ctx)
	if err == nil || !strings.Contains(err.Error(), ".f5()") {
		t.Errorf("trap error %v does not name function f5", err)
	}
}

func TestInstrumentAddsMissingSections(t *testing.T) {
	// No types, imports, globals or exports in the original.
	module := []byte{0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00}
	res, err := interrupt.Instrument(module, 10)
	if err != nil {
		t.Fatal(err)
	}
	mod := instantiate(t, res.Module, func() {})
	if _, ok := mod.ExportedGlobal(interrupt.FuelExport).(api.MutableGlobal); !ok {
		t.Fatalf("the instrumented module does not export a mutable global %q", interrupt.FuelExport)
	}
}

func TestInstrumentRejects(t *testing.T) {
	valid := spinModule()
	exportClash := w.Module{Funcs: []w.Func{{Export: interrupt.FuelExport}}}.Encode()
	// global.set 1 in a module with one global would refill the fuel after
	// the rewrite.
	fuelWriter := w.Module{
		Globals: []int32{0},
		Funcs:   []w.Func{{Body: []byte{w.OpI32Const, 0, w.OpGlobalSet, 1}}},
	}.Encode()
	// local.set 1 in a function with one local would reset the loop
	// counter after the rewrite.
	counterWriter := w.Module{Funcs: []w.Func{{Params: []byte{w.I32}, Body: []byte{w.OpI32Const, 0, w.OpLocalSet, 1}}}}.Encode()
	// 0x06 is the legacy try of the exception-handling proposal.
	laterProposal := w.Module{Funcs: []w.Func{{Body: []byte{0x06, w.BlockEmpty, w.OpEnd}}}}.Encode()
	unbalanced := w.Module{Funcs: []w.Func{{Body: []byte{w.OpLoop, w.BlockEmpty}}}}.Encode()

	tests := []struct {
		name      string
		module    []byte
		fuel      uint32
		malformed bool
		want      string
	}{
		{"empty", nil, 10, true, "magic number"},
		{"not wasm", []byte("\x7fELF\x02\x01\x01\x00"), 10, true, "magic number"},
		{"truncated", valid[:len(valid)-3], 10, true, "past the end"},
		{"unbalanced blocks", unbalanced, 10, true, "open blocks"},
		{"export name taken", exportClash, 10, false, "already exports"},
		{"reference to the fuel's index", fuelWriter, 10, false, "refers to global 1"},
		{"reference to the counter's index", counterWriter, 10, false, "refers to local 1"},
		{"later proposal", laterProposal, 10, false, "opcode 0x06"},
		{"zero fuel", valid, 0, false, "fuel 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := interrupt.Instrument(tt.module, tt.fuel)
			if err == nil {
				t.Fatal("Instrument succeeded, want an error")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
			if got := errors.Is(err, interrupt.ErrMalformed); got != tt.malformed {
				t.Errorf("errors.Is(err, ErrMalformed) = %v, want %v", got, tt.malformed)
			}
		})
	}
}

// FuzzInstrument checks that Instrument never panics and that wazero
// accepts the instrumented form of every module it accepts.
func FuzzInstrument(f *testing.F) {
	f.Add(spinModule())
	f.Add(w.Module{Funcs: []w.Func{{Body: []byte{w.OpLoop, w.BlockEmpty, w.OpEnd}}}}.Encode())
	f.Add(w.Module{MemoryPages: 1, Funcs: []w.Func{{Export: "f", Results: []byte{w.I64}, Body: []byte{w.OpI64Const, 5}}}}.Encode())
	f.Add(w.Module{
		Imports: []w.Import{{Module: "env", Name: "g", Results: []byte{w.I32}}},
		Funcs:   []w.Func{{Results: []byte{w.I32}, Body: []byte{w.OpCall, 0}}},
		Table:   []uint32{1}, Start: 0, Names: true,
	}.Encode())
	ctx := context.Background()
	rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigCompiler())
	f.Cleanup(func() { _ = rt.Close(ctx) })
	f.Fuzz(func(t *testing.T, module []byte) {
		res, err := interrupt.Instrument(module, 1000)
		if err != nil {
			return
		}
		original, err := rt.CompileModule(ctx, module)
		if err != nil {
			return
		}
		_ = original.Close(ctx)
		instrumented, err := rt.CompileModule(ctx, res.Module)
		if err != nil {
			t.Fatalf("wazero accepts the module but not its instrumented form: %v", err)
		}
		_ = instrumented.Close(ctx)
	})
}
