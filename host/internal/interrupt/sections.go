package interrupt

import "fmt"

// rewriteTypes appends the type () -> () of the yield import.
func (m *module) rewriteTypes(body []byte) ([]byte, error) {
	r := reader{buf: body}
	n, _ := r.u32() // read once already by count
	out := appendU32(nil, n+1)
	out = append(out, body[r.pos:]...)
	return append(out, funcTypePrefix, 0, 0), nil
}

// rewriteImports appends the yield import. count has checked the section.
func (m *module) rewriteImports(body []byte) ([]byte, error) {
	r := reader{buf: body}
	n, _ := r.u32()
	out := appendU32(nil, n+1)
	out = append(out, body[r.pos:]...)
	out = appendName(out, ImportModule)
	out = appendName(out, ImportName)
	out = append(out, kindFunc)
	return appendU32(out, m.types), nil
}

// rewriteGlobals rewrites function indices in the initialisers and appends
// the fuel global, a mutable i32 that starts at fuel.
func (m *module) rewriteGlobals(body []byte, fuel uint32) ([]byte, error) {
	r := reader{buf: body}
	n, _ := r.u32()
	out := appendU32(nil, n+1)
	for i := uint32(0); i < n; i++ {
		header, err := r.bytes(2) // value type and mutability
		if err != nil {
			return nil, fmt.Errorf("%w: type of global %d: %v", ErrMalformed, i, err)
		}
		out = append(out, header...)
		if out, err = m.rewriteConstExpr(out, &r); err != nil {
			return nil, fmt.Errorf("initialiser of global %d: %w", i, err)
		}
	}
	if r.pos != len(r.buf) {
		return nil, fmt.Errorf("%w: %d bytes after the last global", ErrMalformed, len(r.buf)-r.pos)
	}
	out = append(out, valTypeI32, globalMutable, opI32Const)
	out = appendS32(out, int32(fuel))
	return append(out, opEnd), nil
}

// rewriteExports shifts exported function indices and appends the fuel
// export.
func (m *module) rewriteExports(body []byte, fuelGlobal uint32) ([]byte, error) {
	r := reader{buf: body}
	n, err := r.u32()
	if err != nil {
		return nil, fmt.Errorf("%w: export count: %v", ErrMalformed, err)
	}
	out := appendU32(nil, n+1)
	for i := uint32(0); i < n; i++ {
		size, err := r.u32()
		if err != nil {
			return nil, fmt.Errorf("%w: name of export %d: %v", ErrMalformed, i, err)
		}
		name, err := r.bytes(int(size))
		if err != nil {
			return nil, fmt.Errorf("%w: name of export %d: %v", ErrMalformed, i, err)
		}
		if string(name) == FuelExport {
			return nil, fmt.Errorf("the module already exports %q, a name reserved for the host; rename that export", FuelExport)
		}
		kind, err := r.byte()
		if err != nil {
			return nil, fmt.Errorf("%w: kind of export %d: %v", ErrMalformed, i, err)
		}
		idx, err := r.u32()
		if err != nil {
			return nil, fmt.Errorf("%w: index of export %d: %v", ErrMalformed, i, err)
		}
		if kind == kindFunc {
			idx = m.shift(idx)
		}
		out = appendU32(out, size)
		out = append(out, name...)
		out = append(out, kind)
		out = appendU32(out, idx)
	}
	if r.pos != len(r.buf) {
		return nil, fmt.Errorf("%w: %d bytes after the last export", ErrMalformed, len(r.buf)-r.pos)
	}
	out = appendName(out, FuelExport)
	out = append(out, kindGlobal)
	return appendU32(out, fuelGlobal), nil
}

func (m *module) rewriteStart(body []byte) ([]byte, error) {
	r := reader{buf: body}
	idx, err := r.u32()
	if err != nil || r.pos != len(r.buf) {
		return nil, fmt.Errorf("%w: start section is not one function index", ErrMalformed)
	}
	return appendU32(nil, m.shift(idx)), nil
}

// rewriteElements shifts the function indices of element segments, in all
// eight encodings of WebAssembly 2.0.
func (m *module) rewriteElements(body []byte) ([]byte, error) {
	r := reader{buf: body}
	n, err := r.u32()
	if err != nil {
		return nil, fmt.Errorf("%w: element segment count: %v", ErrMalformed, err)
	}
	out := appendU32(nil, n)
	for i := uint32(0); i < n; i++ {
		if out, err = m.rewriteElement(out, &r); err != nil {
			return nil, fmt.Errorf("element segment %d: %w", i, err)
		}
	}
	if r.pos != len(r.buf) {
		return nil, fmt.Errorf("%w: %d bytes after the last element segment", ErrMalformed, len(r.buf)-r.pos)
	}
	return out, nil
}

func (m *module) rewriteElement(out []byte, r *reader) ([]byte, error) {
	flags, err := r.u32()
	if err != nil {
		return nil, fmt.Errorf("%w: flags: %v", ErrMalformed, err)
	}
	if flags > 7 {
		return nil, fmt.Errorf("%w: flags %d", ErrMalformed, flags)
	}
	out = appendU32(out, flags)

	// Bit 0: passive or declarative; bit 1: explicit table index (active)
	// or declarative (passive); bit 2: expressions instead of indices.
	active := flags&1 == 0
	if active && flags&2 != 0 {
		idx, err := r.u32()
		if err != nil {
			return nil, fmt.Errorf("%w: table index: %v", ErrMalformed, err)
		}
		out = appendU32(out, idx)
	}
	if active {
		if out, err = m.rewriteConstExpr(out, r); err != nil {
			return nil, fmt.Errorf("offset: %w", err)
		}
	}

	if flags&3 != 0 { // element kind or reference type
		b, err := r.byte()
		if err != nil {
			return nil, fmt.Errorf("%w: element type: %v", ErrMalformed, err)
		}
		out = append(out, b)
	}

	count, err := r.u32()
	if err != nil {
		return nil, fmt.Errorf("%w: element count: %v", ErrMalformed, err)
	}
	if int(count) > len(r.buf)-r.pos {
		return nil, fmt.Errorf("%w: %d elements in %d bytes", ErrMalformed, count, len(r.buf)-r.pos)
	}
	out = appendU32(out, count)
	for j := uint32(0); j < count; j++ {
		if flags&4 != 0 {
			if out, err = m.rewriteConstExpr(out, r); err != nil {
				return nil, fmt.Errorf("element %d: %w", j, err)
			}
			continue
		}
		idx, err := r.u32()
		if err != nil {
			return nil, fmt.Errorf("%w: function index of element %d: %v", ErrMalformed, j, err)
		}
		out = appendU32(out, m.shift(idx))
	}
	return out, nil
}

// rewriteConstExpr copies a constant expression up to and including its
// end, shifting ref.func indices.
func (m *module) rewriteConstExpr(out []byte, r *reader) ([]byte, error) {
	for {
		start := r.pos
		op, err := r.byte()
		if err != nil {
			return nil, fmt.Errorf("%w: constant expression without end", ErrMalformed)
		}
		switch op {
		case opEnd:
			return append(out, op), nil
		case opRefFunc:
			idx, err := r.u32()
			if err != nil {
				return nil, fmt.Errorf("%w: ref.func index: %v", ErrMalformed, err)
			}
			out = append(out, op)
			out = appendU32(out, m.shift(idx))
			continue
		case opI32Const:
			_, err = r.sleb(32)
		case 0x42: // i64.const
			_, err = r.sleb(64)
		case 0x43: // f32.const
			_, err = r.bytes(4)
		case 0x44: // f64.const
			_, err = r.bytes(8)
		case opGlobalGet:
			_, err = r.u32()
		case 0xd0: // ref.null
			_, err = r.byte()
		case 0x6a, 0x6b, 0x6c, 0x7c, 0x7d, 0x7e: // extended constant arithmetic
		case 0xfd: // v128.const
			var sub uint32
			if sub, err = r.u32(); err == nil && sub != 12 {
				return nil, fmt.Errorf("%w: SIMD instruction %d in a constant expression", ErrMalformed, sub)
			}
			if err == nil {
				_, err = r.bytes(16)
			}
		default:
			return nil, fmt.Errorf("%w: opcode 0x%02x in a constant expression", ErrMalformed, op)
		}
		if err != nil {
			return nil, fmt.Errorf("%w: immediate of opcode 0x%02x in a constant expression: %v", ErrMalformed, op, err)
		}
		out = append(out, r.buf[start:r.pos]...)
	}
}

// rewriteCustom shifts the function indices in the function, local and
// label names of a name section. It returns other custom sections
// unchanged and nil for a name section it cannot parse, which is then
// dropped: names are optional and only serve stack traces.
func (m *module) rewriteCustom(body []byte) []byte {
	r := reader{buf: body}
	size, err := r.u32()
	if err != nil {
		return nil
	}
	name, err := r.bytes(int(size))
	if err != nil {
		return nil
	}
	if string(name) != nameSectionName {
		return body
	}
	out := append([]byte(nil), body[:r.pos]...)
	for r.pos < len(r.buf) {
		id, err := r.byte()
		if err != nil {
			return nil
		}
		n, err := r.u32()
		if err != nil {
			return nil
		}
		sub, err := r.bytes(int(n))
		if err != nil {
			return nil
		}
		switch id {
		case 1: // function names: a name map keyed by function index
			sub = m.shiftNameMap(sub, false)
		case 2, 3: // local and label names: maps keyed by function index
			sub = m.shiftNameMap(sub, true)
		}
		if sub == nil {
			return nil
		}
		out = append(out, id)
		out = appendU32(out, uint32(len(sub)))
		out = append(out, sub...)
	}
	return out
}

// shiftNameMap shifts the function indices that key a name map or, when
// indirect, a map of name maps. It returns nil if sub is malformed.
func (m *module) shiftNameMap(sub []byte, indirect bool) []byte {
	r := reader{buf: sub}
	n, err := r.u32()
	if err != nil {
		return nil
	}
	out := appendU32(nil, n)
	for i := uint32(0); i < n; i++ {
		idx, err := r.u32()
		if err != nil {
			return nil
		}
		out = appendU32(out, m.shift(idx))
		start := r.pos
		if indirect {
			inner, err := r.u32()
			if err != nil {
				return nil
			}
			for j := uint32(0); j < inner; j++ {
				if _, err := r.u32(); err != nil {
					return nil
				}
				if err := r.name(); err != nil {
					return nil
				}
			}
		} else if err := r.name(); err != nil {
			return nil
		}
		out = append(out, sub[start:r.pos]...)
	}
	if r.pos != len(r.buf) {
		return nil
	}
	return out
}

func appendName(dst []byte, s string) []byte {
	dst = appendU32(dst, uint32(len(s)))
	return append(dst, s...)
}
