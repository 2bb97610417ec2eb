package intercom

import (
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// backoff returns the wait before retry number attempt (1 for the first
// retry): a random duration between half and all of
// min(RetryBaseDelay*2^(attempt-1), RetryMaxDelay), and at least the
// response's Retry-After seconds when that is given (capped at one minute).
func (c *Client) backoff(attempt int, header http.Header) time.Duration {
	ceiling := c.cfg.RetryBaseDelay
	for i := 1; i < attempt && ceiling < c.cfg.RetryMaxDelay; i++ {
		ceiling *= 2
	}
	ceiling = min(ceiling, c.cfg.RetryMaxDelay)
	delay := ceiling/2 + c.cfg.Jitter(ceiling/2+1)

	if after, ok := retryAfter(header); ok && after > delay {
		delay = min(after, maxRetryAfter)
	}
	return delay
}

// retryAfter parses a Retry-After header given in seconds. Intercom does not
// document the header; proxies in front of it may send one.
func retryAfter(header http.Header) (time.Duration, bool) {
	if header == nil {
		return 0, false
	}
	raw := strings.TrimSpace(header.Get("Retry-After"))
	if raw == "" {
		return 0, false
	}
	seconds, err := strconv.Atoi(raw)
	if err != nil || seconds < 0 {
		return 0, false
	}
	return time.Duration(min(seconds, int(maxRetryAfter/time.Second))) * time.Second, true
}

// randomJitter returns a pseudo-random duration in [0, max).
func randomJitter(max time.Duration) time.Duration {
	if max <= 0 {
		return 0
	}
	return time.Duration(rand.Int64N(int64(max)))
}
