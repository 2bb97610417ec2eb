package gateway_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"os"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/intercom-gateway/gateway/config"
	"github.com/intercom-gateway/gateway/gateway"
	"github.com/intercom-gateway/gateway/ingest"
	"github.com/intercom-gateway/gateway/intercom/sim"
	"github.com/intercom-gateway/gateway/internal/plugintest"
)

// benchGateway builds a gateway against an in-process simulator; cacheDir
// empty means no compilation cache on disk.
func benchGateway(b *testing.B, cacheDir string) (*gateway.Gateway, *sim.Server) {
	b.Helper()
	s, err := sim.New(sim.Options{Logger: slog.New(slog.DiscardHandler), TokenRateLimit: 1 << 30, WorkspaceRateLimit: 1 << 30, MaxEvents: 1 << 22})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(s)
	b.Cleanup(srv.Close)
	cfg, err := config.Parse([]byte(fmt.Sprintf(`{"plugin":%q,"cacheDir":%q,"dataDir":%q,"plugins":{"publicKeyFile":%q},
		"destinations":[{"name":"bench","writeKeys":["wk"],"apiKey":"tok","baseURL":%q}]}`,
		plugintest.Path(b), cacheDir, b.TempDir(), plugintest.PublicKeyFile(b), srv.URL)), func(string) (string, bool) { return "", false })
	if err != nil {
		b.Fatal(err)
	}
	g, err := gateway.New(context.Background(), cfg, gateway.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { g.Close(context.Background()) })
	return g, s
}

func modules(b *testing.B) [2]gateway.SwapRequest {
	b.Helper()
	var out [2]gateway.SwapRequest
	for i, path := range []string{plugintest.Path(b), plugintest.Variant(b, "./plugin", "-ldflags", "-X main.version=v2")} {
		module, err := os.ReadFile(path)
		if err != nil {
			b.Fatal(err)
		}
		sig, _ := os.ReadFile(path + ".sig")
		out[i] = gateway.SwapRequest{Module: module, Signature: string(sig), RequestedBy: "benchmark"}
	}
	return out
}

// BenchmarkSwapLatency swaps back and forth between two plugin versions and
// reports the p50 and p99 of one swap: verification, compile (or load from
// the disk cache), instantiation and the self-test.
func BenchmarkSwapLatency(b *testing.B) {
	for _, tc := range []struct {
		name  string
		cache bool
	}{{"disk-cache", true}, {"no-cache", false}} {
		b.Run(tc.name, func(b *testing.B) {
			cacheDir := ""
			if tc.cache {
				cacheDir = b.TempDir()
			}
			g, _ := benchGateway(b, cacheDir)
			reqs := modules(b)
			// Warm the cache with both modules first.
			for i := 0; i < 2; i++ {
				if _, err := g.Swap(context.Background(), reqs[(i+1)%2]); err != nil {
					b.Fatal(err)
				}
			}
			var latencies []time.Duration
			i := 0
			for b.Loop() {
				start := time.Now()
				if _, err := g.Swap(context.Background(), reqs[i%2]); err != nil {
					b.Fatal(err)
				}
				latencies = append(latencies, time.Since(start))
				i++
			}
			sort.Slice(latencies, func(i, j int) bool { return latencies[i] < latencies[j] })
			b.ReportMetric(float64(latencies[len(latencies)/2].Milliseconds()), "p50-ms")
			b.ReportMetric(float64(latencies[(len(latencies)*99)/100].Milliseconds()), "p99-ms")
		})
	}
}

// BenchmarkDeliverDuringSwaps delivers track events from 4 goroutines for
// two seconds, with and without a swap every 200 ms, and reports events
// per second.
func BenchmarkDeliverDuringSwaps(b *testing.B) {
	for _, swapping := range []bool{false, true} {
		name := "steady"
		if swapping {
			name = "swapping"
		}
		b.Run(name, func(b *testing.B) {
			g, s := benchGateway(b, b.TempDir())
			reqs := modules(b)
			for u := 0; u < 4; u++ {
				ev, _ := ingest.Normalize([]byte(fmt.Sprintf(`{"type":"identify","userId":"b-%d","traits":{"email":"b%d@example.com"}}`, u, u)), "", time.Now())
				ev.Destination = "bench"
				g.Deliver(context.Background(), ev)
			}
			_ = s
			for b.Loop() {
				var delivered atomic.Int64
				ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
				var wg sync.WaitGroup
				for w := 0; w < 4; w++ {
					wg.Add(1)
					go func(w int) {
						defer wg.Done()
						for n := 0; ctx.Err() == nil; n++ {
							ev, _ := ingest.Normalize([]byte(fmt.Sprintf(`{"type":"track","userId":"b-%d","event":"Bench","timestamp":%d}`, w, 1700000000+n)), "", time.Now())
							ev.Destination = "bench"
							if res := g.Deliver(context.Background(), ev); res.Outcome == "delivered" {
								delivered.Add(1)
							} else {
								b.Errorf("delivery ended %s: %s", res.Outcome, res.Message)
								return
							}
						}
					}(w)
				}
				swaps := 0
				if swapping {
					for i := 0; ctx.Err() == nil; i++ {
						if _, err := g.Swap(context.Background(), reqs[(i+1)%2]); err != nil {
							b.Error(err)
						}
						swaps++
						time.Sleep(200 * time.Millisecond)
					}
				}
				wg.Wait()
				cancel()
				b.ReportMetric(float64(delivered.Load())/2, "events/s")
				b.ReportMetric(float64(swaps), "swaps")
			}
		})
	}
}
