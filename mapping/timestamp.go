package mapping

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/tidwall/gjson"
)

// millisecondThreshold separates Unix seconds from Unix milliseconds:
// 10^11 seconds is the year 5138, while 10^11 milliseconds is 1973.
const millisecondThreshold = 1e11

// isoLayouts are the ISO 8601 forms accepted for timestamps, tried in order.
var isoLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999Z0700",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04Z07:00",
	"2006-01-02",
}

// unixSeconds converts an event timestamp to Unix seconds, rounded down.
// It accepts ISO 8601 strings with any offset (no offset means UTC), and
// numbers or digit strings: below 10^11 they are seconds, above that
// milliseconds. ok is false for anything else.
func unixSeconds(v gjson.Result) (int64, bool) {
	switch v.Type {
	case gjson.Number:
		return numberSeconds(v.Num)
	case gjson.String:
		s := strings.TrimSpace(v.Str)
		if s == "" {
			return 0, false
		}
		if isNumeric(s) {
			f, err := strconv.ParseFloat(s, 64)
			if err != nil {
				return 0, false
			}
			return numberSeconds(f)
		}
		for _, layout := range isoLayouts {
			if t, err := time.Parse(layout, s); err == nil {
				return t.Unix(), true
			}
		}
	}
	return 0, false
}

func numberSeconds(f float64) (int64, bool) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	if math.Abs(f) >= millisecondThreshold {
		f /= 1000
	}
	f = math.Floor(f)
	// Beyond this, the value is no date Intercom could store.
	if math.Abs(f) > 1e13 {
		return 0, false
	}
	return int64(f), true
}

// isNumeric reports whether s is an optionally signed decimal number.
func isNumeric(s string) bool {
	if s[0] == '-' || s[0] == '+' {
		s = s[1:]
	}
	if s == "" {
		return false
	}
	dot := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
		case c == '.' && !dot:
			dot = true
		default:
			return false
		}
	}
	return s != "."
}
