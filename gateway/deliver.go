package gateway

import (
	"context"
	"encoding/json"
	"errors"
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

// Delivery describes one delivery attempt of a queued event and what
// followed: delivered, dead-lettered, scheduled for a retry or held by a
// paused destination.
type Delivery struct {
	Event  ingest.Event
	Result mapping.Result
	// Attempts counts the deliveries of the event so far, this one included.
	Attempts int
	// Final is true when the event left the queue: delivered or
	// dead-lettered.
	Final bool
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
	gen := g.acquire()
	defer g.release(gen)
	return d.deliver(ctx, gen, e.Body)
}

// deliverOn delivers a queued event on a given plugin generation.
func (g *Gateway) deliverOn(ctx context.Context, gen *generation, e ingest.Event) mapping.Result {
	d, ok := g.dests[e.Destination]
	if !ok {
		return mapping.Result{Outcome: mapping.OutcomeConfiguration, Message: "no destination named " + e.Destination + " in the configuration; the event waits until one is configured"}
	}
	return d.deliver(ctx, gen, e.Body)
}

// deliver runs one event through the plugin and this destination's client.
// Notes from the client's attribute policy become warnings of the result.
func (d *destination) deliver(ctx context.Context, gen *generation, body []byte) mapping.Result {
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
	deliverer := host.Deliverer{Plugin: gen.plugin, Sender: sender, Secrets: [][]byte{[]byte(d.cfg.Token)}, Logger: g.log,
		OnStep: func(elapsed time.Duration, _ error) { g.metrics.observeStep(elapsed) }}
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
