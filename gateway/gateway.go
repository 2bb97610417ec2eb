package gateway

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/intercom-gateway/gateway/config"
	"github.com/intercom-gateway/gateway/host"
	"github.com/intercom-gateway/gateway/ingest"
	"github.com/intercom-gateway/gateway/intercom"
	"github.com/intercom-gateway/gateway/queue"
)

// Version is the gateway's version, sent in the User-Agent.
const Version = "0.1.0"

// Options holds the settings of New that the configuration file does not carry.
type Options struct {
	// Logger receives the gateway's logs; nil means slog.Default().
	Logger *slog.Logger
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// OnDelivery, when set, is called after each delivery attempt of a
	// queued event, from the worker's goroutine.
	OnDelivery func(Delivery)
	// HTTPClient sends the Intercom requests; nil means the client's own.
	HTTPClient *http.Client
	// WithoutQueue skips the event store, for commands that only call
	// Deliver, such as send and explain; Handler and Run need the store.
	WithoutQueue bool
}

// Gateway is a running delivery pipeline.
type Gateway struct {
	cfg     *config.Config
	opts    Options
	log     *slog.Logger
	runtime *host.Runtime
	dests   map[string]*destination
	store   *queue.Store
	metrics *Metrics
	ingest  *ingest.Handler

	// current is the plugin new events run on; previous is the one before
	// the last swap, kept for rollback.
	current  atomic.Pointer[generation]
	previous *generation
	swapMu   sync.Mutex
	vectors  []vector
	swapMu2  sync.Mutex
	swaps    []SwapReport

	// commits bounds the delivery results waiting for their commit, and
	// settling counts them, so shutdown waits for them.
	commits  chan struct{}
	settling sync.WaitGroup
}

// New loads the plugin and prepares one Intercom client per destination.
// Call Run to start delivering and Close when done.
func New(ctx context.Context, cfg *config.Config, opts Options) (*Gateway, error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}

	g := &Gateway{cfg: cfg, opts: opts, log: opts.Logger, dests: map[string]*destination{}, commits: make(chan struct{}, cfg.Workers)}
	g.metrics = newMetrics(func() float64 {
		if g.store == nil {
			return 0
		}
		return float64(g.store.Pending())
	})

	module, err := os.ReadFile(cfg.Plugin)
	if err != nil {
		return nil, fmt.Errorf("read plugin %s: %w; build it with make plugin", cfg.Plugin, err)
	}
	signature, _ := os.ReadFile(cfg.Plugin + ".sig")
	if err := g.verify(module, string(signature), ""); err != nil {
		return nil, fmt.Errorf("plugin %s: %w", cfg.Plugin, err)
	}
	g.vectors = builtinVectors()
	if cfg.Plugins.SelfTestDir != "" {
		extra, err := loadVectors(cfg.Plugins.SelfTestDir)
		if err != nil {
			return nil, fmt.Errorf("plugins.selfTestDir: %w", err)
		}
		g.vectors = append(g.vectors, extra...)
	}
	g.runtime, err = host.NewRuntime(ctx, host.RuntimeConfig{CacheDir: cfg.CacheDir, Logger: g.log})
	if err != nil {
		return nil, err
	}
	gen, err := g.loadGeneration(ctx, module, "startup")
	if err != nil {
		_ = g.runtime.Close(ctx)
		return nil, fmt.Errorf("load plugin %s: %w", cfg.Plugin, err)
	}
	g.current.Store(gen)
	g.metrics.setPlugin(gen.info)
	g.log.Info("plugin loaded", "file", cfg.Plugin, "name", gen.info.Name, "version", gen.info.Version, "sha256", gen.info.SHA256)

	for i := range cfg.Destinations {
		d, err := g.newDestination(&cfg.Destinations[i])
		if err != nil {
			g.Close(ctx)
			return nil, err
		}
		g.dests[d.cfg.Name] = d
	}

	if opts.WithoutQueue {
		return g, nil
	}
	g.store, err = queue.Open(filepath.Join(cfg.DataDir, "queue.db"), queue.StoreOptions{Now: opts.Now})
	if err != nil {
		g.Close(ctx)
		return nil, err
	}
	if err := g.resumeChangedDestinations(); err != nil {
		g.Close(ctx)
		return nil, err
	}

	g.ingest = ingest.NewHandler(ingest.Options{
		MaxBodyBytes: cfg.MaxBodyBytes,
		Resolve: func(key string) (string, bool) {
			d, ok := cfg.Lookup(key)
			if !ok {
				return "", false
			}
			return d.Name, true
		},
		Sink:   sink{g},
		Logger: g.log,
		Now:    opts.Now,
		Observer: ingest.Observer{
			Events: func(dest, status string, n int) { g.metrics.ingested.WithLabelValues(dest, status).Add(float64(n)) },
		},
	})
	return g, nil
}

func (g *Gateway) newDestination(dc *config.Destination) (*destination, error) {
	for _, w := range dc.Parsed.Warnings {
		g.log.Warn("destination setting ignored", "destination", dc.Name, "warning", w)
	}
	client, err := intercom.New(intercom.Config{
		Token:           dc.Token,
		Region:          dc.Parsed.Region,
		BaseURL:         dc.BaseURL,
		UserAgent:       "intercom-gateway/" + Version,
		AttributePolicy: dc.Parsed.AttributePolicy,
		HTTPClient:      g.opts.HTTPClient,
		Observer:        observer{g.metrics},
		Logger:          g.log.With("destination", dc.Name),
	})
	if err != nil {
		return nil, fmt.Errorf("destination %s: %w", dc.Name, err)
	}
	return &destination{cfg: dc, client: client, gateway: g}, nil
}

// Handler serves the ingestion API, GET /healthz and GET /metrics.
func (g *Gateway) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/v1/", g.ingest)
	mux.HandleFunc("GET /healthz", g.healthz)
	g.adminRoutes(mux)
	mux.Handle("GET /metrics", promhttp.HandlerFor(g.metrics.registry, promhttp.HandlerOpts{}))
	return mux
}

func (g *Gateway) healthz(w http.ResponseWriter, _ *http.Request) {
	body := map[string]any{
		"status":       "ok",
		"plugin":       g.current.Load().status(),
		"destinations": len(g.dests),
	}
	if st, err := g.store.Stats(); err == nil {
		body["queue"] = st
		if len(st.Paused) > 0 {
			body["status"] = "degraded"
		}
	} else {
		body["status"] = "degraded"
		body["error"] = "reading the event store failed: " + err.Error()
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(body)
}

// Metrics returns the gateway's metrics.
func (g *Gateway) Metrics() *Metrics { return g.metrics }

// Plugin describes the plugin new events run on.
func (g *Gateway) Plugin() PluginStatus { return g.current.Load().status() }

// Close stops the plugin and the runtime. Call it after Run returned.
func (g *Gateway) Close(ctx context.Context) {
	if g.store != nil {
		if err := g.store.Close(); err != nil {
			g.log.Warn("event store close failed", "error", err)
		}
	}
	if gen := g.current.Load(); gen != nil {
		if err := gen.plugin.Close(ctx); err != nil {
			g.log.Warn("plugin close failed", "error", err)
		}
	}
	if g.runtime != nil {
		if err := g.runtime.Close(ctx); err != nil {
			g.log.Warn("plugin runtime close failed", "error", err)
		}
	}
}

// resumeChangedDestinations lifts the stored pause of every destination
// whose access token changed since it was paused: the configuration was
// fixed. A pause of a destination no longer configured is kept.
func (g *Gateway) resumeChangedDestinations() error {
	for name, d := range g.dests {
		info, paused := g.store.PauseInfo(name)
		if !paused || info.TokenHash == tokenHash(d) {
			if paused {
				g.log.Warn("destination is paused; resume it once the cause is fixed", "destination", name, "reason", info.Reason, "since", info.Since)
			}
			continue
		}
		if _, err := g.store.Resume(name); err != nil {
			return err
		}
		g.log.Info("destination resumed because its access token changed", "destination", name, "paused_since", info.Since)
	}
	return nil
}

// sink stores accepted events; page, screen and alias events are
// acknowledged and counted, but not stored, since they are not sent.
type sink struct{ g *Gateway }

func (s sink) Accept(ctx context.Context, events []ingest.Event) error {
	sent := events[:0:0]
	for _, e := range events {
		if e.Sent() {
			sent = append(sent, e)
		}
	}
	return s.g.store.Accept(ctx, sent)
}
