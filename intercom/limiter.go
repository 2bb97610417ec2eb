package intercom

import (
	"crypto/sha256"
	"encoding/hex"
	"sync"
	"time"
)

// defaultSpacing paces queued requests when Intercom has not reported a limit.
const defaultSpacing = 100 * time.Millisecond

// maxResetAhead bounds how far in the future a reported reset is believed.
// A larger value means clock skew or a bogus header; the wait is capped at
// one window instead.
const maxResetAhead = 2 * RateWindow

// RateLimiter paces the requests of one access token (and API root) across
// Intercom's fixed 10-second windows. All Clients of the same token and API
// root in a process share one RateLimiter unless Config.RateLimiter is set.
//
// While the window has requests left, a request goes at once and the local
// count drops by one. When the count reaches 0, requests queue for the next
// window: the first starts at the reset time, each later one a further
// window/limit later, plus a random jitter below that spacing. This spreads
// concurrent callers over the new window instead of releasing them all at
// the reset instant. Every response's headers correct the local state.
// A RateLimiter is safe for concurrent use.
//
// NOTE: until the first response reports the window, requests are not
// paced, so a cold start with many concurrent callers may draw 429s, which
// are then retried at the reported reset.
type RateLimiter struct {
	mu sync.Mutex
	// limit is the last reported X-RateLimit-Limit; 0 when unknown.
	limit int
	// remaining is the local estimate of requests left before reset.
	remaining int
	// reset is the end of the current window; zero when unknown.
	reset time.Time
	// next is the earliest start of the next queued request. Requests queue
	// while next is in the future.
	next time.Time
}

// NewRateLimiter returns an empty RateLimiter that lets requests through
// until a response reports the window's state.
func NewRateLimiter() *RateLimiter { return &RateLimiter{} }

// RateLimiterState is a snapshot of a RateLimiter.
type RateLimiterState struct {
	Limit     int
	Remaining int
	Reset     time.Time
	// QueuedUntil is when the last queued request may start (zero when no
	// request is queued).
	QueuedUntil time.Time
}

// State returns a snapshot of the limiter.
func (l *RateLimiter) State() RateLimiterState {
	l.mu.Lock()
	defer l.mu.Unlock()
	return RateLimiterState{Limit: l.limit, Remaining: l.remaining, Reset: l.reset, QueuedUntil: l.next}
}

// spacing is the gap between queued requests: one window divided by the limit.
func (l *RateLimiter) spacing() time.Duration {
	if l.limit <= 0 {
		return defaultSpacing
	}
	return RateWindow / time.Duration(l.limit)
}

// Reserve takes a slot and returns how long the caller must wait before
// sending. jitter returns a random duration in [0, max); nil means none.
func (l *RateLimiter) Reserve(now time.Time, jitter func(max time.Duration) time.Duration) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()

	l.rollWindow(now)
	if now.Before(l.next) {
		return l.queue(l.next, now, jitter)
	}
	if l.reset.IsZero() || l.remaining > 0 {
		if l.remaining > 0 {
			l.remaining--
		}
		return 0
	}
	return l.queue(l.reset, now, jitter)
}

// queue books the slot starting at the later of start and the queue's end.
func (l *RateLimiter) queue(start, now time.Time, jitter func(time.Duration) time.Duration) time.Duration {
	if l.next.After(start) {
		start = l.next
	}
	spacing := l.spacing()
	l.next = start.Add(spacing)
	wait := start.Sub(now)
	if jitter != nil {
		wait += jitter(spacing)
	}
	return wait
}

// rollWindow starts a new window estimate once the known one has ended:
// Intercom's windows are fixed 10-second intervals, so the next reset is a
// whole number of windows later and the budget is the last known limit.
func (l *RateLimiter) rollWindow(now time.Time) {
	if l.reset.IsZero() || now.Before(l.reset) {
		return
	}
	if l.limit <= 0 {
		l.reset = time.Time{}
		l.remaining = 0
		return
	}
	elapsed := now.Sub(l.reset)
	l.reset = l.reset.Add((elapsed/RateWindow + 1) * RateWindow)
	l.remaining = l.limit
}

// Observe applies one response's rate-limit headers. A report for a later
// window replaces the state. A report for the current window can only lower
// the remaining count, because responses of concurrent requests arrive out
// of order. A report for an earlier window is ignored.
func (l *RateLimiter) Observe(rl RateLimit, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.observeLocked(rl, now)
}

func (l *RateLimiter) observeLocked(rl RateLimit, now time.Time) {
	reset := rl.Reset
	if limit := now.Add(maxResetAhead); reset.After(limit) {
		reset = now.Add(RateWindow)
	}
	if rl.Limit > 0 {
		l.limit = rl.Limit
	}
	switch {
	case l.reset.IsZero() || reset.After(l.reset):
		l.reset = reset
		l.remaining = rl.Remaining
	case reset.Equal(l.reset):
		l.remaining = min(l.remaining, rl.Remaining)
	}
}

// Exhausted records a 429 response: the window has no requests left until
// rl.Reset, or for one window from now when the headers were missing.
func (l *RateLimiter) Exhausted(rl RateLimit, ok bool, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !ok {
		rl = RateLimit{Reset: now.Add(RateWindow)}
	}
	rl.Remaining = 0
	l.observeLocked(rl, now)
	if !l.reset.After(now) {
		// A 429 whose reset has already passed still means "slow down".
		l.reset = now.Add(time.Second)
	}
	l.remaining = 0
}

// limiterRegistry holds the process-wide RateLimiter of each token and API
// root, keyed by a SHA-256 hash so the token itself is not kept as a key.
var limiterRegistry = struct {
	sync.Mutex
	byKey map[string]*RateLimiter
}{byKey: map[string]*RateLimiter{}}

// sharedRateLimiter returns the RateLimiter shared by every Client of token
// and baseURL in this process.
func sharedRateLimiter(baseURL, token string) *RateLimiter {
	sum := sha256.Sum256([]byte(baseURL + "\x00" + token))
	key := hex.EncodeToString(sum[:])
	limiterRegistry.Lock()
	defer limiterRegistry.Unlock()
	l, ok := limiterRegistry.byKey[key]
	if !ok {
		l = NewRateLimiter()
		limiterRegistry.byKey[key] = l
	}
	return l
}
