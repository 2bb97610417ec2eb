package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/intercom-gateway/gateway/config"
	"github.com/intercom-gateway/gateway/host"
	"github.com/intercom-gateway/gateway/ingest"
	"github.com/intercom-gateway/gateway/intercom"
	"github.com/intercom-gateway/gateway/mapping"
)

// destination is one Intercom workspace with its client.
type destination struct {
	cfg     *config.Destination
	client  *intercom.Client
	gateway *Gateway
}

// RetryPolicy sets how an event with the outcome "retrying" is retried.
type RetryPolicy struct {
	// MaxAttempts bounds the deliveries of one event; 0 means 8.
	MaxAttempts int
	// BaseDelay is the first back-off; it doubles per attempt with jitter.
	// 0 means one second.
	BaseDelay time.Duration
	// MaxDelay caps one back-off; 0 means one minute.
	MaxDelay time.Duration
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.MaxAttempts == 0 {
		p.MaxAttempts = 8
	}
	if p.BaseDelay == 0 {
		p.BaseDelay = time.Second
	}
	if p.MaxDelay == 0 {
		p.MaxDelay = time.Minute
	}
	return p
}

// delay returns the back-off before attempt n+1, with full jitter in its
// upper half so that retries of many events do not fire together.
func (p RetryPolicy) delay(n int) time.Duration {
	d := p.BaseDelay << min(n-1, 30)
	if d <= 0 || d > p.MaxDelay {
		d = p.MaxDelay
	}
	return d/2 + rand.N(d/2+1)
}

// Delivery is the result of delivering one event.
type Delivery struct {
	Event    ingest.Event
	Result   mapping.Result
	Attempts int
}

// Deliver delivers one event once: no retry, no queue. The send and explain
// commands and the tests use it.
func (g *Gateway) Deliver(ctx context.Context, e ingest.Event) mapping.Result {
	d, ok := g.dests[e.Destination]
	if !ok {
		return mapping.Result{Outcome: mapping.OutcomeConfiguration, Message: "no destination named " + e.Destination + " in the configuration"}
	}
	if !e.Sent() {
		return mapping.Result{Outcome: mapping.OutcomeDelivered, Message: "event type " + e.Type + " is accepted but not sent to Intercom"}
	}
	return d.deliver(ctx, e.Body)
}

// deliver runs one event through the plugin and this destination's client.
// Notes from the client's attribute policy become warnings of the result.
func (d *destination) deliver(ctx context.Context, body []byte) mapping.Result {
	g := d.gateway
	var mu sync.Mutex
	var notes []string
	sender := host.SenderFunc(func(ctx context.Context, req mapping.Request) (mapping.Response, error) {
		resp, err := d.client.Do(ctx, intercom.Request{Method: req.Method, Path: req.Path, Body: req.Body})
		var undefined *intercom.UndefinedAttributeError
		if errors.As(err, &undefined) {
			// Nothing was sent: answer the plugin as Intercom would, so
			// the event ends "rejected" and is kept for replay.
			return mapping.Response{Status: 400, Body: errorList("parameter_invalid", undefined.Error()),
				Error: "the destination's custom attribute policy is reject"}, nil
		}
		var create *intercom.AttributeCreateError
		if errors.As(err, &create) {
			return mapping.Response{Status: create.Status, Body: errorList("parameter_invalid", create.Error()),
				Error: "a custom attribute could not be created"}, nil
		}
		if err != nil {
			return mapping.Response{}, err
		}
		mu.Lock()
		for _, n := range resp.Dropped {
			notes = append(notes, "custom attribute "+quote(n)+" is not defined in the workspace and was dropped")
		}
		for _, n := range resp.Created {
			notes = append(notes, "custom attribute "+quote(n)+" was created in the workspace")
		}
		mu.Unlock()
		return mapping.Response{Status: resp.Status, Body: resp.Body}, nil
	})
	deliverer := host.Deliverer{Plugin: g.plugin, Sender: sender, Secrets: [][]byte{[]byte(d.cfg.Token)}, Logger: g.log}
	start := time.Now()
	res := deliverer.Deliver(ctx, body, d.cfg.Settings, g.opts.Now().Unix())
	g.metrics.deliverySec.WithLabelValues(string(res.Outcome)).Observe(time.Since(start).Seconds())
	res.Warnings = append(res.Warnings, notes...)
	return res
}

func errorList(code, message string) []byte {
	body, _ := json.Marshal(map[string]any{
		"type":       "error.list",
		"request_id": nil,
		"errors":     []map[string]string{{"code": code, "message": message}},
	})
	return body
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// Run starts the delivery workers and blocks until ctx ends; then it waits
// up to the configured shutdown timeout for deliveries in flight.
func (g *Gateway) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for i := 0; i < g.queue.Shards(); i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			g.work(ctx, i)
		}()
	}
	<-ctx.Done()
	g.queue.Close()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(g.cfg.ShutdownTimeout.Duration):
		g.log.Warn("shutdown timeout reached with deliveries in flight", "timeout", g.cfg.ShutdownTimeout.Duration)
	}
}

// work drains shard i: each event is delivered, retried with back-off
// while its outcome is "retrying", and removed when it ends.
func (g *Gateway) work(ctx context.Context, shard int) {
	for {
		e, ok := g.queue.Peek(ctx, shard)
		if !ok {
			return
		}
		d := g.deliverWithRetry(ctx, e)
		if ctx.Err() != nil && d.Result.Outcome == mapping.OutcomeRetrying {
			// Shutting down: the event was not finished.
			return
		}
		g.queue.Done(shard)
		g.record(d)
	}
}

func (g *Gateway) deliverWithRetry(ctx context.Context, e ingest.Event) Delivery {
	d := Delivery{Event: e}
	for {
		d.Attempts++
		// A delivery in flight finishes even while the gateway shuts
		// down, within the shutdown timeout.
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), g.cfg.ShutdownTimeout.Duration+time.Minute)
		d.Result = g.Deliver(dctx, e)
		cancel()
		if d.Result.Outcome != mapping.OutcomeRetrying || d.Attempts >= g.opts.Retry.MaxAttempts {
			return d
		}
		wait := g.opts.Retry.delay(d.Attempts)
		g.log.Info("event will be retried", "destination", e.Destination, "message_id", e.MessageID,
			"attempt", d.Attempts, "wait", wait, "reason", d.Result.Message)
		select {
		case <-ctx.Done():
			return d
		case <-time.After(wait):
		}
	}
}

// record counts and logs the end of a delivery.
func (g *Gateway) record(d Delivery) {
	r := d.Result
	g.metrics.events.WithLabelValues(d.Event.Destination, string(r.Outcome)).Inc()
	if g.opts.OnDelivery != nil {
		g.opts.OnDelivery(d)
	}
	if r.Outcome == mapping.OutcomeDelivered {
		g.log.Debug("event delivered", "destination", d.Event.Destination, "message_id", d.Event.MessageID, "calls", len(r.Calls))
		return
	}
	// TODO: keep events that did not end delivered in a dead-letter store
	// (durable delivery); until then they are only logged and counted.
	g.log.Error("event not delivered", "destination", d.Event.Destination, "message_id", d.Event.MessageID,
		"outcome", r.Outcome, "attempts", d.Attempts, "message", r.Message, "warnings", r.Warnings)
}
