package intercom

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"time"
)

// errBodyTooLarge fails an attempt whose response exceeds MaxResponseBytes.
var errBodyTooLarge = errors.New("response body exceeds the configured maximum")

// send performs up to MaxRetries+1 attempts of one request, waiting for the
// rate limiter before each and backing off between them.
func (c *Client) send(ctx context.Context, method string, target *url.URL, body []byte) (Response, error) {
	route := RouteOf(method, target.Path)
	path := target.RequestURI()
	maxAttempts := c.cfg.MaxRetries + 1
	after429 := false

	for attempt := 1; ; attempt++ {
		if err := c.waitForSlot(ctx, route, after429); err != nil {
			return Response{Attempts: attempt - 1}, &TransportError{Method: method, Path: path, Attempts: attempt - 1, Err: err}
		}
		after429 = false

		resp, err := c.attempt(ctx, method, target, body, route, attempt)
		if err != nil {
			if isContextError(ctx, err) || attempt >= maxAttempts {
				return Response{Attempts: attempt}, &TransportError{Method: method, Path: path, Attempts: attempt, Err: err}
			}
			delay := c.backoff(attempt, nil)
			c.logRetry(ctx, route, attempt, "network", delay, err)
			if err := c.cfg.Clock.Sleep(ctx, delay); err != nil {
				return Response{Attempts: attempt}, &TransportError{Method: method, Path: path, Attempts: attempt, Err: err}
			}
			continue
		}
		resp.Attempts = attempt

		if resp.Status == http.StatusTooManyRequests {
			// Later requests must wait for the window even when this one
			// has no retry left.
			rl, ok, _ := ParseRateLimit(resp.Header)
			c.cfg.RateLimiter.Exhausted(rl, ok, c.cfg.Clock.Now())
		}
		retryable := resp.Status == http.StatusRequestTimeout || resp.Status == http.StatusTooManyRequests || resp.Status >= 500
		if !retryable || attempt >= maxAttempts {
			return resp, nil
		}

		if resp.Status == http.StatusTooManyRequests {
			c.logRetry(ctx, route, attempt, "rate_limited", 0, nil)
			after429 = true
			continue
		}
		delay := c.backoff(attempt, resp.Header)
		c.logRetry(ctx, route, attempt, fmt.Sprintf("status_%d", resp.Status), delay, nil)
		if err := c.cfg.Clock.Sleep(ctx, delay); err != nil {
			return resp, &TransportError{Method: method, Path: path, Attempts: attempt, Err: err}
		}
	}
}

// waitForSlot takes a rate-limit slot and sleeps until it starts.
func (c *Client) waitForSlot(ctx context.Context, route string, after429 bool) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	delay := c.cfg.RateLimiter.Reserve(c.cfg.Clock.Now(), c.cfg.Jitter)
	if delay <= 0 {
		return nil
	}
	c.cfg.Observer.RateLimitWait(WaitEvent{Route: route, Delay: delay, After429: after429})
	c.cfg.Logger.LogAttrs(ctx, slog.LevelDebug, "waiting for an Intercom rate-limit slot",
		slog.String("route", route), slog.Duration("delay", delay), slog.Bool("after_429", after429))
	return c.cfg.Clock.Sleep(ctx, delay)
}

func (c *Client) logRetry(ctx context.Context, route string, attempt int, reason string, delay time.Duration, err error) {
	c.cfg.Observer.Retry(RetryEvent{Route: route, Attempt: attempt, Reason: reason, Delay: delay})
	attrs := []slog.Attr{
		slog.String("route", route), slog.Int("attempt", attempt),
		slog.String("reason", reason), slog.Duration("delay", delay),
	}
	if err != nil {
		attrs = append(attrs, slog.String("error", err.Error()))
	}
	c.cfg.Logger.LogAttrs(ctx, slog.LevelInfo, "retrying Intercom request", attrs...)
}

// attempt sends one HTTP request with the per-attempt timeout and reads the
// whole body. A non-nil error means no complete response was received.
func (c *Client) attempt(ctx context.Context, method string, target *url.URL, body []byte, route string, n int) (Response, error) {
	attemptCtx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()

	var reader io.Reader
	if body != nil {
		reader = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(attemptCtx, method, target.String(), reader)
	if err != nil {
		return Response{}, fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+c.cfg.Token)
	req.Header.Set("Intercom-Version", APIVersion)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.cfg.UserAgent)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}

	started := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		c.cfg.Observer.Attempt(AttemptEvent{Route: route, Err: err, Duration: time.Since(started), Attempt: n})
		return Response{}, err
	}
	defer resp.Body.Close()

	data, err := io.ReadAll(io.LimitReader(resp.Body, c.cfg.MaxResponseBytes+1))
	if err == nil && int64(len(data)) > c.cfg.MaxResponseBytes {
		err = fmt.Errorf("%w (%d bytes)", errBodyTooLarge, c.cfg.MaxResponseBytes)
	}
	if err != nil {
		c.cfg.Observer.Attempt(AttemptEvent{Route: route, Status: 0, Err: err, Duration: time.Since(started), Attempt: n})
		return Response{}, fmt.Errorf("read response body (status %d): %w", resp.StatusCode, err)
	}
	c.cfg.Observer.Attempt(AttemptEvent{Route: route, Status: resp.StatusCode, Duration: time.Since(started), Attempt: n})

	if rl, ok, perr := ParseRateLimit(resp.Header); perr != nil {
		c.cfg.Logger.LogAttrs(ctx, slog.LevelWarn, "ignoring invalid Intercom rate-limit headers",
			slog.String("route", route), slog.String("error", perr.Error()))
	} else if ok {
		c.cfg.RateLimiter.Observe(rl, c.cfg.Clock.Now())
	}
	return Response{Status: resp.StatusCode, Header: resp.Header, Body: data}, nil
}
