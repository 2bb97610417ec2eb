package gateway

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/intercom-gateway/gateway/mapping"
	"github.com/intercom-gateway/gateway/queue"
)

// Run starts the delivery workers and blocks until ctx ends. Then it stops
// taking events and waits up to the shutdown timeout for the deliveries in
// flight. An event not finished by then stays pending in the store and is
// delivered after the next start.
func (g *Gateway) Run(ctx context.Context) {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		g.watchPlugin(ctx)
	}()
	for i := 0; i < g.cfg.Workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			g.work(ctx)
		}()
	}
	<-ctx.Done()
	done := make(chan struct{})
	go func() { wg.Wait(); g.settling.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(g.cfg.ShutdownTimeout.Duration):
		g.log.Warn("shutdown timeout reached with deliveries in flight; they stay pending", "timeout", g.cfg.ShutdownTimeout.Duration)
	}
}

// work takes events from the store until ctx ends.
func (g *Gateway) work(ctx context.Context) {
	for {
		lease, err := g.store.Next(ctx)
		if err != nil {
			if ctx.Err() == nil && !errors.Is(err, queue.ErrStoreClosed) {
				g.log.Error("taking the next event failed", "error", err)
				time.Sleep(time.Second)
				continue
			}
			return
		}
		// A delivery that began finishes even while the gateway shuts
		// down, within the shutdown timeout.
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), g.cfg.ShutdownTimeout.Duration)
		gen := g.acquire()
		res := g.deliverOn(dctx, gen, lease.Event)
		g.release(gen)
		cancel()

		// Storing the result waits for a synced commit. The worker goes on
		// with other contacts meanwhile, while this contact stays leased
		// until the commit is done, so its order is kept. The semaphore
		// bounds the results awaiting a commit to one per worker.
		g.commits <- struct{}{}
		g.settling.Add(1)
		go func() {
			defer func() { <-g.commits; g.settling.Done() }()
			g.settle(lease, res, gen)
		}()
	}
}

// settle stores what the outcome of one delivery means for the event.
func (g *Gateway) settle(lease *queue.Lease, res mapping.Result, gen *generation) {
	e := lease.Event
	failed := res.PluginFailure || res.Outcome == mapping.OutcomeInvalidEvent || res.Outcome == mapping.OutcomeRejected
	g.observeOutcome(gen, failed)
	d := Delivery{Event: e, Result: res, Attempts: lease.Attempts + 1}
	log := g.log.With("destination", e.Destination, "message_id", e.MessageID, "attempt", d.Attempts)
	var err error

	switch res.Outcome {
	case mapping.OutcomeDelivered:
		d.Final = true
		err = g.store.Finish(lease, nil)
		log.Debug("event delivered", "calls", len(res.Calls))

	case mapping.OutcomeConfiguration:
		// The destination stops; its events wait for a fix, none is
		// dead-lettered.
		// Other workers may have hit the same error: pause and log once.
		if _, paused := g.store.PauseInfo(e.Destination); !paused {
			dest := g.dests[e.Destination]
			info := queue.PauseInfo{Reason: res.Message, Since: g.opts.Now(), TokenHash: tokenHash(dest)}
			if err = g.store.Pause(e.Destination, info); err == nil {
				log.Error("destination paused; its events wait until the configuration changes or an operator resumes it", "reason", res.Message)
			}
		}
		g.store.Release(lease)

	case mapping.OutcomeRetrying:
		if d.Attempts < g.cfg.Retry.MaxAttempts {
			wait := g.backoff(d.Attempts)
			err = g.store.Retry(lease, g.opts.Now().Add(wait), res.Message)
			log.Info("event will be retried", "wait", wait, "reason", res.Message)
			break
		}
		res.Message = "retry budget spent after " + itoa(d.Attempts) + " attempts: " + res.Message
		d.Result, d.Final = res, true
		err = g.store.Finish(lease, g.deadLetter(lease, d, gen))
		log.Error("event dead-lettered", "outcome", res.Outcome, "message", res.Message)

	default:
		d.Final = true
		err = g.store.Finish(lease, g.deadLetter(lease, d, gen))
		log.Error("event dead-lettered", "outcome", res.Outcome, "message", res.Message)
	}
	if err != nil {
		// The event stays pending on disk, so nothing is lost; it is
		// attempted again.
		log.Error("storing the delivery result failed; the event stays pending", "error", err)
	}
	g.metrics.events.WithLabelValues(e.Destination, string(res.Outcome)).Inc()
	if g.opts.OnDelivery != nil {
		g.opts.OnDelivery(d)
	}
}

// backoff is the wait before attempt n+1: exponential from the base delay,
// capped, with jitter in its upper half so retries do not fire together.
func (g *Gateway) backoff(n int) time.Duration {
	base, max := g.cfg.Retry.BaseDelay.Duration, g.cfg.Retry.MaxDelay.Duration
	d := base << min(n-1, 30)
	if d <= 0 || d > max {
		d = max
	}
	return d/2 + rand.N(d/2+1)
}

func (g *Gateway) deadLetter(lease *queue.Lease, d Delivery, gen *generation) *queue.DeadLetter {
	result, _ := json.Marshal(d.Result)
	info := gen.info
	plugin, _ := json.Marshal(map[string]string{"name": info.Name, "version": info.Version, "sha256": info.SHA256})
	e := lease.Event
	return &queue.DeadLetter{
		Destination: e.Destination, MessageID: e.MessageID, Type: e.Type, Key: e.Key,
		ReceivedAt: e.ReceivedAt, DeadAt: g.opts.Now(), Attempts: d.Attempts,
		Outcome: string(d.Result.Outcome), Message: d.Result.Message,
		Result: result, Plugin: plugin, Body: e.Body,
	}
}

// tokenHash identifies a destination's token without storing it, so a
// pause can be lifted when the configuration brings a new token.
func tokenHash(d *destination) string {
	if d == nil {
		return ""
	}
	sum := sha256.Sum256([]byte(d.cfg.Token))
	return hex.EncodeToString(sum[:])
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}
