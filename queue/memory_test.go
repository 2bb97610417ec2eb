package queue

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/intercom-gateway/gateway/ingest"
)

func ev(dest, key string, n int) ingest.Event {
	return ingest.Event{Destination: dest, Key: key, MessageID: fmt.Sprintf("%s-%d", key, n)}
}

func TestOrderPerKeyAcrossWorkers(t *testing.T) {
	q := NewMemory(4, 10000)
	const keys, perKey = 20, 50
	for n := 0; n < perKey; n++ {
		var batch []ingest.Event
		for k := 0; k < keys; k++ {
			batch = append(batch, ev("d", fmt.Sprintf("user-%d", k), n))
		}
		if err := q.Accept(context.Background(), batch); err != nil {
			t.Fatal(err)
		}
	}
	q.Close()

	var mu sync.Mutex
	seen := map[string][]string{}
	var wg sync.WaitGroup
	for i := 0; i < q.Shards(); i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for {
				e, ok := q.Peek(context.Background(), i)
				if !ok {
					return
				}
				mu.Lock()
				seen[e.Key] = append(seen[e.Key], e.MessageID)
				mu.Unlock()
				q.Done(i)
			}
		}(i)
	}
	wg.Wait()
	if len(seen) != keys {
		t.Fatalf("delivered %d keys, want %d", len(seen), keys)
	}
	for k, ids := range seen {
		if len(ids) != perKey {
			t.Fatalf("key %s: %d events, want %d", k, len(ids), perKey)
		}
		for n, id := range ids {
			if id != fmt.Sprintf("%s-%d", k, n) {
				t.Fatalf("key %s event %d is %s: out of order", k, n, id)
			}
		}
	}
}

func TestAcceptAllOrNothing(t *testing.T) {
	q := NewMemory(1, 2)
	if err := q.Accept(context.Background(), []ingest.Event{ev("d", "a", 0)}); err != nil {
		t.Fatal(err)
	}
	err := q.Accept(context.Background(), []ingest.Event{ev("d", "a", 1), ev("d", "a", 2)})
	if !errors.Is(err, ErrFull) {
		t.Fatalf("Accept over capacity = %v, want ErrFull", err)
	}
	if q.Depth() != 1 {
		t.Errorf("depth = %d after a rejected batch, want 1", q.Depth())
	}
	q.Close()
	if err := q.Accept(context.Background(), []ingest.Event{ev("d", "b", 0)}); !errors.Is(err, ErrClosed) {
		t.Errorf("Accept after Close = %v, want ErrClosed", err)
	}
}

func TestPeekKeepsHeadUntilDone(t *testing.T) {
	q := NewMemory(1, 10)
	_ = q.Accept(context.Background(), []ingest.Event{ev("d", "a", 0), ev("d", "a", 1)})
	first, _ := q.Peek(context.Background(), 0)
	again, _ := q.Peek(context.Background(), 0)
	if first.MessageID != again.MessageID {
		t.Fatalf("Peek moved on without Done: %s then %s", first.MessageID, again.MessageID)
	}
	q.Done(0)
	next, _ := q.Peek(context.Background(), 0)
	if next.MessageID != "a-1" {
		t.Errorf("after Done, head = %s, want a-1", next.MessageID)
	}
}

func TestPeekStopsOnContext(t *testing.T) {
	q := NewMemory(1, 10)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, ok := q.Peek(ctx, 0); ok {
		t.Error("Peek on an empty queue returned an event")
	}
}
