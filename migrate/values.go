package migrate

import (
	"bytes"
	"encoding/json"
	"strings"
	"unicode"
	"unicode/utf8"
)

// shortJSON returns raw JSON compacted and shortened to max runes, for a
// table cell.
func shortJSON(raw []byte, max int) string {
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return shortText(string(raw), max)
	}
	return shortText(buf.String(), max)
}

// shortText replaces control characters with spaces, so a value cannot
// break a table row, and cuts s to max runes with a trailing "…".
func shortText(s string, max int) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == utf8.RuneError {
			return ' '
		}
		return r
	}, s)
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	runes := []rune(s)
	return string(runes[:max-1]) + "…"
}
