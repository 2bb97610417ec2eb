package interrupt

import (
	"errors"
	"fmt"
)

var errEOF = errors.New("unexpected end of data")

// reader decodes the WebAssembly binary format with bounds checks on every
// read.
type reader struct {
	buf []byte
	pos int
}

func (r *reader) byte() (byte, error) {
	if r.pos >= len(r.buf) {
		return 0, errEOF
	}
	b := r.buf[r.pos]
	r.pos++
	return b, nil
}

func (r *reader) bytes(n int) ([]byte, error) {
	if n < 0 || n > len(r.buf)-r.pos {
		return nil, errEOF
	}
	b := r.buf[r.pos : r.pos+n]
	r.pos += n
	return b, nil
}

// uleb reads an unsigned LEB128 number of at most bits bits.
func (r *reader) uleb(bits uint) (uint64, error) {
	var v uint64
	for shift := uint(0); ; shift += 7 {
		if shift >= bits {
			return 0, fmt.Errorf("LEB128 number longer than %d bits", bits)
		}
		b, err := r.byte()
		if err != nil {
			return 0, err
		}
		v |= uint64(b&0x7f) << shift
		if b&0x80 == 0 {
			if bits < 64 && v>>bits != 0 {
				return 0, fmt.Errorf("LEB128 number does not fit in %d bits", bits)
			}
			return v, nil
		}
	}
}

// sleb reads a signed LEB128 number of at most bits bits. Only its length
// matters here, so the value is returned without range checks.
func (r *reader) sleb(bits uint) (int64, error) {
	var v int64
	var shift uint
	for {
		if shift >= bits+7 {
			return 0, fmt.Errorf("LEB128 number longer than %d bits", bits)
		}
		b, err := r.byte()
		if err != nil {
			return 0, err
		}
		v |= int64(b&0x7f) << shift
		shift += 7
		if b&0x80 == 0 {
			if shift < 64 && b&0x40 != 0 {
				v |= -1 << shift
			}
			return v, nil
		}
	}
}

func (r *reader) u32() (uint32, error) {
	v, err := r.uleb(35)
	if err == nil && v > 0xffffffff {
		return 0, errors.New("LEB128 number does not fit in 32 bits")
	}
	return uint32(v), err
}

func (r *reader) s33() (int64, error) { return r.sleb(33) }

// peekU32 reads a u32 without consuming it.
func (r *reader) peekU32() (uint32, error) {
	save := r.pos
	v, err := r.u32()
	r.pos = save
	return v, err
}

func (r *reader) skipU32(n int) error {
	for i := 0; i < n; i++ {
		if _, err := r.u32(); err != nil {
			return err
		}
	}
	return nil
}

// u32s reads a vector of u32 followed by extra more u32, as br_table's
// label list and default label.
func (r *reader) u32s(extra int) error {
	n, err := r.u32()
	if err != nil {
		return err
	}
	if int(n) > len(r.buf)-r.pos {
		return errEOF
	}
	return r.skipU32(int(n) + extra)
}

// name reads past a length-prefixed UTF-8 name.
func (r *reader) name() error {
	n, err := r.u32()
	if err != nil {
		return err
	}
	_, err = r.bytes(int(n))
	return err
}

// limits reads past table or memory limits: a flag byte, the minimum and,
// when bit 0 of the flag is set, the maximum.
func (r *reader) limits() error {
	flag, err := r.byte()
	if err != nil {
		return err
	}
	if _, err := r.uleb(64); err != nil {
		return err
	}
	if flag&1 != 0 {
		_, err = r.uleb(64)
	}
	return err
}

func appendU32(dst []byte, v uint32) []byte {
	for {
		b := byte(v & 0x7f)
		v >>= 7
		if v == 0 {
			return append(dst, b)
		}
		dst = append(dst, b|0x80)
	}
}

// appendS32 appends v as signed LEB128.
func appendS32(dst []byte, v int32) []byte {
	for {
		b := byte(v & 0x7f)
		v >>= 7
		if (v == 0 && b&0x40 == 0) || (v == -1 && b&0x40 != 0) {
			return append(dst, b)
		}
		dst = append(dst, b|0x80)
	}
}
