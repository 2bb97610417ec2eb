// Package interrupt rewrites a WebAssembly module so that the host regains
// control of a running call at short, regular intervals. That is what the
// host needs to stop a call that runs too long, and it costs far less than
// the alternative wazero offers.
//
// The rewritten module imports one host function, ImportModule.ImportName
// of type () -> (), and defines one mutable i32 global, the fuel, exported
// as FuelExport. The module spends fuel:
//
//   - one unit at the start of every function body;
//   - one unit every 64 iterations of a loop, counted in a local variable
//     that the rewrite adds to every function, so most loop iterations
//     update only that local, not the global;
//   - one unit plus one per KiB (or per 1024 table elements) before every
//     bulk memory or table instruction, whose cost grows with its count
//     operand.
//
// When the fuel runs out the module calls the host function and refills
// the fuel. The host function decides whether the call may go on; to stop
// it, it panics, which wazero turns into an error of the call.
//
// This is the idea of Wasmtime's fuel. It exists because wazero v1.12.0 has
// only one way to stop a running guest, RuntimeConfig.WithCloseOnContextDone.
// That option leaves the machine code for Go at every loop head, which made
// the mapping plugin six to eight times slower (BenchmarkRatio in package
// host). The checks added here stay in machine code except once per
// refill.
//
// Leaving the machine code regularly matters for a second reason: the Go
// runtime cannot preempt a goroutine that runs wazero's machine code, so a
// garbage collection that stops the world waits until the guest returns.
// A guest that never returned would freeze the whole process, timers
// included, so a flag set from another goroutine cannot stop it. The call
// into the host function is a point where the goroutine can be preempted.
//
// Every unbounded execution spends fuel without bound: it either iterates
// a loop without bound or makes calls without bound, and recursion deep
// enough to avoid both overflows the call stack. Host functions are not
// metered: a host that imports blocking functions must bound them itself.
//
// # Notes
//
//   - Instrument accepts the instruction set of WebAssembly Core 2.0 (the
//     features of wazero's api.CoreFeaturesV2) and rejects any other opcode
//     with an error, so a module that uses a later proposal is refused
//     rather than left unchecked.
//   - The import shifts the index of every function the module defines by
//     one. Instrument rewrites every function index: calls, ref.func,
//     exports, the start function, element segments and the function,
//     local and label names of the name section, so stack traces keep
//     their names.
//   - The module must not refer to the global index of the fuel or to the
//     local indices of the added locals. After the rewrite such a
//     reference would let the guest refill its own fuel or reset its loop
//     counter, so Instrument rejects both.
//   - The input is untrusted: Instrument bounds every read and returns an
//     error for any malformed module instead of panicking. It does not
//     validate the module otherwise; wazero does that when it compiles the
//     result.
package interrupt

import (
	"bytes"
	"errors"
	"fmt"
)

// Names the rewritten module uses.
const (
	// ImportModule and ImportName name the host function the checks call
	// when the fuel runs out.
	ImportModule = "gateway_runtime"
	ImportName   = "yield"
	// FuelExport is the export name of the fuel global.
	FuelExport = "__gateway_fuel"
)

// ErrMalformed is wrapped by every error about bytes that are not a
// well-formed module.
var ErrMalformed = errors.New("malformed WebAssembly module")

// Result is an instrumented module.
type Result struct {
	// Module is the rewritten binary.
	Module []byte
	// Checks counts the checks inserted: one per function body, loop and
	// bulk memory or table instruction.
	Checks int
}

// Section ids of the WebAssembly binary format.
const (
	sectionCustom   = 0
	sectionType     = 1
	sectionImport   = 2
	sectionFunction = 3
	sectionGlobal   = 6
	sectionExport   = 7
	sectionStart    = 8
	sectionElement  = 9
	sectionCode     = 10
	sectionDataCnt  = 12
	sectionTag      = 13
	kindFunc        = 0x00
	kindTable       = 0x01
	kindMemory      = 0x02
	kindGlobal      = 0x03
	valTypeI32      = 0x7f
	globalMutable   = 0x01
	funcTypePrefix  = 0x60
	opUnreachable   = 0x00
	opIf            = 0x04
	opEnd           = 0x0b
	opCall          = 0x10
	opGlobalGet     = 0x23
	opGlobalSet     = 0x24
	opI32Const      = 0x41
	opI32Eqz        = 0x45
	opI32LtS        = 0x48
	opI32Add        = 0x6a
	opI32Sub        = 0x6b
	opI32And        = 0x71
	opI32ShrU       = 0x76
	opLocalGet      = 0x20
	opLocalSet      = 0x21
	opLocalTee      = 0x22
	opRefFunc       = 0xd2
	blockTypeEmpty  = 0x40
	nameSectionName = "name"
)

var magic = []byte{0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00}

// module is the parsed layout Instrument works on.
type module struct {
	sections        []section
	types           uint32 // entries in the type section
	importedFuncs   uint32
	importedGlobals uint32
	definedGlobals  uint32
	// params holds the parameter count of each type; funcTypes the type
	// index of each defined function.
	params    []uint32
	funcTypes []uint32
}

// shift maps a function index of the original module to the rewritten
// one: imports keep their index, defined functions move up by one to make
// room for the yield import, which takes index importedFuncs.
func (m *module) shift(idx uint32) uint32 {
	if idx >= m.importedFuncs {
		return idx + 1
	}
	return idx
}

// Instrument returns bin rewritten as the package documentation
// describes. fuel is the number of units spent between two calls of the
// host function, between 1 and 2^31-1.
func Instrument(bin []byte, fuel uint32) (Result, error) {
	if fuel == 0 || fuel > 1<<31-1 {
		return Result{}, fmt.Errorf("fuel %d is outside 1 to 2^31-1", fuel)
	}
	if len(bin) < len(magic) || !bytes.Equal(bin[:len(magic)], magic) {
		return Result{}, fmt.Errorf("%w: the module does not start with the WebAssembly magic number and version 1", ErrMalformed)
	}
	sections, err := splitSections(bin)
	if err != nil {
		return Result{}, err
	}
	m := &module{sections: withRequiredSections(sections)}
	if err := m.count(); err != nil {
		return Result{}, err
	}

	fuelGlobal := m.importedGlobals + m.definedGlobals
	c := &checks{fuel: fuelGlobal, yield: m.importedFuncs, refill: fuel}
	c.entry = appendCheck(nil, fuelGlobal, m.importedFuncs, fuel)

	out := make([]byte, 0, len(bin)+len(bin)/4)
	out = append(out, magic...)
	inserted := 0
	for _, s := range m.sections {
		var body []byte
		var err error
		switch s.id {
		case sectionType:
			body, err = m.rewriteTypes(s.body)
		case sectionImport:
			body, err = m.rewriteImports(s.body)
		case sectionGlobal:
			body, err = m.rewriteGlobals(s.body, fuel)
		case sectionExport:
			body, err = m.rewriteExports(s.body, fuelGlobal)
		case sectionStart:
			body, err = m.rewriteStart(s.body)
		case sectionElement:
			body, err = m.rewriteElements(s.body)
		case sectionCode:
			var n int
			body, n, err = m.rewriteCode(s.body, c)
			inserted += n
		case sectionCustom:
			body = m.rewriteCustom(s.body)
		default:
			body = s.body
		}
		if err != nil {
			return Result{}, err
		}
		if body == nil && s.id == sectionCustom {
			continue // a name section that could not be rewritten is dropped
		}
		out = appendSection(out, s.id, body)
	}
	return Result{Module: out, Checks: inserted}, nil
}

// appendCheck appends the check:
//
//	global.get fuel; i32.const 1; i32.sub; global.set fuel
//	global.get fuel; i32.eqz
//	if; call yield; i32.const refill; global.set fuel; end
func appendCheck(dst []byte, fuel, yield, refill uint32) []byte {
	dst = append(dst, opGlobalGet)
	dst = appendU32(dst, fuel)
	dst = append(dst, opI32Const, 1, opI32Sub, opGlobalSet)
	dst = appendU32(dst, fuel)
	dst = append(dst, opGlobalGet)
	dst = appendU32(dst, fuel)
	dst = append(dst, opI32Eqz, opIf, blockTypeEmpty, opCall)
	dst = appendU32(dst, yield)
	dst = append(dst, opI32Const)
	dst = appendS32(dst, int32(refill))
	dst = append(dst, opGlobalSet)
	dst = appendU32(dst, fuel)
	return append(dst, opEnd)
}

type section struct {
	id   byte
	body []byte
}

// order is a section's rank in the order the binary format requires.
// The data count section sits before code, the tag section of the
// exception-handling proposal between memory and global.
func order(id byte) int {
	switch id {
	case sectionTag:
		return 55
	case sectionDataCnt:
		return 95
	}
	return int(id) * 10
}

func splitSections(bin []byte) ([]section, error) {
	var sections []section
	r := reader{buf: bin, pos: len(magic)}
	for r.pos < len(r.buf) {
		id, err := r.byte()
		if err != nil {
			return nil, err
		}
		size, err := r.u32()
		if err != nil {
			return nil, fmt.Errorf("%w: size of section %d at byte %d: %v", ErrMalformed, id, r.pos, err)
		}
		body, err := r.bytes(int(size))
		if err != nil {
			return nil, fmt.Errorf("%w: section %d at byte %d claims %d bytes past the end of the module", ErrMalformed, id, r.pos, size)
		}
		sections = append(sections, section{id: id, body: body})
	}
	return sections, nil
}

// withRequiredSections adds empty type, import, global and export
// sections where the module has none, at their place in the order.
func withRequiredSections(sections []section) []section {
	for _, id := range []byte{sectionType, sectionImport, sectionGlobal, sectionExport} {
		if _, ok := find(sections, id); ok {
			continue
		}
		at := len(sections)
		for i, s := range sections {
			if s.id != sectionCustom && order(s.id) > order(id) {
				at = i
				break
			}
		}
		empty := section{id: id, body: []byte{0}}
		sections = append(sections[:at], append([]section{empty}, sections[at:]...)...)
	}
	return sections
}

func find(sections []section, id byte) (section, bool) {
	for _, s := range sections {
		if s.id == id {
			return s, true
		}
	}
	return section{}, false
}

func appendSection(dst []byte, id byte, body []byte) []byte {
	dst = append(dst, id)
	dst = appendU32(dst, uint32(len(body)))
	return append(dst, body...)
}

// count reads the counts Instrument needs from the type, import and
// global sections.
func (m *module) count() error {
	s, _ := find(m.sections, sectionType)
	if err := m.countTypes(s.body); err != nil {
		return err
	}
	s, _ = find(m.sections, sectionGlobal)
	r := reader{buf: s.body}
	var err error
	if m.definedGlobals, err = r.u32(); err != nil {
		return fmt.Errorf("%w: global count: %v", ErrMalformed, err)
	}
	if s, ok := find(m.sections, sectionFunction); ok {
		r = reader{buf: s.body}
		n, err := r.u32()
		if err != nil || int(n) > len(r.buf) {
			return fmt.Errorf("%w: function count", ErrMalformed)
		}
		m.funcTypes = make([]uint32, n)
		for i := range m.funcTypes {
			if m.funcTypes[i], err = r.u32(); err != nil {
				return fmt.Errorf("%w: type of function %d: %v", ErrMalformed, i, err)
			}
		}
	}
	s, _ = find(m.sections, sectionImport)
	return m.countImports(s.body)
}

// countTypes reads the parameter count of every function type.
func (m *module) countTypes(body []byte) error {
	r := reader{buf: body}
	var err error
	if m.types, err = r.u32(); err != nil {
		return fmt.Errorf("%w: type count: %v", ErrMalformed, err)
	}
	if int(m.types) > len(r.buf) {
		return fmt.Errorf("%w: %d types in %d bytes", ErrMalformed, m.types, len(r.buf))
	}
	m.params = make([]uint32, m.types)
	for i := range m.params {
		if b, err := r.byte(); err != nil || b != funcTypePrefix {
			return fmt.Errorf("%w: type %d is not a function type", ErrMalformed, i)
		}
		for j := 0; j < 2; j++ { // parameters, then results
			n, err := r.u32()
			if err != nil {
				return fmt.Errorf("%w: type %d: %v", ErrMalformed, i, err)
			}
			if _, err := r.bytes(int(n)); err != nil {
				return fmt.Errorf("%w: type %d: %v", ErrMalformed, i, err)
			}
			if j == 0 {
				m.params[i] = n
			}
		}
	}
	return nil
}

func (m *module) countImports(body []byte) error {
	r := reader{buf: body}
	n, err := r.u32()
	if err != nil {
		return fmt.Errorf("%w: import count: %v", ErrMalformed, err)
	}
	for i := uint32(0); i < n; i++ {
		if err := r.name(); err != nil {
			return fmt.Errorf("%w: module name of import %d: %v", ErrMalformed, i, err)
		}
		if err := r.name(); err != nil {
			return fmt.Errorf("%w: field name of import %d: %v", ErrMalformed, i, err)
		}
		kind, err := r.byte()
		if err != nil {
			return fmt.Errorf("%w: kind of import %d: %v", ErrMalformed, i, err)
		}
		switch kind {
		case kindFunc:
			m.importedFuncs++
			_, err = r.u32()
		case kindTable:
			if _, err = r.byte(); err == nil {
				err = r.limits()
			}
		case kindMemory:
			err = r.limits()
		case kindGlobal:
			m.importedGlobals++
			_, err = r.bytes(2) // value type and mutability
		default:
			return fmt.Errorf("import %d has kind 0x%02x, which WebAssembly 2.0 does not define; build the plugin without later proposals", i, kind)
		}
		if err != nil {
			return fmt.Errorf("%w: import %d: %v", ErrMalformed, i, err)
		}
	}
	if r.pos != len(r.buf) {
		return fmt.Errorf("%w: %d bytes after the last import", ErrMalformed, len(r.buf)-r.pos)
	}
	return nil
}
