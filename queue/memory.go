package queue

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"sync"

	"github.com/intercom-gateway/gateway/ingest"
)

// ErrFull is returned by Accept when a shard has no room; the ingestion API
// answers 503 so the SDK retries later.
var ErrFull = errors.New("the delivery queue is full")

// ErrClosed is returned by Accept after Close.
var ErrClosed = errors.New("the delivery queue is closed")

// Memory is a sharded in-memory queue. It does not survive a restart.
type Memory struct {
	shards []*shard
	// capacity bounds the events waiting in one shard.
	capacity int
}

type shard struct {
	mu     sync.Mutex
	ready  chan struct{}
	events []ingest.Event
	closed bool
}

// NewMemory returns a queue with the given number of shards (one per
// worker) and a per-shard capacity.
func NewMemory(shards, capacity int) *Memory {
	if shards < 1 {
		shards = 1
	}
	if capacity < 1 {
		capacity = 1
	}
	q := &Memory{capacity: capacity}
	for i := 0; i < shards; i++ {
		q.shards = append(q.shards, &shard{ready: make(chan struct{}, 1)})
	}
	return q
}

// Shards returns the number of shards; worker i drains shard i.
func (q *Memory) Shards() int { return len(q.shards) }

// ShardOf returns the shard of an event's ordering key.
func (q *Memory) ShardOf(e ingest.Event) int {
	h := fnv.New64a()
	_, _ = h.Write([]byte(e.Destination))
	_, _ = h.Write([]byte{0})
	_, _ = h.Write([]byte(e.Key))
	return int(h.Sum64() % uint64(len(q.shards)))
}

// Accept enqueues events in order. Either all events are enqueued or, when
// a shard is full or the queue closed, none is.
func (q *Memory) Accept(_ context.Context, events []ingest.Event) error {
	byShard := make(map[int][]ingest.Event)
	for _, e := range events {
		i := q.ShardOf(e)
		byShard[i] = append(byShard[i], e)
	}
	// Lock the shards in index order so concurrent batches cannot deadlock.
	locked := make([]*shard, 0, len(byShard))
	for i, s := range q.shards {
		if _, ok := byShard[i]; ok {
			s.mu.Lock()
			locked = append(locked, s)
		}
	}
	defer func() {
		for _, s := range locked {
			s.mu.Unlock()
		}
	}()
	for i, evs := range byShard {
		s := q.shards[i]
		if s.closed {
			return ErrClosed
		}
		if len(s.events)+len(evs) > q.capacity {
			return fmt.Errorf("%w: shard %d holds %d of %d events", ErrFull, i, len(s.events), q.capacity)
		}
	}
	for i, evs := range byShard {
		s := q.shards[i]
		s.events = append(s.events, evs...)
		select {
		case s.ready <- struct{}{}:
		default:
		}
	}
	return nil
}

// Peek blocks until shard i has an event and returns it without removing
// it, so a retried event stays ahead of the contact's later events. It
// returns false when the context ends or the queue is closed and drained.
func (q *Memory) Peek(ctx context.Context, i int) (ingest.Event, bool) {
	s := q.shards[i]
	for {
		s.mu.Lock()
		if len(s.events) > 0 {
			e := s.events[0]
			s.mu.Unlock()
			return e, true
		}
		closed := s.closed
		s.mu.Unlock()
		if closed {
			return ingest.Event{}, false
		}
		select {
		case <-ctx.Done():
			return ingest.Event{}, false
		case <-s.ready:
		}
	}
}

// Done removes the head event of shard i after its delivery ended.
func (q *Memory) Done(i int) {
	s := q.shards[i]
	s.mu.Lock()
	if len(s.events) > 0 {
		s.events[0] = ingest.Event{}
		s.events = s.events[1:]
	}
	s.mu.Unlock()
}

// Depth returns the number of waiting events, in-flight ones included.
func (q *Memory) Depth() int {
	n := 0
	for _, s := range q.shards {
		s.mu.Lock()
		n += len(s.events)
		s.mu.Unlock()
	}
	return n
}

// Close stops accepting events; Peek still returns what is queued.
func (q *Memory) Close() {
	for _, s := range q.shards {
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
		select {
		case s.ready <- struct{}{}:
		default:
		}
	}
}
