package queue

import (
	"container/heap"
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/intercom-gateway/gateway/ingest"
)

// keyQueue is the pending events of one ordering key, oldest first.
type keyQueue struct {
	id          string
	destination string
	seqs        []uint64
	// due is when the head event may be attempted.
	due      time.Time
	inFlight bool
	// index is the position in the ready heap, or -1 when not in it.
	index int
}

// readyHeap orders the keys that can be delivered by due time, then by
// the head event's arrival.
type readyHeap []*keyQueue

func (h readyHeap) Len() int { return len(h) }
func (h readyHeap) Less(i, j int) bool {
	if !h[i].due.Equal(h[j].due) {
		return h[i].due.Before(h[j].due)
	}
	return h[i].seqs[0] < h[j].seqs[0]
}
func (h readyHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}
func (h *readyHeap) Push(x any) {
	q := x.(*keyQueue)
	q.index = len(*h)
	*h = append(*h, q)
}
func (h *readyHeap) Pop() any {
	old := *h
	q := old[len(old)-1]
	old[len(old)-1] = nil
	q.index = -1
	*h = old[:len(old)-1]
	return q
}

func orderingKey(destination, key string) string { return destination + "\x00" + key }

// enqueueLocked adds a stored event to its key's queue, keeping the queue
// sorted by sequence number.
func (s *Store) enqueueLocked(seq uint64, destination, key string, due time.Time) {
	id := orderingKey(destination, key)
	q := s.keys[id]
	if q == nil {
		q = &keyQueue{id: id, destination: destination, index: -1}
		s.keys[id] = q
	}
	i := sort.Search(len(q.seqs), func(i int) bool { return q.seqs[i] >= seq })
	q.seqs = append(q.seqs, 0)
	copy(q.seqs[i+1:], q.seqs[i:])
	q.seqs[i] = seq
	if i == 0 {
		q.due = due
	}
	s.pending++
	s.scheduleLocked(q)
}

// scheduleLocked puts a key in the ready heap, or parks it while its
// destination is paused.
func (s *Store) scheduleLocked(q *keyQueue) {
	if q.inFlight || len(q.seqs) == 0 {
		return
	}
	if _, paused := s.paused[q.destination]; paused {
		if q.index == -1 {
			s.parked[q.destination] = append(s.parked[q.destination], q)
			q.index = -2
		}
		return
	}
	if q.index >= 0 {
		heap.Fix(&s.ready, q.index)
		return
	}
	heap.Push(&s.ready, q)
}

// Lease is an event taken for delivery. Exactly one of Finish, Retry or
// Release must be called with it.
type Lease struct {
	Seq       uint64
	Event     ingest.Event
	Attempts  int
	LastError string
	queue     *keyQueue
}

// Next blocks until an event is due, takes it and returns its lease. It
// returns the context's error when ctx ends, or ErrStoreClosed.
func (s *Store) Next(ctx context.Context) (*Lease, error) {
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			return nil, ErrStoreClosed
		}
		var wait time.Duration = -1
		if s.ready.Len() > 0 {
			q := s.ready[0]
			now := s.now()
			if _, paused := s.paused[q.destination]; paused {
				heap.Pop(&s.ready)
				s.scheduleLocked(q)
				s.mu.Unlock()
				continue
			}
			if !q.due.After(now) {
				heap.Pop(&s.ready)
				q.inFlight = true
				s.inFlight++
				seq := q.seqs[0]
				s.mu.Unlock()
				lease, err := s.lease(seq, q)
				if err != nil {
					s.release(q)
					return nil, err
				}
				return lease, nil
			}
			wait = q.due.Sub(now)
		}
		changed := s.changed
		s.mu.Unlock()

		var timer <-chan time.Time
		if wait >= 0 {
			t := time.NewTimer(wait)
			defer t.Stop()
			timer = t.C
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-changed:
		case <-timer:
		}
	}
}

func (s *Store) lease(seq uint64, q *keyQueue) (*Lease, error) {
	var r record
	err := s.db.View(func(tx *bolt.Tx) error {
		data := tx.Bucket(bucketEvents).Get(seqKey(seq))
		if data == nil {
			return fmt.Errorf("pending event %d is missing from %s", seq, s.path)
		}
		var err error
		r, err = decodeRecord(seq, data)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &Lease{Seq: seq, Event: r.event(), Attempts: r.Attempts, LastError: r.LastError, queue: q}, nil
}

// release ends a lease in memory: the key becomes schedulable again.
func (s *Store) release(q *keyQueue) {
	s.mu.Lock()
	q.inFlight = false
	s.inFlight--
	s.scheduleLocked(q)
	s.broadcastLocked()
	s.mu.Unlock()
}

// Finish removes a leased event because its delivery ended. With a dead
// letter, the event is moved to the dead-letter store in the same commit.
func (s *Store) Finish(l *Lease, dead *DeadLetter) error {
	var deadData []byte
	if dead != nil {
		dead.ID = l.Seq
		var err error
		if deadData, err = json.Marshal(dead); err != nil {
			return fmt.Errorf("encode dead letter %d: %w", l.Seq, err)
		}
	}
	err := s.db.Batch(func(tx *bolt.Tx) error {
		if err := tx.Bucket(bucketEvents).Delete(seqKey(l.Seq)); err != nil {
			return err
		}
		if deadData != nil {
			return tx.Bucket(bucketDead).Put(seqKey(l.Seq), deadData)
		}
		return nil
	})
	if err != nil {
		// The event stays on disk and is delivered again after a restart.
		s.release(l.queue)
		return fmt.Errorf("remove delivered event %d from %s: %w", l.Seq, s.path, err)
	}
	s.mu.Lock()
	q := l.queue
	if len(q.seqs) > 0 && q.seqs[0] == l.Seq {
		q.seqs = q.seqs[1:]
		s.pending--
	}
	q.due = time.Time{}
	q.inFlight = false
	s.inFlight--
	if len(q.seqs) == 0 {
		delete(s.keys, q.id)
	} else {
		// Only a key's head is ever retried, so the next head has no
		// retry state and is due at once.
		s.scheduleLocked(q)
	}
	s.broadcastLocked()
	s.mu.Unlock()
	return nil
}

// Retry keeps a leased event pending and stores its retry state: it is
// attempted again at next, ahead of the key's later events.
func (s *Store) Retry(l *Lease, next time.Time, lastError string) error {
	err := s.db.Batch(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketEvents)
		data := b.Get(seqKey(l.Seq))
		if data == nil {
			return fmt.Errorf("pending event %d is missing", l.Seq)
		}
		r, err := decodeRecord(l.Seq, data)
		if err != nil {
			return err
		}
		r.Attempts = l.Attempts + 1
		r.NextAttempt = next
		r.LastError = lastError
		updated, err := json.Marshal(r)
		if err != nil {
			return err
		}
		return b.Put(seqKey(l.Seq), updated)
	})
	s.mu.Lock()
	if err == nil {
		l.queue.due = next
	}
	l.queue.inFlight = false
	s.inFlight--
	s.scheduleLocked(l.queue)
	s.broadcastLocked()
	s.mu.Unlock()
	if err != nil {
		return fmt.Errorf("store the retry state of event %d in %s: %w", l.Seq, s.path, err)
	}
	return nil
}

// Release gives a lease back unchanged, for example when the destination
// was paused or the gateway is shutting down.
func (s *Store) Release(l *Lease) { s.release(l.queue) }
