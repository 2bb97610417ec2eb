package gateway

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/intercom-gateway/gateway/host"
)

// generation is one loaded plugin and the events running on it. An event
// whose step loop began on a generation finishes on it; a retired
// generation is closed once its last event finished.
type generation struct {
	plugin   *host.Plugin
	info     host.Info
	module   []byte
	loadedAt time.Time
	source   string
	// outputs is the plugin's fingerprint on the self-test vectors.
	outputs [][]byte

	users    atomic.Int64
	retiring atomic.Bool
	idle     chan struct{}
	idleOnce sync.Once

	// deliveries and failures feed automatic rollback.
	deliveries atomic.Int64
	failures   atomic.Int64
	rolledBack atomic.Bool
}

// acquire returns the current generation, counted as in use until release.
func (g *Gateway) acquire() *generation {
	for {
		gen := g.current.Load()
		gen.users.Add(1)
		if !gen.retiring.Load() {
			return gen
		}
		// A swap retired it between the load and the count: use the new one.
		g.release(gen)
	}
}

func (g *Gateway) release(gen *generation) {
	if gen.users.Add(-1) == 0 && gen.retiring.Load() {
		gen.idleOnce.Do(func() { close(gen.idle) })
	}
}

// retire closes gen once no event uses it, waiting at most timeout. An event
// still running after that fails its next step and is retried on the new
// plugin.
func (g *Gateway) retire(gen *generation, timeout time.Duration) {
	gen.retiring.Store(true)
	if gen.users.Load() == 0 {
		gen.idleOnce.Do(func() { close(gen.idle) })
	}
	go func() {
		select {
		case <-gen.idle:
		case <-time.After(timeout):
			g.log.Warn("retired plugin still in use after the timeout; closing it", "version", gen.info.Version, "sha256", gen.info.SHA256, "events", gen.users.Load())
		}
		if err := gen.plugin.Close(context.Background()); err != nil {
			g.log.Warn("closing a retired plugin failed", "sha256", gen.info.SHA256, "error", err)
		}
	}()
}

// PluginStatus describes a plugin for /healthz, /admin/plugin and swap reports.
type PluginStatus struct {
	Name     string    `json:"name"`
	Version  string    `json:"version"`
	SHA256   string    `json:"sha256"`
	LoadedAt time.Time `json:"loadedAt"`
	Source   string    `json:"source"`
}

func (gen *generation) status() PluginStatus {
	return PluginStatus{Name: gen.info.Name, Version: gen.info.Version, SHA256: gen.info.SHA256, LoadedAt: gen.loadedAt, Source: gen.source}
}

// SwapRequest is a request to replace the plugin with a new module.
type SwapRequest struct {
	Module []byte
	// Signature is the module's base64 ed25519 signature, if any.
	Signature string
	// SHA256 pins the expected module hash, if given.
	SHA256 string
	// AcceptDifferences lets the swap proceed when the self-test outputs
	// differ from the plugin in use.
	AcceptDifferences bool
	// RequestedBy names who or what requested the swap, such as
	// "admin API from 10.0.0.3", "file watch" or "automatic rollback".
	RequestedBy string
	// skipChecks is set by rollback: the module was verified before.
	skipChecks bool
}

// SwapReport is the result of a swap or rollback.
type SwapReport struct {
	Result      string        `json:"result"` // swapped, refused, unchanged
	Reason      string        `json:"reason,omitempty"`
	RequestedBy string        `json:"requestedBy"`
	Old         PluginStatus  `json:"old"`
	New         *PluginStatus `json:"new,omitempty"`
	Differences []string      `json:"differences,omitempty"`
	At          time.Time     `json:"at"`
	Duration    string        `json:"duration"`
}

// ErrSwapRefused is wrapped by Swap's error when a module failed a check.
var ErrSwapRefused = errors.New("plugin swap refused")

// verify checks the module's signature or pinned hash against the policy.
func (g *Gateway) verify(module []byte, signature, pinned string) error {
	sum := sha256.Sum256(module)
	hash := hex.EncodeToString(sum[:])
	policy := g.cfg.Plugins
	if pinned != "" {
		if !strings.EqualFold(pinned, hash) {
			return fmt.Errorf("the module's sha256 is %s, not the pinned %s", hash, pinned)
		}
		return nil
	}
	if slices.ContainsFunc(policy.SHA256, func(h string) bool { return strings.EqualFold(h, hash) }) {
		return nil
	}
	if len(policy.PublicKeyBytes) > 0 && signature != "" {
		sig, err := base64.StdEncoding.DecodeString(strings.TrimSpace(signature))
		if err != nil || !ed25519.Verify(policy.PublicKeyBytes, module, sig) {
			return fmt.Errorf("the module's signature is not valid for the configured public key (sha256 %s)", hash)
		}
		return nil
	}
	if policy.AllowUnsigned {
		return nil
	}
	if len(policy.PublicKeyBytes) == 0 {
		return fmt.Errorf("the module (sha256 %s) is neither pinned nor verifiable: configure plugins.publicKeyFile and sign it with intercom-gateway plugin sign, pin its sha256, or set plugins.allowUnsigned", hash)
	}
	return fmt.Errorf("the module (sha256 %s) carries no signature; sign it with intercom-gateway plugin sign", hash)
}

// loadGeneration compiles, checks and fingerprints a module.
func (g *Gateway) loadGeneration(ctx context.Context, module []byte, source string) (*generation, error) {
	plugin, err := g.runtime.Load(ctx, module, host.PluginConfig{})
	if err != nil {
		return nil, err
	}
	gen := &generation{plugin: plugin, info: plugin.Info(), module: module, loadedAt: g.opts.Now(), source: source, idle: make(chan struct{})}
	gen.outputs = fingerprint(ctx, plugin.StepFunc(ctx), g.vectors)
	return gen, nil
}

// Swap verifies a new module and, if it passes, makes it the plugin for
// new events. Events already running finish on the old plugin, which is
// closed once they are done. A refused swap leaves the old plugin serving.
func (g *Gateway) Swap(ctx context.Context, req SwapRequest) (SwapReport, error) {
	g.swapMu.Lock()
	defer g.swapMu.Unlock()
	start := time.Now()
	old := g.current.Load()
	report := SwapReport{RequestedBy: req.RequestedBy, Old: old.status(), At: g.opts.Now()}
	refuse := func(reason string, err error) (SwapReport, error) {
		report.Result, report.Reason, report.Duration = "refused", reason, time.Since(start).String()
		g.recordSwap(report)
		return report, fmt.Errorf("%w: %s", ErrSwapRefused, reason)
	}

	sum := sha256.Sum256(req.Module)
	if hex.EncodeToString(sum[:]) == old.info.SHA256 {
		report.Result, report.Reason, report.Duration = "unchanged", "the module is the plugin already in use", time.Since(start).String()
		g.recordSwap(report)
		return report, nil
	}
	if !req.skipChecks {
		if err := g.verify(req.Module, req.Signature, req.SHA256); err != nil {
			return refuse(err.Error(), err)
		}
	}
	gen, err := g.loadGeneration(ctx, req.Module, req.RequestedBy)
	if err != nil {
		return refuse(err.Error(), err)
	}
	newStatus := gen.status()
	report.New = &newStatus
	if !req.skipChecks {
		report.Differences = differences(g.vectors, old.outputs, gen.outputs)
		if len(report.Differences) > 0 && !req.AcceptDifferences {
			_ = gen.plugin.Close(ctx)
			return refuse(fmt.Sprintf("the self-test outputs of %d cases differ from the plugin in use; review them and swap again accepting the differences", len(report.Differences)), nil)
		}
	}

	g.current.Store(gen)
	g.metrics.setPlugin(gen.info)
	g.previous = old
	g.retire(old, g.cfg.ShutdownTimeout.Duration+time.Minute)
	report.Result, report.Duration = "swapped", time.Since(start).String()
	g.recordSwap(report)
	return report, nil
}

// Rollback returns to the plugin in use before the last swap.
func (g *Gateway) Rollback(ctx context.Context, requestedBy string) (SwapReport, error) {
	g.swapMu.Lock()
	prev := g.previous
	g.swapMu.Unlock()
	if prev == nil {
		return SwapReport{Result: "refused", Reason: "there is no previous plugin to roll back to", RequestedBy: requestedBy, Old: g.current.Load().status(), At: g.opts.Now()},
			fmt.Errorf("%w: there is no previous plugin to roll back to", ErrSwapRefused)
	}
	return g.Swap(ctx, SwapRequest{Module: prev.module, RequestedBy: requestedBy, skipChecks: true})
}

// recordSwap logs a swap, counts it and keeps it in the recent history.
func (g *Gateway) recordSwap(r SwapReport) {
	newVersion, newSHA := "", ""
	if r.New != nil {
		newVersion, newSHA = r.New.Version, r.New.SHA256
	}
	log := g.log.With("requested_by", r.RequestedBy, "old_version", r.Old.Version, "old_sha256", r.Old.SHA256,
		"new_version", newVersion, "new_sha256", newSHA, "result", r.Result, "duration", r.Duration)
	if r.Result == "refused" {
		log.Warn("plugin swap refused", "reason", r.Reason, "differences", len(r.Differences))
	} else {
		log.Info("plugin swap", "reason", r.Reason)
	}
	g.metrics.swaps.WithLabelValues(r.Result).Inc()
	g.swapMu2.Lock()
	g.swaps = append(g.swaps, r)
	if len(g.swaps) > 50 {
		g.swaps = g.swaps[len(g.swaps)-50:]
	}
	g.swapMu2.Unlock()
}

// SwapHistory returns the recent swaps, oldest first.
func (g *Gateway) SwapHistory() []SwapReport {
	g.swapMu2.Lock()
	defer g.swapMu2.Unlock()
	return append([]SwapReport{}, g.swaps...)
}

// observeOutcome counts a delivery for automatic rollback and rolls back a
// new plugin whose failures exceed the configured rate in its first window.
func (g *Gateway) observeOutcome(gen *generation, failed bool) {
	n := gen.deliveries.Add(1)
	f := gen.failures.Load()
	if failed {
		f = gen.failures.Add(1)
	}
	policy := g.cfg.Plugins.AutoRollback
	if policy.Window.Duration < 0 || gen.source == "startup" || g.opts.Now().Sub(gen.loadedAt) > policy.Window.Duration {
		return
	}
	if n < int64(policy.MinEvents) || float64(f)/float64(n) <= policy.MaxErrorRate {
		return
	}
	if g.current.Load() != gen || !gen.rolledBack.CompareAndSwap(false, true) {
		return
	}
	reason := fmt.Sprintf("automatic rollback: %d of the first %d deliveries failed on plugin %s (sha256 %s), above the %.0f%% limit",
		f, n, gen.info.Version, gen.info.SHA256, policy.MaxErrorRate*100)
	go func() {
		report, err := g.Rollback(context.Background(), reason)
		if err != nil {
			g.log.Error("automatic rollback failed", "reason", reason, "error", err)
			return
		}
		g.log.Error("plugin rolled back", "reason", reason, "now_version", report.New.Version, "now_sha256", report.New.SHA256)
	}()
}

// watchPlugin polls the plugin file and swaps in a changed module.
func (g *Gateway) watchPlugin(ctx context.Context) {
	interval := g.cfg.Plugins.Watch.Duration
	if interval <= 0 {
		return
	}
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	// The watcher reacts to changes of the file, not to differences from
	// the plugin in use, so a swap made another way is not undone.
	lastSeen := g.current.Load().info.SHA256
	if module, err := os.ReadFile(g.cfg.Plugin); err == nil {
		sum := sha256.Sum256(module)
		lastSeen = hex.EncodeToString(sum[:])
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
		module, err := os.ReadFile(g.cfg.Plugin)
		if err != nil {
			g.log.Warn("reading the watched plugin file failed", "file", g.cfg.Plugin, "error", err)
			continue
		}
		sum := sha256.Sum256(module)
		hash := hex.EncodeToString(sum[:])
		if hash == lastSeen {
			continue
		}
		lastSeen = hash
		signature, _ := os.ReadFile(g.cfg.Plugin + ".sig")
		_, _ = g.Swap(ctx, SwapRequest{Module: module, Signature: string(signature), RequestedBy: "file watch of " + g.cfg.Plugin})
	}
}
