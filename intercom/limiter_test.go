package intercom_test

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/intercom-gateway/gateway/intercom"
)

func TestRateLimiterPacing(t *testing.T) {
	now := time.Unix(1_700_000_003, 0)
	reset := time.Unix(1_700_000_010, 0)
	type step struct {
		// observe, when set, is applied before reserving.
		observe *intercom.RateLimit
		// exhausted applies a 429 with these headers (ok=false means none).
		exhausted *intercom.RateLimit
		at        time.Duration
		wantWait  time.Duration
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"unknown state goes at once", []step{{at: 0, wantWait: 0}, {at: 0, wantWait: 0}}},
		{"remaining counts down, then waits for reset", []step{
			{observe: &intercom.RateLimit{Limit: 10, Remaining: 2, Reset: reset}, wantWait: 0},
			{wantWait: 0},
			{wantWait: 7 * time.Second},
		}},
		{"queued callers are spread by window/limit", []step{
			{observe: &intercom.RateLimit{Limit: 10, Remaining: 0, Reset: reset}, wantWait: 7 * time.Second},
			{wantWait: 8 * time.Second},
			{wantWait: 9 * time.Second},
			{at: 500 * time.Millisecond, wantWait: 9500 * time.Millisecond},
		}},
		{"stale report for an older window is ignored", []step{
			{observe: &intercom.RateLimit{Limit: 10, Remaining: 5, Reset: reset}, wantWait: 0},
			{observe: &intercom.RateLimit{Limit: 10, Remaining: 0, Reset: reset.Add(-10 * time.Second)}, wantWait: 0},
		}},
		{"lower remaining in the same window wins", []step{
			{observe: &intercom.RateLimit{Limit: 10, Remaining: 5, Reset: reset}, wantWait: 0},
			{observe: &intercom.RateLimit{Limit: 10, Remaining: 0, Reset: reset}, wantWait: 7 * time.Second},
		}},
		{"a new window restores the budget", []step{
			{observe: &intercom.RateLimit{Limit: 2, Remaining: 0, Reset: reset}, at: 8 * time.Second, wantWait: 0},
			{at: 8 * time.Second, wantWait: 0},
			{at: 8 * time.Second, wantWait: 9 * time.Second},
		}},
		{"429 waits for the reported reset", []step{
			{exhausted: &intercom.RateLimit{Limit: 167, Remaining: 0, Reset: reset}, wantWait: 7 * time.Second},
		}},
		{"429 without headers waits one window", []step{
			{exhausted: &intercom.RateLimit{}, wantWait: 10 * time.Second},
		}},
		{"far-future reset is capped to one window", []step{
			{observe: &intercom.RateLimit{Limit: 10, Remaining: 0, Reset: now.Add(time.Hour)}, wantWait: 10 * time.Second},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := intercom.NewRateLimiter()
			for i, st := range tt.steps {
				at := now.Add(st.at)
				if st.observe != nil {
					l.Observe(*st.observe, at)
				}
				if st.exhausted != nil {
					l.Exhausted(*st.exhausted, !st.exhausted.Reset.IsZero(), at)
				}
				if got := l.Reserve(at, nil); got != st.wantWait {
					t.Fatalf("step %d: wait = %v, want %v (state %+v)", i, got, st.wantWait, l.State())
				}
			}
		})
	}
}

func TestRateLimiterJitterStaysInSlot(t *testing.T) {
	now := time.Unix(1_700_000_003, 0)
	l := intercom.NewRateLimiter()
	l.Observe(intercom.RateLimit{Limit: 100, Remaining: 0, Reset: now.Add(time.Second)}, now)
	spacing := intercom.RateWindow / 100
	var maxAsked time.Duration
	jitter := func(max time.Duration) time.Duration { maxAsked = max; return max - 1 }
	for i := range 5 {
		got := l.Reserve(now, jitter)
		slot := time.Second + time.Duration(i)*spacing
		if got < slot || got >= slot+spacing {
			t.Errorf("reservation %d waits %v, want within [%v, %v)", i, got, slot, slot+spacing)
		}
	}
	if maxAsked != spacing {
		t.Errorf("jitter bound = %v, want the spacing %v", maxAsked, spacing)
	}
}

func TestWaitsWhenRemainingIsZero(t *testing.T) {
	s := newSetup(t, setupOptions{sim: simRate(2, 100)})
	for range 3 {
		if resp := s.do("GET", "/contacts/nope", ""); resp.Status != http.StatusNotFound {
			t.Fatalf("status %d, want 404 (no 429 when the client paces itself)", resp.Status)
		}
	}
	waits := s.events.snapshot().waits
	// testStart is 12:00:03, so the window resets 7 seconds later.
	if len(waits) != 1 || waits[0].Delay != 7*time.Second || waits[0].After429 {
		t.Errorf("rate-limit waits = %+v, want one 7s proactive wait", waits)
	}
}

func TestRetryAfter429WaitsForReset(t *testing.T) {
	s := newSetup(t, setupOptions{sim: simRate(2, 100)})
	// Another process used the token's window: this client's limiter does
	// not know, so its first request gets a 429.
	other := newClientFor(t, s, intercom.NewRateLimiter())
	for range 2 {
		if _, err := other.Do(context.Background(), intercom.Request{Method: "GET", Path: "/contacts/nope"}); err != nil {
			t.Fatal(err)
		}
	}
	resp := s.do("GET", "/contacts/nope", "")
	if resp.Status != http.StatusNotFound || resp.Attempts != 2 {
		t.Fatalf("status %d after %d attempts, want 404 after a 429 and one retry", resp.Status, resp.Attempts)
	}
	ev := s.events.snapshot()
	if len(ev.waits) != 1 || !ev.waits[0].After429 || ev.waits[0].Delay != 7*time.Second {
		t.Errorf("waits = %+v, want one 7s wait after the 429", ev.waits)
	}
	if len(ev.retries) != 1 || ev.retries[0].Reason != "rate_limited" {
		t.Errorf("retries = %+v", ev.retries)
	}
}

func TestConcurrentCallersAreSpread(t *testing.T) {
	const limit, callers = 4, 10
	s := newSetup(t, setupOptions{sim: simRate(limit, 1000), manualClock: true})
	// One request teaches the limiter the window: limit 4, 3 remaining.
	s.do("GET", "/contacts/nope", "")

	var wg sync.WaitGroup
	for range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := s.client.Do(context.Background(), intercom.Request{Method: "GET", Path: "/contacts/nope"})
			if err != nil {
				t.Errorf("Do() error = %v", err)
				return
			}
			if resp.Status != http.StatusNotFound {
				t.Errorf("a caller got %d, want 404", resp.Status)
			}
		}()
	}

	// Three callers fit in the current window; the other seven queue.
	queued := callers - (limit - 1)
	if !s.clock.WaitForSleepers(queued, 5*time.Second) {
		t.Fatalf("only %d callers waiting, want %d", len(s.clock.Deadlines()), queued)
	}
	deadlines := s.clock.Deadlines()
	reset := testStart.Add(7 * time.Second)
	spacing := intercom.RateWindow / limit
	for i, d := range deadlines {
		if want := reset.Add(time.Duration(i) * spacing); !d.Equal(want) {
			t.Errorf("caller %d wakes at +%v, want +%v (spread by %v)", i, d.Sub(testStart), want.Sub(testStart), spacing)
		}
	}

	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	for step := 0; ; step++ {
		select {
		case <-done:
		case <-time.After(10 * time.Millisecond):
			if step > 500 {
				t.Fatal("callers did not finish")
			}
			s.clock.Advance(500 * time.Millisecond)
			continue
		}
		break
	}

	for _, a := range s.events.snapshot().attempts {
		if a.Status == http.StatusTooManyRequests {
			t.Errorf("an attempt got 429; the queued callers should fit the windows")
		}
	}
	if n := len(s.events.snapshot().attempts); n != callers+1 {
		t.Errorf("%d attempts, want %d (no retries)", n, callers+1)
	}
}

func TestSharedLimiterPerToken(t *testing.T) {
	a, _ := intercom.New(intercom.Config{Token: "tok-a", BaseURL: "http://127.0.0.1:1"})
	b, _ := intercom.New(intercom.Config{Token: "tok-a", BaseURL: "http://127.0.0.1:1"})
	c, _ := intercom.New(intercom.Config{Token: "tok-c", BaseURL: "http://127.0.0.1:1"})
	if a.RateLimiter() != b.RateLimiter() {
		t.Errorf("clients of one token do not share a limiter")
	}
	if a.RateLimiter() == c.RateLimiter() {
		t.Errorf("clients of different tokens share a limiter")
	}
}

func TestCancelWhileWaiting(t *testing.T) {
	s := newSetup(t, setupOptions{sim: simRate(1, 100), manualClock: true})
	s.do("GET", "/contacts/nope", "")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := s.client.Do(ctx, intercom.Request{Method: "GET", Path: "/contacts/nope"})
		done <- err
	}()
	if !s.clock.WaitForSleepers(1, 5*time.Second) {
		t.Fatal("the second request did not wait for the window")
	}
	cancel()
	if err := <-done; err == nil || !errorsIsCanceled(err) {
		t.Errorf("Do() error = %v, want one wrapping context.Canceled", err)
	}
}
