package intercom

import "time"

// Observer receives the client's counters, for example to export them as
// metrics. Methods are called synchronously from the calling goroutine, so
// they must be fast and safe for concurrent use.
type Observer interface {
	// Attempt is called after every HTTP attempt, including attempts of
	// data attribute calls made by the attribute policy.
	Attempt(AttemptEvent)
	// Retry is called before the client waits to retry a request.
	Retry(RetryEvent)
	// RateLimitWait is called before the client waits for a rate-limit slot.
	RateLimitWait(WaitEvent)
	// Attributes is called when the attribute policy found undefined
	// custom attributes in a request.
	Attributes(AttributeEvent)
}

// AttemptEvent describes one HTTP attempt.
type AttemptEvent struct {
	// Route is the low-cardinality route, e.g. "PUT /contacts/{id}".
	Route string
	// Status is the HTTP status, or 0 when no response was received.
	Status int
	// Err is the transport error when Status is 0.
	Err error
	// Duration is the attempt's wall time, from sending to the end of the body.
	Duration time.Duration
	// Attempt numbers attempts of one request from 1.
	Attempt int
}

// RetryEvent describes a retry decision.
type RetryEvent struct {
	Route string
	// Attempt is the number of the attempt that failed.
	Attempt int
	// Reason is "network", "rate_limited" or "status_<code>".
	Reason string
	// Delay is the back-off before the next attempt; for "rate_limited" the
	// wait is reported separately by RateLimitWait.
	Delay time.Duration
}

// WaitEvent describes a wait for a rate-limit slot.
type WaitEvent struct {
	Route string
	Delay time.Duration
	// After429 is true when the wait follows a 429 response.
	After429 bool
}

// AttributeEvent describes what the attribute policy did to one request.
type AttributeEvent struct {
	Model     string
	Policy    string
	Undefined []string
	Dropped   []string
	Created   []string
}

// ObserverFuncs implements Observer with optional functions; nil fields are
// skipped.
type ObserverFuncs struct {
	OnAttempt       func(AttemptEvent)
	OnRetry         func(RetryEvent)
	OnRateLimitWait func(WaitEvent)
	OnAttributes    func(AttributeEvent)
}

// Attempt calls OnAttempt when set.
func (f ObserverFuncs) Attempt(e AttemptEvent) {
	if f.OnAttempt != nil {
		f.OnAttempt(e)
	}
}

// Retry calls OnRetry when set.
func (f ObserverFuncs) Retry(e RetryEvent) {
	if f.OnRetry != nil {
		f.OnRetry(e)
	}
}

// RateLimitWait calls OnRateLimitWait when set.
func (f ObserverFuncs) RateLimitWait(e WaitEvent) {
	if f.OnRateLimitWait != nil {
		f.OnRateLimitWait(e)
	}
}

// Attributes calls OnAttributes when set.
func (f ObserverFuncs) Attributes(e AttributeEvent) {
	if f.OnAttributes != nil {
		f.OnAttributes(e)
	}
}
