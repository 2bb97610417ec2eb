package e2e

import (
	"context"
	"fmt"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/intercom-gateway/gateway/intercom/sim"
)

const (
	loadUsers   = 50
	loadPerUser = 200
)

func identifyEvent(u int) string {
	return fmt.Sprintf(`{"type":"identify","userId":"user-%d","traits":{"email":"user%d@example.com"}}`, u, u)
}

func trackEvent(u, n int) string {
	return fmt.Sprintf(`{"type":"track","messageId":"m-%d-%d","userId":"user-%d","event":"Load","timestamp":%d,"properties":{"seq":%d,"mid":"m-%d-%d"}}`,
		u, n, u, 1700000000+u*loadPerUser+n, n, u, n)
}

// identifyAll creates the contacts the tracks need and waits for them.
func identifyAll(t *testing.T, url string, rec *recorder) {
	t.Helper()
	var events []string
	for u := 0; u < loadUsers; u++ {
		events = append(events, identifyEvent(u))
	}
	if status, body, err := postBatch(context.Background(), url, events); err != nil || status != 200 {
		t.Fatalf("identify batch: %d %s %v", status, body, err)
	}
	waitFor(t, 60*time.Second, "contacts created", func() bool { return len(rec.sim.Contacts()) == loadUsers })
}

func waitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestKillDuringLoad kills the gateway with SIGKILL while 10,000 events are
// being ingested and delivered, restarts it, and checks that every
// acknowledged event reached Intercom, in order per contact, with
// duplicates only for events in flight at the kill.
func TestKillDuringLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("the kill test sends 10,000 events")
	}
	rec, simURL := newRecorder(t, sim.Options{})
	cfg := processConfig{dir: t.TempDir(), addr: freeAddr(t), simURL: simURL, token: "tok-e2e", workers: 8}
	gw := startGateway(t, cfg, "")
	identifyAll(t, gw.url, rec)

	const senders, batchSize = 4, 100
	var acked sync.Map // message id → true
	var ackedCount atomic.Int64
	restarted := make(chan struct{})
	var current atomic.Pointer[gatewayProcess]
	current.Store(gw)

	var wg sync.WaitGroup
	for s := 0; s < senders; s++ {
		wg.Add(1)
		go func(s int) {
			defer wg.Done()
			var stream []string
			var mids []string
			for n := 0; n < loadPerUser; n++ {
				for u := s; u < loadUsers; u += senders {
					stream = append(stream, trackEvent(u, n))
					mids = append(mids, fmt.Sprintf("m-%d-%d", u, n))
				}
			}
			for i := 0; i < len(stream); i += batchSize {
				end := min(i+batchSize, len(stream))
				status, _, err := postBatch(context.Background(), current.Load().url, stream[i:end])
				if err != nil || status != http.StatusOK {
					// The gateway is down: this batch is not acknowledged.
					// Wait for the restart, then go on with the next one.
					<-restarted
					continue
				}
				for _, m := range mids[i:end] {
					acked.Store(m, true)
				}
				ackedCount.Add(int64(end - i))
			}
		}(s)
	}

	waitFor(t, 120*time.Second, "4,000 acknowledged events", func() bool { return ackedCount.Load() >= 4000 })
	deliveredBeforeKill, _ := rec.snapshot()
	gw.kill()
	t.Logf("killed the gateway after %d acknowledged and %d delivered events", ackedCount.Load(), len(deliveredBeforeKill))
	gw2 := startGateway(t, cfg, "")
	current.Store(gw2)
	close(restarted)
	wg.Wait()

	total := 0
	acked.Range(func(_, _ any) bool { total++; return true })
	waitFor(t, 180*time.Second, "every acknowledged event delivered", func() bool {
		_, byMID := rec.snapshot()
		missing := 0
		acked.Range(func(k, _ any) bool {
			if byMID[k.(string)] == 0 {
				missing++
			}
			return true
		})
		return missing == 0
	})

	events, byMID := rec.snapshot()
	duplicates := 0
	for _, n := range byMID {
		duplicates += n - 1
	}
	t.Logf("%d events acknowledged, %d deliveries recorded, %d duplicates", total, len(events), duplicates)
	// In flight at the kill: an event being delivered by each worker, and
	// one delivered event per worker whose removal was not yet committed.
	if duplicates > 2*cfg.workers {
		t.Errorf("%d duplicate deliveries; at most %d events (two per worker) can be in flight at a kill", duplicates, 2*cfg.workers)
	}

	// Order per contact: the first delivery of each event follows the
	// first delivery of every earlier event of the same contact.
	last := map[string]int{}
	seen := map[string]bool{}
	for _, e := range events {
		if seen[e.mid] {
			continue
		}
		seen[e.mid] = true
		if prev, ok := last[e.user]; ok && e.seq <= prev {
			t.Fatalf("%s: event seq %d delivered after seq %d", e.user, e.seq, prev)
		}
		last[e.user] = e.seq
	}
	if err := gw2.stop(t); err != nil {
		t.Errorf("graceful stop after the test: %v\n%s", err, gw2.logs)
	}
}

// TestFullDiskAnswers503 limits the file size the gateway may write, so
// its store cannot grow, and checks that ingestion returns 503 instead of
// acknowledging events it could not store, and keeps serving.
func TestFullDiskAnswers503(t *testing.T) {
	_, simURL := newRecorder(t, sim.Options{})
	cfg := processConfig{dir: t.TempDir(), addr: freeAddr(t), simURL: simURL, token: "tok-e2e"}
	// bash counts ulimit -f in 1024-byte blocks: the store may reach 128 KiB.
	gw := startGateway(t, cfg, "ulimit -f 128;")

	big := fmt.Sprintf(`"%0200d"`, 0)
	statuses := map[int]int{}
	var lastBody string
	for i := 0; i < 200 && statuses[http.StatusServiceUnavailable] == 0; i++ {
		var batch []string
		for j := 0; j < 20; j++ {
			batch = append(batch, fmt.Sprintf(`{"type":"track","userId":"nobody-%d","event":"Fill","properties":{"pad":%s}}`, i*20+j, big))
		}
		status, body, err := postBatch(context.Background(), gw.url, batch)
		if err != nil {
			t.Fatalf("batch %d: %v\n%s", i, err, gw.logs)
		}
		statuses[status]++
		lastBody = body
	}
	if statuses[http.StatusServiceUnavailable] == 0 {
		t.Fatalf("the store never filled up: statuses %v", statuses)
	}
	t.Logf("statuses %v; last answer %s", statuses, lastBody)
	for _, want := range []string{"could not store", "retry later"} {
		if !strings.Contains(lastBody, want) {
			t.Errorf("503 body %q lacks %q", lastBody, want)
		}
	}
	resp, err := http.Get(gw.url + "/healthz")
	if err != nil {
		t.Fatalf("the gateway stopped serving after a full disk: %v", err)
	}
	resp.Body.Close()
}

// TestReadOnlyStoreAnswers503 makes the store file immutable while the
// gateway runs (chattr +i, which binds root too) and checks that ingestion
// returns 503 and acknowledges nothing it could not store.
func TestReadOnlyStoreAnswers503(t *testing.T) {
	if _, err := exec.LookPath("chattr"); err != nil {
		t.Skip("chattr is not installed")
	}
	_, simURL := newRecorder(t, sim.Options{})
	cfg := processConfig{dir: t.TempDir(), addr: freeAddr(t), simURL: simURL, token: "tok"}
	gw := startGateway(t, cfg, "")
	store := filepath.Join(cfg.dir, "data", "queue.db")
	if out, err := exec.Command("chattr", "+i", store).CombinedOutput(); err != nil {
		t.Skipf("this file system does not support chattr +i: %v %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("chattr", "-i", store).Run() })

	status, body, err := postBatch(context.Background(), gw.url, []string{`{"type":"track","userId":"u","event":"e"}`})
	if err != nil {
		t.Fatal(err)
	}
	if status != http.StatusServiceUnavailable || !strings.Contains(body, "could not store") {
		t.Fatalf("status %d body %s, want 503 naming the store", status, body)
	}
	if out, err := exec.Command("chattr", "-i", store).CombinedOutput(); err != nil {
		t.Fatalf("chattr -i: %v %s", err, out)
	}
	status, body, err = postBatch(context.Background(), gw.url, []string{`{"type":"track","userId":"u","event":"e"}`})
	if err != nil || status != http.StatusOK {
		t.Errorf("after the store became writable again: %d %s %v", status, body, err)
	}
}
