// Package fakeclock provides a manually driven clock for tests of code that
// waits: rate-limit pacing, back-off and search lag.
//
// A Clock in manual mode blocks each Sleep until Advance or Set moves the time
// past the sleeper's deadline. A Clock in auto mode (NewAuto) never blocks:
// Sleep moves the time forward by the requested duration and returns. Both
// modes record every requested duration. The zero Clock is not usable; call
// New or NewAuto.
package fakeclock

import (
	"context"
	"slices"
	"sync"
	"time"
)

// Clock is a fake time source. It is safe for concurrent use.
type Clock struct {
	mu      sync.Mutex
	now     time.Time
	auto    bool
	waiters []*waiter
	sleeps  []time.Duration
	// registered is closed and replaced each time a sleeper starts waiting.
	registered chan struct{}
}

type waiter struct {
	until time.Time
	done  chan struct{}
}

// New returns a manual Clock set to start.
func New(start time.Time) *Clock {
	return &Clock{now: start, registered: make(chan struct{})}
}

// NewAuto returns a Clock set to start whose Sleep advances the time by the
// requested duration instead of blocking.
func NewAuto(start time.Time) *Clock {
	c := New(start)
	c.auto = true
	return c
}

// Now returns the fake current time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Sleep waits until the fake time reaches now+d or ctx is done, and returns
// ctx.Err() in the latter case. A duration of zero or less returns at once
// and is not recorded.
func (c *Clock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if d <= 0 {
		return nil
	}

	c.mu.Lock()
	c.sleeps = append(c.sleeps, d)
	if c.auto {
		c.now = c.now.Add(d)
		c.mu.Unlock()
		return nil
	}
	w := &waiter{until: c.now.Add(d), done: make(chan struct{})}
	c.waiters = append(c.waiters, w)
	close(c.registered)
	c.registered = make(chan struct{})
	c.mu.Unlock()

	select {
	case <-w.done:
		return nil
	case <-ctx.Done():
		c.remove(w)
		return ctx.Err()
	}
}

func (c *Clock) remove(w *waiter) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.waiters = slices.DeleteFunc(c.waiters, func(x *waiter) bool { return x == w })
}

// Advance moves the time forward by d and wakes every sleeper whose deadline
// has been reached.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.setLocked(c.now.Add(d))
}

// Set moves the time to t (never backwards) and wakes due sleepers.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t.After(c.now) {
		c.setLocked(t)
	}
}

func (c *Clock) setLocked(t time.Time) {
	c.now = t
	kept := c.waiters[:0]
	for _, w := range c.waiters {
		if !w.until.After(t) {
			close(w.done)
			continue
		}
		kept = append(kept, w)
	}
	c.waiters = kept
}

// Sleeps returns every duration passed to Sleep so far, in call order.
func (c *Clock) Sleeps() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.sleeps)
}

// Deadlines returns the wake-up times of the current sleepers, earliest first.
func (c *Clock) Deadlines() []time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]time.Time, 0, len(c.waiters))
	for _, w := range c.waiters {
		out = append(out, w.until)
	}
	slices.SortFunc(out, func(a, b time.Time) int { return a.Compare(b) })
	return out
}

// WaitForSleepers blocks until at least n sleepers are waiting, or until
// timeout of real time has passed, and reports whether n were reached. Tests
// use it to know that concurrent callers have reached their Sleep.
func (c *Clock) WaitForSleepers(n int, timeout time.Duration) bool {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		c.mu.Lock()
		count := len(c.waiters)
		registered := c.registered
		c.mu.Unlock()
		if count >= n {
			return true
		}
		select {
		case <-registered:
		case <-deadline.C:
			return false
		}
	}
}
