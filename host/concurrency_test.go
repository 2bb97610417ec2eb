package host

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/intercom-gateway/gateway/mapping"
)

// TestConcurrentDeliveriesShareOnePool runs many goroutines through one
// pool smaller than their number, over real HTTP, and checks every
// outcome and every step output against mapping.Step. Run it with -race.
func TestConcurrentDeliveriesShareOnePool(t *testing.T) {
	const (
		goroutines = 12
		events     = 6
		instances  = 3
	)
	f := newFakeIntercom(t)
	p := load(t, sharedRuntime(t), pluginWasm(t), PluginConfig{MaxInstances: instances})
	d := &Deliverer{Plugin: p, Sender: &httpSender{base: f.srv.URL, token: testToken}, Secrets: [][]byte{[]byte(testToken)}, Parallel: 2}
	inputs := workload(t, "-1k")
	want := make([][]byte, len(inputs))
	for i, in := range inputs {
		want[i] = mapping.Step(nil, in)
	}

	var wg sync.WaitGroup
	errs := make(chan error, goroutines*events*2)
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var out []byte
			for e := 0; e < events; e++ {
				event := []byte(fmt.Sprintf(`{"type":"track","userId":"u-%d-%d","event":"Tested","properties":{"n":%d}}`, g, e, e))
				if res := d.Deliver(context.Background(), event, testSettings, 1733337600); res.Outcome != mapping.OutcomeDelivered {
					errs <- fmt.Errorf("goroutine %d event %d ended %s: %s", g, e, res.Outcome, res.Message)
				}
				i := (g*events + e) % len(inputs)
				var err error
				if out, err = p.Step(context.Background(), out[:0], inputs[i]); err != nil {
					errs <- fmt.Errorf("goroutine %d step %d: %w", g, i, err)
				} else if !bytes.Equal(out, want[i]) {
					errs <- fmt.Errorf("goroutine %d step %d: the plugin output differs from mapping.Step", g, i)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	requests, _ := f.received()
	if len(requests) != goroutines*events {
		t.Errorf("Intercom received %d requests, want %d", len(requests), goroutines*events)
	}
	if live := p.pool.liveCount(); live > instances {
		t.Errorf("the pool holds %d instances, more than its bound of %d", live, instances)
	}
}
