package host

import (
	"bytes"
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/intercom-gateway/gateway/mapping"
)

// Sender sends one request to Intercom. The host calls it only with
// requests that passed CheckRequest; the Sender adds the base URL of the
// destination's region, the access token and the other headers, so none of
// them ever reaches the plugin.
//
// Send returns an error only when no HTTP response was obtained; the host
// passes the error's text to the plugin as a status 0 response, after
// removing the secrets listed in Deliverer.Secrets. Any HTTP status, errors
// included, is a Response with its body.
type Sender interface {
	Send(ctx context.Context, req mapping.Request) (mapping.Response, error)
}

// SenderFunc adapts a function to Sender.
type SenderFunc func(ctx context.Context, req mapping.Request) (mapping.Response, error)

// Send implements Sender.
func (f SenderFunc) Send(ctx context.Context, req mapping.Request) (mapping.Response, error) {
	return f(ctx, req)
}

// Deliverer delivers events through a Plugin and a Sender, running the
// step loop of package mapping. Its fields must not change while Deliver
// runs; a Deliverer is safe for concurrent use when its Sender is.
type Deliverer struct {
	// Plugin runs the steps. Required.
	Plugin *Plugin
	// Sender sends the checked requests. Required.
	Sender Sender
	// MaxSteps bounds the steps of one event; 0 means
	// mapping.DefaultMaxSteps.
	MaxSteps int
	// Parallel bounds the requests of one step sent at once; 0 or 1 sends
	// them one after another. Responses keep the request order either way.
	Parallel int
	// Secrets are byte strings, such as the access token, that must never
	// reach the plugin. Every occurrence in a response body or error text
	// is replaced with "[REDACTED]" before the plugin sees it.
	Secrets [][]byte
	// Logger receives rejected requests; nil means the plugin runtime's
	// logger.
	Logger *slog.Logger
	// OnStep, when set, receives the duration and error of every plugin
	// step call, for metrics.
	OnStep func(elapsed time.Duration, err error)
}

// redacted replaces a secret in data passed to the plugin. It contains no
// JSON syntax, so a secret inside a JSON string leaves the string valid.
var redacted = []byte("[REDACTED]")

// Deliver delivers one event: event and settings are JSON objects (the
// settings without the access token) and now is the host's time in Unix
// seconds. It never panics; every failure, a plugin trap included, ends
// in the Result's outcome and message.
func (d *Deliverer) Deliver(ctx context.Context, event, settings []byte, now int64) mapping.Result {
	step := d.Plugin.StepFunc(ctx)
	if d.OnStep != nil {
		plain := step
		step = func(dst, input []byte) ([]byte, error) {
			start := time.Now()
			out, err := plain(dst, input)
			d.OnStep(time.Since(start), err)
			return out, err
		}
	}
	x := mapping.Exchange{Step: step, Send: d.send, MaxSteps: d.MaxSteps}
	return x.Run(ctx, event, settings, now)
}

// Deliver is (&Deliverer{Plugin: p, Sender: s}).Deliver(ctx, event,
// settings, now), for callers without secrets to redact.
func Deliver(ctx context.Context, p *Plugin, s Sender, event, settings []byte, now int64) mapping.Result {
	d := Deliverer{Plugin: p, Sender: s}
	return d.Deliver(ctx, event, settings, now)
}

// send is the mapping.SendFunc of Deliver.
func (d *Deliverer) send(ctx context.Context, requests []mapping.Request) []mapping.Response {
	out := make([]mapping.Response, len(requests))
	if d.Parallel <= 1 || len(requests) == 1 {
		for i, req := range requests {
			out[i] = d.sendOne(ctx, req)
		}
		return out
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, d.Parallel)
	for i, req := range requests {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			out[i] = d.sendOne(ctx, req)
		}()
	}
	wg.Wait()
	return out
}

// sendOne checks one request, sends it and removes secrets from the
// response.
func (d *Deliverer) sendOne(ctx context.Context, req mapping.Request) mapping.Response {
	if err := CheckRequest(req.Method, req.Path); err != nil {
		d.logger().Warn("plugin request rejected; nothing was sent", "error", err)
		return mapping.Response{Error: err.Error()}
	}
	resp, err := d.Sender.Send(ctx, req)
	if err != nil {
		return mapping.Response{Error: string(d.redact([]byte(err.Error())))}
	}
	resp.Body = d.redact(resp.Body)
	resp.Error = string(d.redact([]byte(resp.Error)))
	return resp
}

func (d *Deliverer) redact(b []byte) []byte {
	for _, s := range d.Secrets {
		if len(s) > 0 && bytes.Contains(b, s) {
			b = bytes.ReplaceAll(b, s, redacted)
		}
	}
	return b
}

func (d *Deliverer) logger() *slog.Logger {
	if d.Logger != nil {
		return d.Logger
	}
	return d.Plugin.log
}
