package host

import (
	"log/slog"
	"sync"
	"time"
)

// Bounds on what a guest can put into the log.
const (
	// maxGuestLine is the longest line kept; the rest of a longer line is
	// dropped and the record is marked truncated.
	maxGuestLine = 1024
	// guestLineBurst and guestLinesPerSecond size the token bucket shared
	// by all instances of a plugin. A Go panic trace is 20 to 40 lines, so
	// one trace fits in the burst.
	guestLineBurst      = 64
	guestLinesPerSecond = 16
)

// lineLimiter is a token bucket for guest log lines that counts what it
// drops.
type lineLimiter struct {
	mu      sync.Mutex
	tokens  float64
	last    time.Time
	dropped int
}

func newLineLimiter() *lineLimiter {
	return &lineLimiter{tokens: guestLineBurst, last: time.Now()}
}

// allow takes a token. It returns whether the line may be logged and how
// many lines were dropped since the last allowed one.
func (l *lineLimiter) allow() (bool, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	l.tokens += now.Sub(l.last).Seconds() * guestLinesPerSecond
	if l.tokens > guestLineBurst {
		l.tokens = guestLineBurst
	}
	l.last = now
	if l.tokens < 1 {
		l.dropped++
		return false, 0
	}
	l.tokens--
	dropped := l.dropped
	l.dropped = 0
	return true, dropped
}

// guestLog is an io.Writer for one instance's stderr or stdout that logs
// each line as a warning record. wazero calls Write only during a call on
// the instance, and an instance serves one call at a time, so guestLog
// needs no lock of its own.
type guestLog struct {
	log       *slog.Logger
	stream    string
	limiter   *lineLimiter
	line      []byte
	truncated bool
}

// Write implements io.Writer. It never fails, so a guest cannot stop
// itself by writing.
func (g *guestLog) Write(p []byte) (int, error) {
	for _, c := range p {
		if c == '\n' {
			g.flush()
			continue
		}
		if len(g.line) < maxGuestLine {
			g.line = append(g.line, c)
		} else {
			g.truncated = true
		}
	}
	return len(p), nil
}

// flush logs the pending line, if any.
func (g *guestLog) flush() {
	if len(g.line) == 0 && !g.truncated {
		return
	}
	ok, dropped := g.limiter.allow()
	if ok {
		attrs := []any{"stream", g.stream, "line", string(g.line)}
		if g.truncated {
			attrs = append(attrs, "truncated", true)
		}
		if dropped > 0 {
			attrs = append(attrs, "dropped_lines", dropped)
		}
		g.log.Warn("plugin output", attrs...)
	}
	g.line = g.line[:0]
	g.truncated = false
}
