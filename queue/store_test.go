package queue

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/intercom-gateway/gateway/ingest"
)

func openTemp(t *testing.T) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "data", "queue.db")
	s, err := Open(path, StoreOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, path
}

func events(dest string, keys, perKey int) []ingest.Event {
	var out []ingest.Event
	for n := 0; n < perKey; n++ {
		for k := 0; k < keys; k++ {
			key := fmt.Sprintf("user-%d", k)
			out = append(out, ingest.Event{Destination: dest, Key: key, MessageID: fmt.Sprintf("%s-%d", key, n), Type: "track", Body: []byte(`{"type":"track"}`), ReceivedAt: time.Unix(1700000000, 0)})
		}
	}
	return out
}

func next(t *testing.T, s *Store) *Lease {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	l, err := s.Next(ctx)
	if err != nil {
		t.Fatalf("Next: %v", err)
	}
	return l
}

func TestStoreSurvivesReopen(t *testing.T) {
	s, path := openTemp(t)
	if err := s.Accept(context.Background(), events("d", 3, 4)); err != nil {
		t.Fatal(err)
	}
	// Deliver one, retry one, then "crash" by closing without finishing a lease.
	first := next(t, s)
	if err := s.Finish(first, nil); err != nil {
		t.Fatal(err)
	}
	retried := next(t, s)
	if err := s.Retry(retried, time.Now().Add(-time.Second), "503 from Intercom"); err != nil {
		t.Fatal(err)
	}
	_ = next(t, s) // in flight when the process stops
	s.Close()

	s2, err := Open(path, StoreOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	st, err := s2.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if st.Pending != 11 {
		t.Fatalf("pending after reopen = %d, want 11", st.Pending)
	}
	seen := map[string]bool{}
	for i := 0; i < 11; i++ {
		l := next(t, s2)
		if l.Event.MessageID == retried.Event.MessageID && (l.Attempts != 1 || l.LastError != "503 from Intercom") {
			t.Errorf("retry state lost: attempts %d, last error %q", l.Attempts, l.LastError)
		}
		seen[l.Event.MessageID] = true
		if err := s2.Finish(l, nil); err != nil {
			t.Fatal(err)
		}
	}
	if seen[first.Event.MessageID] || len(seen) != 11 {
		t.Errorf("delivered %d distinct events (first delivered again: %v)", len(seen), seen[first.Event.MessageID])
	}
}

func TestStoreOrderPerKeyWithWorkers(t *testing.T) {
	s, _ := openTemp(t)
	const keys, perKey = 10, 30
	if err := s.Accept(context.Background(), events("d", keys, perKey)); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	got := map[string][]string{}
	active := map[string]bool{}
	var wg sync.WaitGroup
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var failure error
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				total := 0
				for _, v := range got {
					total += len(v)
				}
				mu.Unlock()
				if total == keys*perKey {
					return
				}
				l, err := s.Next(ctx)
				if err != nil {
					return
				}
				mu.Lock()
				if active[l.Event.Key] {
					failure = fmt.Errorf("two leases of key %s at once", l.Event.Key)
				}
				active[l.Event.Key] = true
				mu.Unlock()
				// Every third first attempt is retried once, immediately.
				if l.Attempts == 0 && len(l.Event.MessageID)%3 == 0 {
					mu.Lock()
					active[l.Event.Key] = false
					mu.Unlock()
					_ = s.Retry(l, time.Time{}, "try again")
					continue
				}
				mu.Lock()
				got[l.Event.Key] = append(got[l.Event.Key], l.Event.MessageID)
				active[l.Event.Key] = false
				mu.Unlock()
				if err := s.Finish(l, nil); err != nil {
					failure = err
				}
			}
		}()
	}
	wg.Wait()
	if failure != nil {
		t.Fatal(failure)
	}
	for k := 0; k < keys; k++ {
		key := fmt.Sprintf("user-%d", k)
		if len(got[key]) != perKey {
			t.Fatalf("%s: %d events, want %d", key, len(got[key]), perKey)
		}
		for n, id := range got[key] {
			if id != fmt.Sprintf("%s-%d", key, n) {
				t.Fatalf("%s: position %d is %s", key, n, id)
			}
		}
	}
}

func TestStorePauseAndResume(t *testing.T) {
	s, path := openTemp(t)
	_ = s.Accept(context.Background(), append(events("a", 1, 2), events("b", 1, 1)...))
	if err := s.Pause("a", PauseInfo{Reason: "401 from Intercom", Since: time.Now()}); err != nil {
		t.Fatal(err)
	}
	l := next(t, s)
	if l.Event.Destination != "b" {
		t.Fatalf("paused destination a delivered %s", l.Event.MessageID)
	}
	_ = s.Finish(l, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	if l, err := s.Next(ctx); err == nil {
		t.Fatalf("Next returned %s of a paused destination", l.Event.MessageID)
	}
	cancel()
	s.Close()

	// The pause survives a restart.
	s2, err := Open(path, StoreOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if _, paused := s2.PauseInfo("a"); !paused {
		t.Fatal("pause lost on reopen")
	}
	if ok, err := s2.Resume("a"); !ok || err != nil {
		t.Fatalf("Resume = %v, %v", ok, err)
	}
	for i := 0; i < 2; i++ {
		l := next(t, s2)
		if l.Event.MessageID != fmt.Sprintf("user-0-%d", i) {
			t.Errorf("after resume got %s, want user-0-%d", l.Event.MessageID, i)
		}
		_ = s2.Finish(l, nil)
	}
}

func TestStoreDeadLettersAndReplay(t *testing.T) {
	s, _ := openTemp(t)
	_ = s.Accept(context.Background(), events("d", 2, 1))
	for i := 0; i < 2; i++ {
		l := next(t, s)
		dead := &DeadLetter{Destination: l.Event.Destination, MessageID: l.Event.MessageID, Key: l.Event.Key, Type: l.Event.Type,
			Outcome: "rejected", Message: "Custom attribute 'x' does not exist", Body: l.Event.Body}
		if err := s.Finish(l, dead); err != nil {
			t.Fatal(err)
		}
	}
	letters, err := s.DeadLetters(DeadLetterFilter{Outcome: "rejected"}, 0)
	if err != nil || len(letters) != 2 {
		t.Fatalf("dead letters = %d, %v", len(letters), err)
	}
	if letters[0].ID == 0 || letters[0].Message == "" {
		t.Errorf("dead letter = %+v", letters[0])
	}
	n, err := s.Replay(DeadLetterFilter{MessageID: letters[1].MessageID})
	if err != nil || n != 1 {
		t.Fatalf("Replay = %d, %v", n, err)
	}
	l := next(t, s)
	if l.Event.MessageID != letters[1].MessageID || l.Attempts != 0 {
		t.Errorf("replayed %s attempts %d", l.Event.MessageID, l.Attempts)
	}
	st, _ := s.Stats()
	if st.DeadLetters != 1 || st.Pending != 1 {
		t.Errorf("stats = %+v", st)
	}
}

func TestStoreClosedAndLocked(t *testing.T) {
	s, path := openTemp(t)
	if _, err := Open(path, StoreOptions{}); err == nil {
		t.Error("a second Open of the same file succeeded")
	}
	s.Close()
	if err := s.Accept(context.Background(), events("d", 1, 1)); !errors.Is(err, ErrStoreClosed) {
		t.Errorf("Accept after Close = %v, want ErrStoreClosed", err)
	}
	if _, err := s.Next(context.Background()); !errors.Is(err, ErrStoreClosed) {
		t.Errorf("Next after Close = %v, want ErrStoreClosed", err)
	}
}

func TestStoreRetryDueTime(t *testing.T) {
	s, _ := openTemp(t)
	_ = s.Accept(context.Background(), events("d", 1, 1))
	l := next(t, s)
	_ = s.Retry(l, time.Now().Add(150*time.Millisecond), "later")
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	if _, err := s.Next(ctx); err == nil {
		t.Error("an event was leased before its retry time")
	}
	cancel()
	if l := next(t, s); l.Attempts != 1 {
		t.Errorf("attempts = %d, want 1", l.Attempts)
	}
}
