package sim

import (
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// rateWindow is the length of Intercom's fixed rate-limit windows.
const rateWindow = 10 * time.Second

// maxTrackedTokens bounds the per-window token counters; past it, new
// tokens share one counter.
const maxTrackedTokens = 10_000

// rateWindows counts requests per token and for the workspace in fixed
// 10-second windows aligned to multiples of 10 seconds since the Unix epoch.
type rateWindows struct {
	mu        sync.Mutex
	start     int64
	perToken  map[string]int
	workspace int
}

func newRateWindows() *rateWindows { return &rateWindows{perToken: map[string]int{}} }

// take counts one request and returns the header values and whether the
// request is within both limits.
func (rw *rateWindows) take(token string, now time.Time, tokenLimit, workspaceLimit int) (remaining int, reset int64, ok bool) {
	rw.mu.Lock()
	defer rw.mu.Unlock()
	start := now.Unix() - mod(now.Unix(), int64(rateWindow/time.Second))
	if start != rw.start {
		rw.start = start
		rw.perToken = map[string]int{}
		rw.workspace = 0
	}
	if _, tracked := rw.perToken[token]; !tracked && len(rw.perToken) >= maxTrackedTokens {
		token = "\x00overflow"
	}
	rw.perToken[token]++
	rw.workspace++
	used := rw.perToken[token]
	remaining = max(0, min(tokenLimit-used, workspaceLimit-rw.workspace))
	reset = start + int64(rateWindow/time.Second)
	return remaining, reset, used <= tokenLimit && rw.workspace <= workspaceLimit
}

func mod(a, b int64) int64 {
	m := a % b
	if m < 0 {
		m += b
	}
	return m
}

// applyRateLimit counts the request, sets the three rate-limit headers and
// returns the 429 to send when a limit is exceeded. The header names are
// sent in lowercase, as Intercom does.
func (s *Server) applyRateLimit(w http.ResponseWriter, token string) *apiError {
	remaining, reset, ok := s.limits.take(token, s.now(), s.opts.TokenRateLimit, s.opts.WorkspaceRateLimit)
	setRateHeaders(w.Header(), s.opts.TokenRateLimit, remaining, reset)
	if ok {
		return nil
	}
	return rateLimitError(s.opts.TokenRateLimit)
}

func setRateHeaders(h http.Header, limit, remaining int, reset int64) {
	h["x-ratelimit-limit"] = []string{strconv.Itoa(limit)}
	h["x-ratelimit-remaining"] = []string{strconv.Itoa(remaining)}
	h["x-ratelimit-reset"] = []string{strconv.FormatInt(reset, 10)}
}

func rateLimitError(limit int) *apiError {
	return &apiError{status: http.StatusTooManyRequests, code: "rate_limit_exceeded",
		message: fmt.Sprintf("Exceeded rate limit of %d in 10_seconds", limit)}
}
