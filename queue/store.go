package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/intercom-gateway/gateway/ingest"
)

var (
	bucketEvents = []byte("events")
	bucketDead   = []byte("dead")
	bucketPaused = []byte("paused")
)

// ErrStoreClosed is returned by Store methods after Close.
var ErrStoreClosed = errors.New("the event store is closed")

// StoreOptions configure Open.
type StoreOptions struct {
	// CommitDelay is how long a commit waits to gather concurrent writes
	// into one fsync; 0 means 2 ms.
	CommitDelay time.Duration
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
}

// Store is a durable queue in a bbolt file: Accept returns only after the
// events are committed and synced to disk, and pending events survive a
// crash or restart. Delivery takes the oldest pending event of each
// ordering key (destination and contact key), one at a time per key, so a
// contact's events keep their order while different contacts run in
// parallel. Retry state is stored with each event.
type Store struct {
	db   *bolt.DB
	path string
	now  func() time.Time

	mu       sync.Mutex
	keys     map[string]*keyQueue
	ready    readyHeap
	paused   map[string]PauseInfo
	parked   map[string][]*keyQueue
	inFlight int
	pending  int
	changed  chan struct{}
	closed   bool
}

// PauseInfo records why and since when a destination stopped sending.
type PauseInfo struct {
	Reason string    `json:"reason"`
	Since  time.Time `json:"since"`
	// TokenHash is the SHA-256 of the access token when the pause began,
	// so a configuration change can resume the destination.
	TokenHash string `json:"tokenHash,omitempty"`
}

// Open opens or creates the store at path, creating its directory, and
// loads the pending events' order into memory.
func Open(path string, opts StoreOptions) (*Store, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.CommitDelay == 0 {
		opts.CommitDelay = 2 * time.Millisecond
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("create the data directory for %s: %w; set dataDir to a writable directory", path, err)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 2 * time.Second})
	if err != nil {
		if errors.Is(err, bolt.ErrTimeout) {
			return nil, fmt.Errorf("open the event store %s: another gateway process holds it; stop that process or choose another dataDir", path)
		}
		return nil, fmt.Errorf("open the event store %s: %w; check that the data directory is writable", path, err)
	}
	db.MaxBatchDelay = opts.CommitDelay
	s := &Store{db: db, path: path, now: opts.Now, keys: map[string]*keyQueue{}, paused: map[string]PauseInfo{},
		parked: map[string][]*keyQueue{}, changed: make(chan struct{})}
	if err := s.load(); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// load creates the buckets and rebuilds the in-memory order from disk.
func (s *Store) load() error {
	return s.db.Update(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{bucketEvents, bucketDead, bucketPaused} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return fmt.Errorf("create bucket %s in %s: %w", name, s.path, err)
			}
		}
		if err := tx.Bucket(bucketPaused).ForEach(func(k, v []byte) error {
			var p PauseInfo
			if err := json.Unmarshal(v, &p); err != nil {
				return fmt.Errorf("stored pause of %s is corrupt: %w", k, err)
			}
			s.paused[string(k)] = p
			return nil
		}); err != nil {
			return err
		}
		return tx.Bucket(bucketEvents).ForEach(func(k, v []byte) error {
			r, err := decodeRecord(seqOf(k), v)
			if err != nil {
				return err
			}
			s.enqueueLocked(seqOf(k), r.Destination, r.Key, r.NextAttempt)
			return nil
		})
	})
}

// Path returns the store's file.
func (s *Store) Path() string { return s.path }

// Accept stores events durably. It returns after the commit is synced, or
// with an error when nothing could be stored: a full disk, a read-only
// file system, a closed store.
func (s *Store) Accept(_ context.Context, events []ingest.Event) error {
	if len(events) == 0 {
		return nil
	}
	encoded := make([][]byte, len(events))
	for i, e := range events {
		data, err := json.Marshal(recordOf(e))
		if err != nil {
			return fmt.Errorf("encode event %s: %w", e.MessageID, err)
		}
		encoded[i] = data
	}
	var seqs []uint64
	err := s.db.Batch(func(tx *bolt.Tx) error {
		// Batch may run this function again in another transaction, so it
		// starts from scratch every time.
		seqs = seqs[:0]
		b := tx.Bucket(bucketEvents)
		for _, data := range encoded {
			seq, err := b.NextSequence()
			if err != nil {
				return err
			}
			if err := b.Put(seqKey(seq), data); err != nil {
				return err
			}
			seqs = append(seqs, seq)
		}
		return nil
	})
	if err != nil {
		if errors.Is(err, bolt.ErrDatabaseNotOpen) {
			return ErrStoreClosed
		}
		return fmt.Errorf("store %d events in %s: %w", len(events), s.path, err)
	}
	s.mu.Lock()
	for i, e := range events {
		s.enqueueLocked(seqs[i], e.Destination, e.Key, time.Time{})
	}
	s.broadcastLocked()
	s.mu.Unlock()
	return nil
}

// Close closes the store file. Leases still held stay pending on disk.
func (s *Store) Close() error {
	s.mu.Lock()
	s.closed = true
	s.broadcastLocked()
	s.mu.Unlock()
	return s.db.Close()
}

// broadcastLocked wakes every goroutine waiting in Next.
func (s *Store) broadcastLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}
