package mapping

import (
	"strconv"
	"unicode/utf8"
)

// jsonWriter appends a JSON document to a byte slice. It writes object keys
// from event data as escaped strings and never interprets them, which is why
// the mapping builds its output with it rather than with sjson paths: sjson
// reads '.', '*', '?', '#', '|', '@', '\' and an empty key as path syntax.
//
// The writer tracks only whether a comma is due. Callers pair every open
// call with its close call.
type jsonWriter struct {
	buf []byte
	// comma is true when the next value or key in the current container
	// needs a leading comma.
	comma bool
}

func (w *jsonWriter) sep() {
	if w.comma {
		w.buf = append(w.buf, ',')
	}
	w.comma = true
}

func (w *jsonWriter) openObject() {
	w.sep()
	w.buf = append(w.buf, '{')
	w.comma = false
}

func (w *jsonWriter) closeObject() {
	w.buf = append(w.buf, '}')
	w.comma = true
}

func (w *jsonWriter) openArray() {
	w.sep()
	w.buf = append(w.buf, '[')
	w.comma = false
}

func (w *jsonWriter) closeArray() {
	w.buf = append(w.buf, ']')
	w.comma = true
}

// key writes an object key and its colon. The next write is the value.
func (w *jsonWriter) key(k string) {
	w.sep()
	w.buf = appendQuoted(w.buf, k)
	w.buf = append(w.buf, ':')
	w.comma = false
}

func (w *jsonWriter) str(s string) {
	w.sep()
	w.buf = appendQuoted(w.buf, s)
}

func (w *jsonWriter) int(n int64) {
	w.sep()
	w.buf = strconv.AppendInt(w.buf, n, 10)
}

func (w *jsonWriter) bool(b bool) {
	w.sep()
	w.buf = strconv.AppendBool(w.buf, b)
}

func (w *jsonWriter) null() {
	w.sep()
	w.buf = append(w.buf, "null"...)
}

// raw writes an already valid JSON value, such as a gjson Result.Raw taken
// from validated input.
func (w *jsonWriter) raw(v string) {
	w.sep()
	w.buf = append(w.buf, v...)
}

// Typed key-value helpers keep the call sites short.
func (w *jsonWriter) strField(k, v string)       { w.key(k); w.str(v) }
func (w *jsonWriter) intField(k string, v int64) { w.key(k); w.int(v) }
func (w *jsonWriter) rawField(k, v string)       { w.key(k); w.raw(v) }

const hexDigits = "0123456789abcdef"

// appendQuoted appends s as a JSON string. Invalid UTF-8 bytes become U+FFFD
// so the output is always valid JSON; validated input never contains them.
func appendQuoted(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, "\ufffd"...)
			i++
			start = i
			continue
		}
		// U+2028 and U+2029 are valid JSON but break JavaScript consumers.
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
