package queue

import (
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Stats describe the queue.
type Stats struct {
	// Pending counts stored events not yet finished, in-flight ones included.
	Pending  int `json:"pending"`
	InFlight int `json:"inFlight"`
	// OldestPending is the arrival time of the oldest pending event, zero
	// when none is pending.
	OldestPending time.Time `json:"oldestPending,omitzero"`
	DeadLetters   int       `json:"deadLetters"`
	// Paused lists paused destinations with their reason.
	Paused map[string]PauseInfo `json:"paused,omitempty"`
}

// Pending returns the number of pending events, in-flight ones included.
func (s *Store) Pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pending
}

// Stats returns the queue's counters.
func (s *Store) Stats() (Stats, error) {
	s.mu.Lock()
	st := Stats{Pending: s.pending, InFlight: s.inFlight, Paused: map[string]PauseInfo{}}
	for k, v := range s.paused {
		// The token's hash identifies the token; it stays in the store.
		v.TokenHash = ""
		st.Paused[k] = v
	}
	s.mu.Unlock()
	err := s.db.View(func(tx *bolt.Tx) error {
		st.DeadLetters = tx.Bucket(bucketDead).Stats().KeyN
		k, v := tx.Bucket(bucketEvents).Cursor().First()
		if k != nil {
			r, err := decodeRecord(seqOf(k), v)
			if err != nil {
				return err
			}
			st.OldestPending = r.ReceivedAt
		}
		return nil
	})
	return st, err
}

// Pause stops deliveries to a destination: its events stay pending and
// none is dead-lettered until Resume. The pause is stored, so it survives
// a restart.
func (s *Store) Pause(destination string, info PauseInfo) error {
	data, err := json.Marshal(info)
	if err != nil {
		return err
	}
	if err := s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketPaused).Put([]byte(destination), data)
	}); err != nil {
		return fmt.Errorf("store the pause of %s: %w", destination, err)
	}
	s.mu.Lock()
	s.paused[destination] = info
	// Keys already in the ready heap are parked when they reach its top.
	s.mu.Unlock()
	return nil
}

// Resume restarts deliveries to a paused destination. It reports whether
// the destination was paused.
func (s *Store) Resume(destination string) (bool, error) {
	s.mu.Lock()
	_, was := s.paused[destination]
	s.mu.Unlock()
	if !was {
		return false, nil
	}
	if err := s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketPaused).Delete([]byte(destination))
	}); err != nil {
		return true, fmt.Errorf("store the resume of %s: %w", destination, err)
	}
	s.mu.Lock()
	delete(s.paused, destination)
	for _, q := range s.parked[destination] {
		q.index = -1
		s.scheduleLocked(q)
	}
	delete(s.parked, destination)
	s.broadcastLocked()
	s.mu.Unlock()
	return true, nil
}

// PauseInfo returns the pause of a destination, if it is paused.
func (s *Store) PauseInfo(destination string) (PauseInfo, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.paused[destination]
	return p, ok
}

// DeadLetterFilter selects dead letters; empty fields match all.
type DeadLetterFilter struct {
	Destination string
	Outcome     string
	MessageID   string
	ID          uint64
}

func (f DeadLetterFilter) match(d DeadLetter) bool {
	return (f.Destination == "" || f.Destination == d.Destination) &&
		(f.Outcome == "" || f.Outcome == d.Outcome) &&
		(f.MessageID == "" || f.MessageID == d.MessageID) &&
		(f.ID == 0 || f.ID == d.ID)
}

// DeadLetters returns the dead letters the filter selects, oldest first,
// at most limit of them (0 means all).
func (s *Store) DeadLetters(f DeadLetterFilter, limit int) ([]DeadLetter, error) {
	var out []DeadLetter
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketDead).ForEach(func(k, v []byte) error {
			if limit > 0 && len(out) >= limit {
				return nil
			}
			var d DeadLetter
			if err := json.Unmarshal(v, &d); err != nil {
				return fmt.Errorf("dead letter %d is corrupt: %w", seqOf(k), err)
			}
			if f.match(d) {
				out = append(out, d)
			}
			return nil
		})
	})
	return out, err
}

// Replay moves the selected dead letters back to the pending events, in
// their original order, with fresh retry state. It returns how many moved.
func (s *Store) Replay(f DeadLetterFilter) (int, error) {
	type moved struct {
		seq uint64
		r   record
	}
	var done []moved
	err := s.db.Update(func(tx *bolt.Tx) error {
		done = done[:0]
		dead, events := tx.Bucket(bucketDead), tx.Bucket(bucketEvents)
		var keys [][]byte
		var letters []DeadLetter
		if err := dead.ForEach(func(k, v []byte) error {
			var d DeadLetter
			if err := json.Unmarshal(v, &d); err != nil {
				return fmt.Errorf("dead letter %d is corrupt: %w", seqOf(k), err)
			}
			if f.match(d) {
				keys = append(keys, append([]byte(nil), k...))
				letters = append(letters, d)
			}
			return nil
		}); err != nil {
			return err
		}
		for i, d := range letters {
			r := record{Destination: d.Destination, Key: d.Key, MessageID: d.MessageID, Type: d.Type, ReceivedAt: d.ReceivedAt, Body: d.Body}
			data, err := json.Marshal(r)
			if err != nil {
				return err
			}
			seq, err := events.NextSequence()
			if err != nil {
				return err
			}
			if err := events.Put(seqKey(seq), data); err != nil {
				return err
			}
			if err := dead.Delete(keys[i]); err != nil {
				return err
			}
			done = append(done, moved{seq, r})
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("replay dead letters: %w", err)
	}
	s.mu.Lock()
	for _, m := range done {
		s.enqueueLocked(m.seq, m.r.Destination, m.r.Key, time.Time{})
	}
	s.broadcastLocked()
	s.mu.Unlock()
	return len(done), nil
}
