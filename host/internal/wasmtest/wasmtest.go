// Package wasmtest encodes small WebAssembly modules for tests. It covers
// enough of the binary format to write functions by hand. Tests use it to
// build a module with exactly the fault they exercise, such as a mistyped
// export or a loop without calls, in microseconds instead of running the
// Go toolchain.
package wasmtest

// Value types.
const (
	I32 byte = 0x7f
	I64 byte = 0x7e
)

// Instruction bytes used by tests.
const (
	OpUnreachable  = 0x00
	OpLoop         = 0x03
	OpIf           = 0x04
	OpEnd          = 0x0b
	OpBr           = 0x0c
	OpBrIf         = 0x0d
	OpCall         = 0x10
	OpCallIndirect = 0x11
	OpDrop         = 0x1a
	OpLocalGet     = 0x20
	OpLocalSet     = 0x21
	OpGlobalGet    = 0x23
	OpGlobalSet    = 0x24
	OpI32Const     = 0x41
	OpI64Const     = 0x42
	OpI32Add       = 0x6a
	OpI32Sub       = 0x6b
	BlockEmpty     = 0x40
)

// Func is a function defined by the module.
type Func struct {
	Params, Results []byte
	// Locals are the types of extra locals, one entry per local.
	Locals []byte
	// Body is the instruction sequence without the final end.
	Body []byte
	// Export is the export name, or empty.
	Export string
}

// Import is an imported function.
type Import struct {
	Module, Name    string
	Params, Results []byte
}

// Module is a module to encode. Imported functions take the first function
// indices, in order, then Funcs.
type Module struct {
	Imports []Import
	Funcs   []Func
	// MemoryPages, when non-zero, defines one memory of that many pages
	// exported as "memory".
	MemoryPages uint32
	// Globals defines mutable i32 globals with these initial values.
	Globals []int32
	// Table, when non-empty, defines a funcref table holding these function
	// indices from slot 0, for call_indirect.
	Table []uint32
	// Start is the index of the start function plus one; 0 means none.
	Start uint32
	// Names adds a name section that names each function "f<index>".
	Names bool
}

// Encode returns the binary module.
func (m Module) Encode() []byte {
	out := []byte{0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00}

	var types []byte
	typeCount := 0
	addType := func(params, results []byte) uint32 {
		types = append(types, 0x60)
		types = vec(types, params)
		types = vec(types, results)
		typeCount++
		return uint32(typeCount - 1)
	}
	var imports, funcs []byte
	for _, im := range m.Imports {
		t := addType(im.Params, im.Results)
		imports = name(imports, im.Module)
		imports = name(imports, im.Name)
		imports = append(imports, 0x00)
		imports = U32(imports, t)
	}
	for _, f := range m.Funcs {
		funcs = U32(funcs, addType(f.Params, f.Results))
	}
	out = section(out, 1, U32(nil, uint32(typeCount)), types)
	if len(m.Imports) > 0 {
		out = section(out, 2, U32(nil, uint32(len(m.Imports))), imports)
	}
	out = section(out, 3, U32(nil, uint32(len(m.Funcs))), funcs)
	if len(m.Table) > 0 {
		limits := U32([]byte{0x70, 0x00}, uint32(len(m.Table)))
		out = section(out, 4, []byte{1}, limits)
	}
	if m.MemoryPages > 0 {
		out = section(out, 5, []byte{1, 0x00}, U32(nil, m.MemoryPages))
	}
	if len(m.Globals) > 0 {
		var g []byte
		for _, v := range m.Globals {
			g = append(g, I32, 0x01, OpI32Const)
			g = S32(g, v)
			g = append(g, OpEnd)
		}
		out = section(out, 6, U32(nil, uint32(len(m.Globals))), g)
	}

	var exports []byte
	exportCount := 0
	for i, f := range m.Funcs {
		if f.Export == "" {
			continue
		}
		exports = name(exports, f.Export)
		exports = append(exports, 0x00)
		exports = U32(exports, uint32(len(m.Imports)+i))
		exportCount++
	}
	if m.MemoryPages > 0 {
		exports = name(exports, "memory")
		exports = append(exports, 0x02, 0x00)
		exportCount++
	}
	out = section(out, 7, U32(nil, uint32(exportCount)), exports)
	if m.Start > 0 {
		out = section(out, 8, nil, U32(nil, m.Start-1))
	}
	if len(m.Table) > 0 {
		elem := []byte{0x00, OpI32Const, 0x00, OpEnd}
		elem = U32(elem, uint32(len(m.Table)))
		for _, f := range m.Table {
			elem = U32(elem, f)
		}
		out = section(out, 9, []byte{1}, elem)
	}

	var code []byte
	for _, f := range m.Funcs {
		var body []byte
		body = U32(body, uint32(len(f.Locals)))
		for _, l := range f.Locals {
			body = append(body, 1, l)
		}
		body = append(body, f.Body...)
		body = append(body, OpEnd)
		code = U32(code, uint32(len(body)))
		code = append(code, body...)
	}
	out = section(out, 10, U32(nil, uint32(len(m.Funcs))), code)
	if m.Names {
		total := len(m.Imports) + len(m.Funcs)
		var names []byte
		names = U32(names, uint32(total))
		for i := 0; i < total; i++ {
			names = U32(names, uint32(i))
			names = name(names, "f"+itoa(i))
		}
		sub := append([]byte{1}, U32(nil, uint32(len(names)))...)
		sub = append(sub, names...)
		out = section(out, 0, name(nil, "name"), sub)
	}
	return out
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + string(rune('0'+i%10))
}

func section(dst []byte, id byte, count, body []byte) []byte {
	dst = append(dst, id)
	dst = U32(dst, uint32(len(count)+len(body)))
	dst = append(dst, count...)
	return append(dst, body...)
}

func vec(dst, items []byte) []byte {
	dst = U32(dst, uint32(len(items)))
	return append(dst, items...)
}

func name(dst []byte, s string) []byte {
	dst = U32(dst, uint32(len(s)))
	return append(dst, s...)
}

// U32 appends v as unsigned LEB128.
func U32(dst []byte, v uint32) []byte {
	for {
		b := byte(v & 0x7f)
		v >>= 7
		if v == 0 {
			return append(dst, b)
		}
		dst = append(dst, b|0x80)
	}
}

// S32 appends v as signed LEB128.
func S32(dst []byte, v int32) []byte {
	for {
		b := byte(v & 0x7f)
		v >>= 7
		if (v == 0 && b&0x40 == 0) || (v == -1 && b&0x40 != 0) {
			return append(dst, b)
		}
		dst = append(dst, b|0x80)
	}
}
