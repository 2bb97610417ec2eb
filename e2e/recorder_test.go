package e2e

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/intercom-gateway/gateway/intercom/sim"
)

// delivery is one POST /events that the simulator accepted.
type delivery struct {
	user string
	seq  int
	mid  string
}

// recorder wraps the simulator and records, in arrival order, every data
// event it accepted; the simulator's own state hides duplicates, because
// Intercom deduplicates events.
type recorder struct {
	sim *sim.Server
	// fault, when set, answers instead of the simulator.
	fault func(w http.ResponseWriter, r *http.Request) bool

	mu     sync.Mutex
	events []delivery
	byMID  map[string]int
	calls  map[int]int
}

func newRecorder(t testing.TB, opts sim.Options) (*recorder, string) {
	t.Helper()
	opts.Logger = slog.New(slog.DiscardHandler)
	if opts.TokenRateLimit == 0 {
		opts.TokenRateLimit = 1_000_000
		opts.WorkspaceRateLimit = 1_000_000
	}
	opts.MaxEvents = 1_000_000
	s, err := sim.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{sim: s, byMID: map[string]int{}, calls: map[int]int{}}
	srv := httptest.NewServer(rec)
	t.Cleanup(srv.Close)
	return rec, srv.URL
}

func (rec *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec.mu.Lock()
	fault := rec.fault
	rec.mu.Unlock()
	if fault != nil && fault(w, r) {
		rec.count(0)
		return
	}
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	cw := &statusWriter{ResponseWriter: w, status: 200}
	rec.sim.ServeHTTP(cw, r)
	rec.count(cw.status)
	if r.Method != http.MethodPost || r.URL.Path != "/events" || cw.status != http.StatusAccepted {
		return
	}
	var ev struct {
		UserID   string `json:"user_id"`
		Metadata struct {
			Seq int    `json:"seq"`
			MID string `json:"mid"`
		} `json:"metadata"`
	}
	if json.Unmarshal(body, &ev) != nil {
		return
	}
	rec.mu.Lock()
	rec.events = append(rec.events, delivery{ev.UserID, ev.Metadata.Seq, ev.Metadata.MID})
	rec.byMID[ev.Metadata.MID]++
	rec.mu.Unlock()
}

func (rec *recorder) count(status int) {
	rec.mu.Lock()
	rec.calls[status]++
	rec.mu.Unlock()
}

func (rec *recorder) setFault(f func(w http.ResponseWriter, r *http.Request) bool) {
	rec.mu.Lock()
	rec.fault = f
	rec.mu.Unlock()
}

// snapshot returns the recorded deliveries and the count per message.
func (rec *recorder) snapshot() ([]delivery, map[string]int) {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	byMID := make(map[string]int, len(rec.byMID))
	for k, v := range rec.byMID {
		byMID[k] = v
	}
	return append([]delivery(nil), rec.events...), byMID
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(status int) {
	w.status = status
	w.ResponseWriter.WriteHeader(status)
}
