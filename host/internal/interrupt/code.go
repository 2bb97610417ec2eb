package interrupt

import "fmt"

// loopPeriod is how many iterations of one loop, in one function
// activation, make one unit of fuel. A power of two, so the check is a
// mask.
const loopPeriod = 64

// bulkShift converts the byte or element count of a bulk memory or table
// instruction to fuel: one unit per KiB, plus one.
const bulkShift = 10

// checks holds the instruction sequences rewriteBody inserts.
type checks struct {
	fuel, yield, refill uint32
	// entry is the fuel check at the start of a function body.
	entry []byte
}

// loop appends the check at a loop head. It counts iterations in the
// local counter, a register, and spends a unit of fuel only every
// loopPeriod iterations:
//
//	local.get counter; i32.const 1; i32.add; local.tee counter
//	i32.const loopPeriod-1; i32.and; i32.eqz
//	if; <entry check>; end
func (c *checks) loop(dst []byte, counter uint32) []byte {
	dst = append(dst, opLocalGet)
	dst = appendU32(dst, counter)
	dst = append(dst, opI32Const, 1, opI32Add, opLocalTee)
	dst = appendU32(dst, counter)
	dst = append(dst, opI32Const)
	dst = appendS32(dst, loopPeriod-1)
	dst = append(dst, opI32And, opI32Eqz, opIf, blockTypeEmpty)
	dst = append(dst, c.entry...)
	return append(dst, opEnd)
}

// bulk appends the charge before a bulk memory or table instruction, whose
// count operand is on top of the stack and stays there:
//
//	local.tee size
//	global.get fuel; local.get size; i32.const bulkShift; i32.shr_u; i32.sub
//	i32.const 1; i32.sub; global.set fuel
//	global.get fuel; i32.const 1; i32.lt_s
//	if; call yield; i32.const refill; global.set fuel; end
//
// A large count can take the fuel below zero. The refill then restores it,
// so the entry and loop checks, which test for exactly zero, stay
// correct.
func (c *checks) bulk(dst []byte, size uint32) []byte {
	dst = append(dst, opLocalTee)
	dst = appendU32(dst, size)
	dst = append(dst, opGlobalGet)
	dst = appendU32(dst, c.fuel)
	dst = append(dst, opLocalGet)
	dst = appendU32(dst, size)
	dst = append(dst, opI32Const, bulkShift, opI32ShrU, opI32Sub, opI32Const, 1, opI32Sub, opGlobalSet)
	dst = appendU32(dst, c.fuel)
	dst = append(dst, opGlobalGet)
	dst = appendU32(dst, c.fuel)
	dst = append(dst, opI32Const, 1, opI32LtS, opIf, blockTypeEmpty, opCall)
	dst = appendU32(dst, c.yield)
	dst = append(dst, opI32Const)
	dst = appendS32(dst, int32(c.refill))
	dst = append(dst, opGlobalSet)
	dst = appendU32(dst, c.fuel)
	return append(dst, opEnd)
}

// bulkInstruction reports whether the 0xfc sub-opcode sub is a bulk
// memory or table instruction whose cost grows with its count operand:
// memory.init, memory.copy, memory.fill, table.init, table.copy,
// table.grow and table.fill.
func bulkInstruction(sub uint32) bool {
	switch sub {
	case 8, 10, 11, 12, 14, 15, 17:
		return true
	}
	return false
}

// rewriteCode rewrites the code section: every function body gets two
// extra i32 locals, the checks and the charges, and its function indices
// shifted.
func (m *module) rewriteCode(section []byte, c *checks) ([]byte, int, error) {
	r := reader{buf: section}
	n, err := r.u32()
	if err != nil {
		return nil, 0, fmt.Errorf("%w: function body count: %v", ErrMalformed, err)
	}
	if int(n) != len(m.funcTypes) {
		return nil, 0, fmt.Errorf("%w: %d function bodies for %d functions", ErrMalformed, n, len(m.funcTypes))
	}
	out := appendU32(make([]byte, 0, len(section)+len(section)/2), n)
	total := 0
	var body []byte
	for i := uint32(0); i < n; i++ {
		size, err := r.u32()
		if err != nil {
			return nil, 0, fmt.Errorf("%w: size of function body %d: %v", ErrMalformed, i, err)
		}
		src, err := r.bytes(int(size))
		if err != nil {
			return nil, 0, fmt.Errorf("%w: function body %d claims %d bytes past the end of the code section", ErrMalformed, i, size)
		}
		t := m.funcTypes[i]
		if t >= uint32(len(m.params)) {
			return nil, 0, fmt.Errorf("%w: function %d has type %d, but the module has %d types", ErrMalformed, i, t, len(m.params))
		}
		var added int
		body, added, err = m.rewriteBody(body[:0], src, m.params[t], c)
		if err != nil {
			return nil, 0, fmt.Errorf("function body %d: %w", i, err)
		}
		total += added
		out = appendU32(out, uint32(len(body)))
		out = append(out, body...)
	}
	if r.pos != len(r.buf) {
		return nil, 0, fmt.Errorf("%w: %d bytes after the last function body", ErrMalformed, len(r.buf)-r.pos)
	}
	return out, total, nil
}

// maxLocals bounds the locals of one function, parameters included, so
// that the two added locals have valid indices.
const maxLocals = 1 << 20

// rewriteBody appends the rewritten function body src to dst; params is
// the function's parameter count. It tracks block nesting and requires
// the body to end with the end of its outermost block at its last byte,
// so that a mistake in decoding cannot go unnoticed and leave a loop
// unchecked.
func (m *module) rewriteBody(dst, src []byte, params uint32, c *checks) ([]byte, int, error) {
	r := reader{buf: src}
	groups, err := r.u32()
	if err != nil {
		return nil, 0, fmt.Errorf("%w: local declaration count: %v", ErrMalformed, err)
	}
	declStart := r.pos
	locals := uint64(params)
	for g := uint32(0); g < groups; g++ {
		n, err := r.u32()
		if err != nil {
			return nil, 0, fmt.Errorf("%w: local declaration %d: %v", ErrMalformed, g, err)
		}
		t, err := r.byte()
		if err != nil {
			return nil, 0, fmt.Errorf("%w: type of local declaration %d: %v", ErrMalformed, g, err)
		}
		if !valType(t) {
			return nil, 0, fmt.Errorf("local declaration %d has type 0x%02x, which WebAssembly 2.0 does not define", g, t)
		}
		if locals += uint64(n); locals > maxLocals {
			return nil, 0, fmt.Errorf("the function declares more than %d locals", maxLocals)
		}
	}
	counter, size := uint32(locals), uint32(locals)+1

	dst = appendU32(dst, groups+1)
	dst = append(dst, src[declStart:r.pos]...)
	dst = append(dst, 2, valTypeI32)
	dst = append(dst, c.entry...)
	inserted := 1
	copied := r.pos
	depth := 1 // the function body is a block

	for r.pos < len(r.buf) {
		if depth == 0 {
			return nil, 0, fmt.Errorf("%w: instructions after the end of the function at byte %d", ErrMalformed, r.pos)
		}
		at := r.pos
		op, _ := r.byte()
		switch op {
		case 0x02, 0x03, 0x04: // block, loop, if
			if err := r.blockType(); err != nil {
				return nil, 0, fmt.Errorf("block type at byte %d: %w", at, err)
			}
			depth++
			if op == 0x03 {
				dst = append(dst, src[copied:r.pos]...)
				dst = c.loop(dst, counter)
				inserted++
				copied = r.pos
			}
		case opEnd:
			depth--
		case opCall, opRefFunc:
			idx, err := r.u32()
			if err != nil {
				return nil, 0, fmt.Errorf("%w: function index at byte %d: %v", ErrMalformed, at, err)
			}
			dst = append(dst, src[copied:at+1]...)
			dst = appendU32(dst, m.shift(idx))
			copied = r.pos
		case opGlobalGet, opGlobalSet:
			idx, err := r.u32()
			if err != nil {
				return nil, 0, fmt.Errorf("%w: global index at byte %d: %v", ErrMalformed, at, err)
			}
			if idx >= c.fuel {
				return nil, 0, fmt.Errorf("the instruction at byte %d refers to global %d, but the module has only %d globals", at, idx, c.fuel)
			}
		case opLocalGet, opLocalSet, opLocalTee:
			idx, err := r.u32()
			if err != nil {
				return nil, 0, fmt.Errorf("%w: local index at byte %d: %v", ErrMalformed, at, err)
			}
			if uint64(idx) >= locals {
				return nil, 0, fmt.Errorf("the instruction at byte %d refers to local %d, but the function has only %d locals", at, idx, locals)
			}
		case 0xfc:
			sub, err := r.peekU32()
			if err != nil {
				return nil, 0, fmt.Errorf("%w: sub-opcode at byte %d: %v", ErrMalformed, at, err)
			}
			if bulkInstruction(sub) {
				dst = append(dst, src[copied:at]...)
				dst = c.bulk(dst, size)
				inserted++
				copied = at
			}
			if err := r.skipMisc(); err != nil {
				return nil, 0, fmt.Errorf("%w: instruction at byte %d: %v", ErrMalformed, at, err)
			}
		default:
			if err := r.skipImmediates(op); err != nil {
				return nil, 0, fmt.Errorf("instruction at byte %d: %w", at, err)
			}
		}
	}
	if depth != 0 {
		return nil, 0, fmt.Errorf("%w: the function body ends inside %d open blocks", ErrMalformed, depth)
	}
	dst = append(dst, src[copied:]...)
	return dst, inserted, nil
}

// skipImmediates reads past the immediates of the instruction op. It
// handles the instructions of WebAssembly Core 2.0 that rewriteBody does
// not handle itself.
func (r *reader) skipImmediates(op byte) error {
	var err error
	switch {
	case op == 0x00 || op == 0x01 || op == 0x05 || op == 0x0f || op == 0x1a || op == 0x1b || op == 0xd1:
		// unreachable, nop, else, return, drop, select, ref.is_null
	case op >= 0x45 && op <= 0xc4:
		// numeric instructions, sign extension included
	case op == 0x0c || op == 0x0d || op == 0x25 || op == 0x26:
		// br, br_if, table.get, table.set
		_, err = r.u32()
	case op == 0x0e: // br_table
		err = r.u32s(1)
	case op == 0x11: // call_indirect: type index, table index
		err = r.skipU32(2)
	case op == 0x1c: // select with value types
		var n uint32
		if n, err = r.u32(); err == nil {
			var types []byte
			if types, err = r.bytes(int(n)); err == nil {
				for _, t := range types {
					if !valType(t) {
						return fmt.Errorf("select names type 0x%02x, which WebAssembly 2.0 does not define", t)
					}
				}
			}
		}
	case op >= 0x28 && op <= 0x3e: // loads and stores: alignment, offset
		err = r.skipU32(2)
	case op == 0x3f || op == 0x40: // memory.size, memory.grow: memory index
		_, err = r.u32()
	case op == 0x41:
		_, err = r.sleb(32)
	case op == 0x42:
		_, err = r.sleb(64)
	case op == 0x43:
		_, err = r.bytes(4)
	case op == 0x44:
		_, err = r.bytes(8)
	case op == 0xd0: // ref.null
		var t byte
		if t, err = r.byte(); err == nil && t != 0x70 && t != 0x6f {
			return fmt.Errorf("ref.null names type 0x%02x, which WebAssembly 2.0 does not define", t)
		}
	case op == 0xfd:
		err = r.skipVector()
	default:
		return fmt.Errorf("opcode 0x%02x is not part of WebAssembly 2.0, which is all the interrupt instrumentation accepts; build the plugin without later proposals", op)
	}
	if err != nil {
		return fmt.Errorf("%w: immediates of opcode 0x%02x: %v", ErrMalformed, op, err)
	}
	return nil
}

// skipMisc reads past a 0xfc-prefixed instruction: saturating conversions,
// bulk memory and table instructions.
func (r *reader) skipMisc() error {
	sub, err := r.u32()
	if err != nil {
		return err
	}
	switch {
	case sub <= 7: // trunc_sat
		return nil
	case sub == 8 || sub == 10 || sub == 12 || sub == 14:
		// memory.init, memory.copy, table.init, table.copy
		return r.skipU32(2)
	case sub == 9 || sub == 11 || sub == 13 || (sub >= 15 && sub <= 17):
		// data.drop, memory.fill, elem.drop, table.grow, table.size, table.fill
		return r.skipU32(1)
	}
	return fmt.Errorf("0xfc sub-opcode %d is not part of WebAssembly 2.0", sub)
}

// skipVector reads past a 0xfd-prefixed SIMD instruction.
func (r *reader) skipVector() error {
	sub, err := r.u32()
	if err != nil {
		return err
	}
	switch {
	case sub <= 11 || sub == 92 || sub == 93:
		// loads, stores, load32_zero, load64_zero: memory argument
		return r.skipU32(2)
	case sub == 12 || sub == 13: // v128.const, i8x16.shuffle
		_, err = r.bytes(16)
	case sub >= 21 && sub <= 34: // extract_lane, replace_lane
		_, err = r.byte()
	case sub >= 84 && sub <= 91: // load_lane, store_lane: memory argument, lane
		if err = r.skipU32(2); err == nil {
			_, err = r.byte()
		}
	case sub <= 255:
	default:
		return fmt.Errorf("0xfd sub-opcode %d is not part of WebAssembly 2.0", sub)
	}
	return err
}

// blockType reads a block type: empty, one value type, or a type index.
func (r *reader) blockType() error {
	if r.pos >= len(r.buf) {
		return errEOF
	}
	if b := r.buf[r.pos]; b == blockTypeEmpty || valType(b) {
		r.pos++
		return nil
	}
	idx, err := r.s33()
	if err != nil {
		return err
	}
	if idx < 0 {
		return fmt.Errorf("block type %d is not part of WebAssembly 2.0", idx)
	}
	return nil
}

// valType reports whether t is a value type of WebAssembly 2.0: i32, i64,
// f32, f64, v128, funcref or externref.
func valType(t byte) bool {
	return (t >= 0x7b && t <= 0x7f) || t == 0x70 || t == 0x6f
}
