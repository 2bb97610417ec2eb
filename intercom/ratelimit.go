package intercom

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The rate-limit response headers. Intercom sends them on every
// authenticated response; names are matched case-insensitively.
const (
	HeaderRateLimitLimit     = "X-RateLimit-Limit"
	HeaderRateLimitRemaining = "X-RateLimit-Remaining"
	HeaderRateLimitReset     = "X-RateLimit-Reset"
)

// RateWindow is the length of Intercom's rate-limit windows: the per-minute
// budget is spread over fixed 10-second windows.
const RateWindow = 10 * time.Second

// maxHeaderCount bounds Limit and Remaining so arithmetic on them cannot
// overflow; Intercom's documented budgets are far below it.
const maxHeaderCount = 1_000_000_000

// RateLimit is the state reported by one response's rate-limit headers.
type RateLimit struct {
	// Limit is the number of requests allowed in the window (0 when the
	// header was absent).
	Limit int
	// Remaining is the number of requests left in the window.
	Remaining int
	// Reset is when the window refills, with second precision.
	Reset time.Time
}

// ParseRateLimit reads the three rate-limit headers from h. ok is false when
// Remaining or Reset is missing. err is non-nil when a present header is not
// a non-negative decimal integer, or when Reset is not a positive Unix time
// in seconds. Header names are matched case-insensitively, including keys of
// h that are not in canonical form.
func ParseRateLimit(h http.Header) (rl RateLimit, ok bool, err error) {
	limit, hasLimit, err := headerCount(h, HeaderRateLimitLimit)
	if err != nil {
		return RateLimit{}, false, err
	}
	remaining, hasRemaining, err := headerCount(h, HeaderRateLimitRemaining)
	if err != nil {
		return RateLimit{}, false, err
	}
	reset, hasReset, err := headerCount(h, HeaderRateLimitReset)
	if err != nil {
		return RateLimit{}, false, err
	}
	if hasReset && reset == 0 {
		return RateLimit{}, false, fmt.Errorf("invalid %s header %q: want a Unix time in seconds", HeaderRateLimitReset, "0")
	}
	if !hasRemaining || !hasReset {
		return RateLimit{}, false, nil
	}
	if !hasLimit {
		limit = 0
	}
	return RateLimit{Limit: int(limit), Remaining: int(remaining), Reset: time.Unix(reset, 0)}, true, nil
}

// headerCount parses a header holding a non-negative decimal integer. Reset
// values are Unix seconds and may exceed maxHeaderCount, so the bound only
// applies to Limit and Remaining.
func headerCount(h http.Header, name string) (int64, bool, error) {
	raw, found := headerValue(h, name)
	if !found {
		return 0, false, nil
	}
	value := strings.TrimSpace(raw)
	n, err := strconv.ParseInt(value, 10, 64)
	if err != nil || value[0] < '0' || value[0] > '9' {
		return 0, false, fmt.Errorf("invalid %s header %q: want a non-negative integer", name, truncate(raw, 40))
	}
	if name != HeaderRateLimitReset && n > maxHeaderCount {
		return 0, false, fmt.Errorf("invalid %s header %q: above %d", name, truncate(raw, 40), maxHeaderCount)
	}
	if name == HeaderRateLimitReset && n > 1<<40 {
		return 0, false, fmt.Errorf("invalid %s header %q: not a plausible Unix time in seconds", name, truncate(raw, 40))
	}
	return n, true, nil
}

func headerValue(h http.Header, name string) (string, bool) {
	if v, ok := h[http.CanonicalHeaderKey(name)]; ok && len(v) > 0 {
		return v[0], true
	}
	for k, v := range h {
		if strings.EqualFold(k, name) && len(v) > 0 {
			return v[0], true
		}
	}
	return "", false
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
