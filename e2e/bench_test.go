package e2e

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/intercom-gateway/gateway/intercom/sim"
)

// These benchmarks run the gateway binary as a process against the
// simulator in the test process. Each runs one fixed workload per
// iteration, so run them with -benchtime 1x:
//
//	go test ./e2e -run '^$' -bench . -benchtime 1x

func adminPost(b *testing.B, url, path string) {
	b.Helper()
	req, _ := http.NewRequest("POST", url+path, nil)
	req.Header.Set("Authorization", "Bearer admin-secret")
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		b.Fatalf("POST %s: %v %v", path, err, resp)
	}
	resp.Body.Close()
}

func benchGateway(b *testing.B, opts sim.Options) (*recorder, *gatewayProcess) {
	b.Helper()
	rec, simURL := newRecorder(b, opts)
	gw := startGateway(b, processConfig{dir: b.TempDir(), addr: freeAddr(b), simURL: simURL, token: "tok", workers: 32}, "")
	return rec, gw
}

// BenchmarkAckLatency offers 1,000 events per second (batches of 10 every
// 10 ms) for five seconds and reports the acknowledgement latency of the
// batches: each is synced to disk before the 200.
func BenchmarkAckLatency(b *testing.B) {
	_, gw := benchGateway(b, sim.Options{})
	for b.Loop() {
		var mu sync.Mutex
		var latencies []time.Duration
		var wg sync.WaitGroup
		ticker := time.NewTicker(10 * time.Millisecond)
		start := time.Now()
		for i := 0; i < 500; i++ {
			<-ticker.C
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				var batch []string
				for j := 0; j < 10; j++ {
					batch = append(batch, trackEvent(i%50, i*10+j))
				}
				t0 := time.Now()
				status, _, err := postBatch(context.Background(), gw.url, batch)
				if err != nil || status != http.StatusOK {
					b.Errorf("batch %d: %d %v", i, status, err)
				}
				mu.Lock()
				latencies = append(latencies, time.Since(t0))
				mu.Unlock()
			}(i)
		}
		ticker.Stop()
		wg.Wait()
		elapsed := time.Since(start)
		sort.Slice(latencies, func(i, j int) bool { return latencies[i] < latencies[j] })
		b.ReportMetric(float64(latencies[len(latencies)/2].Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(latencies[len(latencies)*99/100].Microseconds())/1000, "p99-ms")
		b.ReportMetric(5000/elapsed.Seconds(), "acked-events/s")
	}
}

// BenchmarkAckThroughput sends batches of 100 events from 8 connections
// as fast as the gateway acknowledges them.
func BenchmarkAckThroughput(b *testing.B) {
	_, gw := benchGateway(b, sim.Options{})
	for b.Loop() {
		const senders, batches = 8, 40
		var acked atomic.Int64
		var wg sync.WaitGroup
		start := time.Now()
		for s := 0; s < senders; s++ {
			wg.Add(1)
			go func(s int) {
				defer wg.Done()
				for i := 0; i < batches; i++ {
					var batch []string
					for j := 0; j < 100; j++ {
						batch = append(batch, trackEvent(s*7+j%7, i*100+j))
					}
					if status, _, err := postBatch(context.Background(), gw.url, batch); err == nil && status == http.StatusOK {
						acked.Add(100)
					}
				}
			}(s)
		}
		wg.Wait()
		b.ReportMetric(float64(acked.Load())/time.Since(start).Seconds(), "acked-events/s")
	}
}

// preload identifies users, pauses the destination, stores n tracks spread
// over the users, and returns their message ids; resuming then measures
// delivery alone.
func preload(b *testing.B, rec *recorder, gw *gatewayProcess, users, perUser int) []string {
	b.Helper()
	var identify []string
	for u := 0; u < users; u++ {
		identify = append(identify, identifyEvent(u))
	}
	for i := 0; i < len(identify); i += 500 {
		if status, body, err := postBatch(context.Background(), gw.url, identify[i:min(i+500, len(identify))]); err != nil || status != http.StatusOK {
			b.Fatalf("identify: %d %s %v", status, body, err)
		}
	}
	waitFor(b, 120*time.Second, "contacts", func() bool { return len(rec.sim.Contacts()) == users })
	adminPost(b, gw.url, "/admin/destinations/e2e/pause")
	var mids []string
	for n := 0; n < perUser; n++ {
		var batch []string
		for u := 0; u < users; u++ {
			batch = append(batch, trackEvent(u, n))
			mids = append(mids, fmt.Sprintf("m-%d-%d", u, n))
		}
		for i := 0; i < len(batch); i += 500 {
			if status, body, err := postBatch(context.Background(), gw.url, batch[i:min(i+500, len(batch))]); err != nil || status != http.StatusOK {
				b.Fatalf("tracks: %d %s %v", status, body, err)
			}
		}
	}
	return mids
}

// BenchmarkDeliveryNoRateLimit measures end-to-end deliveries per second
// of 20,000 stored tracks over 1,000 contacts, with the simulator's rate
// limit out of the way.
func BenchmarkDeliveryNoRateLimit(b *testing.B) {
	rec, gw := benchGateway(b, sim.Options{})
	for b.Loop() {
		mids := preload(b, rec, gw, 1000, 20)
		start := time.Now()
		adminPost(b, gw.url, "/admin/destinations/e2e/resume")
		waitDeliveredB(b, rec, mids, 300*time.Second)
		b.ReportMetric(float64(len(mids))/time.Since(start).Seconds(), "delivered-events/s")
	}
}

// BenchmarkDeliveryRateLimited measures deliveries per second against a
// simulator that allows 3,000 calls per 10-second window (300/s), and the
// 429 answers per 10,000 calls.
func BenchmarkDeliveryRateLimited(b *testing.B) {
	const perWindow = 3000
	rec, gw := benchGateway(b, sim.Options{TokenRateLimit: perWindow, WorkspaceRateLimit: 1_000_000})
	for b.Loop() {
		mids := preload(b, rec, gw, 500, 12)
		rec.mu.Lock()
		rec.calls = map[int]int{}
		rec.mu.Unlock()
		start := time.Now()
		adminPost(b, gw.url, "/admin/destinations/e2e/resume")
		waitDeliveredB(b, rec, mids, 300*time.Second)
		elapsed := time.Since(start).Seconds()
		rec.mu.Lock()
		calls, limited := 0, rec.calls[http.StatusTooManyRequests]
		for _, n := range rec.calls {
			calls += n
		}
		rec.mu.Unlock()
		allowed := float64(perWindow) / 10
		b.ReportMetric(float64(len(mids))/elapsed, "delivered-events/s")
		b.ReportMetric(float64(len(mids))/elapsed/allowed*100, "pct-of-allowed-rate")
		b.ReportMetric(float64(limited)*10000/float64(max(calls, 1)), "429s-per-10k-calls")
	}
}

func waitDeliveredB(b *testing.B, rec *recorder, mids []string, timeout time.Duration) {
	b.Helper()
	waitFor(b, timeout, "every event delivered", func() bool {
		_, byMID := rec.snapshot()
		for _, m := range mids {
			if byMID[m] == 0 {
				return false
			}
		}
		return true
	})
}
