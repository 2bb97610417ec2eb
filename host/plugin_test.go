package host

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/intercom-gateway/gateway/mapping"
)

// captureHandler is a slog.Handler that keeps every record, with the
// attributes of Logger.With added to it. Groups are not supported.
type captureHandler struct {
	store *captureStore
	attrs []slog.Attr
}

type captureStore struct {
	mu      sync.Mutex
	records []slog.Record
}

func newCaptureHandler() *captureHandler { return &captureHandler{store: &captureStore{}} }

func (h *captureHandler) Enabled(context.Context, slog.Level) bool { return true }

func (h *captureHandler) Handle(_ context.Context, r slog.Record) error {
	r = r.Clone()
	r.AddAttrs(h.attrs...)
	h.store.mu.Lock()
	defer h.store.mu.Unlock()
	h.store.records = append(h.store.records, r)
	return nil
}

func (h *captureHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &captureHandler{store: h.store, attrs: append(append([]slog.Attr(nil), h.attrs...), attrs...)}
}

func (h *captureHandler) WithGroup(string) slog.Handler { return h }

// messages returns the records with message msg, each as its attributes.
func (h *captureHandler) messages(msg string) []map[string]string {
	h.store.mu.Lock()
	defer h.store.mu.Unlock()
	var out []map[string]string
	for _, r := range h.store.records {
		if r.Message != msg {
			continue
		}
		attrs := map[string]string{}
		r.Attrs(func(a slog.Attr) bool {
			attrs[a.Key] = a.Value.String()
			return true
		})
		out = append(out, attrs)
	}
	return out
}

// capturingRuntime returns a runtime whose log goes to a captureHandler.
func capturingRuntime(t *testing.T) (*Runtime, *captureHandler) {
	t.Helper()
	h := newCaptureHandler()
	rt, err := NewRuntime(context.Background(), RuntimeConfig{CacheDir: testCacheDir(t), Logger: slog.New(h)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rt.Close(context.Background()) })
	return rt, h
}

func TestGuestStderrLoggedWithRateLimit(t *testing.T) {
	rt, logs := capturingRuntime(t)
	p := load(t, rt, hostileWasm(t, ""), PluginConfig{MaxInstances: 1})

	start := time.Now()
	if _, err := p.Step(context.Background(), nil, hostileInput("stderr")); err != nil {
		t.Fatal(err)
	}
	// The bucket refills while the guest writes, more so on a slow machine.
	refilled := int(time.Since(start).Seconds()*guestLinesPerSecond) + 1
	lines := logs.messages("plugin output")
	if len(lines) == 0 || len(lines) > guestLineBurst+refilled {
		t.Fatalf("%d of 500 stderr lines were logged, want between 1 and %d, the burst plus the refill", len(lines), guestLineBurst+refilled)
	}
	if lines[0]["stream"] != "stderr" || lines[0]["line"] != "hostile stderr line 0" {
		t.Errorf("first record %v, want stream stderr and the guest's first line", lines[0])
	}
	if lines[0]["plugin"] != "hostile" {
		t.Errorf("first record has plugin %q, want the plugin's name, hostile", lines[0]["plugin"])
	}

	// Each logged line reports the lines dropped since the previous one;
	// the first line of the next call reports those dropped at the end.
	time.Sleep(200 * time.Millisecond) // refills about three tokens
	if _, err := p.Step(context.Background(), nil, hostileInput("stderr")); err != nil {
		t.Fatal(err)
	}
	reports := append(lines, logs.messages("plugin output")[len(lines)])
	dropped := 0
	for _, r := range reports {
		if r["dropped_lines"] == "" {
			continue
		}
		var n int
		if _, err := fmt.Sscan(r["dropped_lines"], &n); err != nil {
			t.Fatalf("dropped_lines = %q is not a number", r["dropped_lines"])
		}
		dropped += n
	}
	if dropped != 500-len(lines) {
		t.Errorf("the records report %d dropped lines, want the %d not logged", dropped, 500-len(lines))
	}
}

func TestGuestLogTruncatesLongLines(t *testing.T) {
	h := newCaptureHandler()
	g := &guestLog{log: slog.New(h), stream: "stderr", limiter: newLineLimiter()}
	long := strings.Repeat("x", 3*maxGuestLine)
	if n, err := g.Write([]byte(long + "\npartial")); n != len(long)+8 || err != nil {
		t.Fatalf("Write = %d, %v", n, err)
	}
	g.flush()
	got := h.messages("plugin output")
	if len(got) != 2 {
		t.Fatalf("%d records, want 2", len(got))
	}
	if len(got[0]["line"]) != maxGuestLine || got[0]["truncated"] != "true" {
		t.Errorf("first record has a %d-byte line, truncated=%q; want %d bytes, truncated=true", len(got[0]["line"]), got[0]["truncated"], maxGuestLine)
	}
	if got[1]["line"] != "partial" {
		t.Errorf("second record line %q, want the unterminated rest", got[1]["line"])
	}
}

func TestPluginCloseWaitsForCalls(t *testing.T) {
	p, err := sharedRuntime(t).Load(context.Background(), hostileWasm(t, ""), PluginConfig{MaxInstances: 1, CallTimeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	stepDone := make(chan time.Time, 1)
	go func() {
		_, _ = p.Step(context.Background(), nil, hostileInput("loop"))
		stepDone <- time.Now()
	}()
	// Close only once the call holds the pool's single instance; a fixed
	// sleep was not enough on a loaded machine.
	for deadline := time.Now().Add(10 * time.Second); len(p.pool.idle) > 0; {
		if time.Now().After(deadline) {
			t.Fatal("the step call never took the instance")
		}
		time.Sleep(time.Millisecond)
	}
	closeStart := time.Now()
	if err := p.Close(context.Background()); err != nil {
		t.Fatalf("Close: %v", err)
	}
	closed := time.Now()
	select {
	case finished := <-stepDone:
		// The goroutine takes its timestamp after Step returned, which may
		// be a moment after Close saw the instance released.
		if finished.Sub(closed) > 100*time.Millisecond {
			t.Errorf("the call ended %s after Close returned", finished.Sub(closed))
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the call in flight did not end within 10 s of Close")
	}
	// The looping call runs until its 300 ms deadline, so a Close that
	// waited for it blocked for most of that time.
	if waited := closed.Sub(closeStart); waited < 100*time.Millisecond {
		t.Errorf("Close returned after %s, without waiting for the call in flight", waited)
	}
	if _, err := p.Step(context.Background(), nil, hostileInput("garbage")); !errors.Is(err, ErrClosed) {
		t.Errorf("Step after Close returned %v, want ErrClosed", err)
	}
}

func TestPluginCloseGivesUpAtContextEnd(t *testing.T) {
	p, err := sharedRuntime(t).Load(context.Background(), hostileWasm(t, ""), PluginConfig{MaxInstances: 1, CallTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	stepDone := make(chan struct{})
	go func() {
		defer close(stepDone)
		_, _ = p.Step(context.Background(), nil, hostileInput("loop"))
	}()
	// Close only once the call holds the pool's single instance.
	for deadline := time.Now().Add(10 * time.Second); len(p.pool.idle) > 0; {
		if time.Now().After(deadline) {
			t.Fatal("the step call never took the instance")
		}
		time.Sleep(time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := p.Close(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Close returned %v, want the context's deadline error", err)
	}
	// Let the call end at its own deadline before the test ends.
	select {
	case <-stepDone:
	case <-time.After(10 * time.Second):
		t.Fatal("the call in flight did not end within 10 s")
	}
}

func TestStepHonoursContext(t *testing.T) {
	p := load(t, sharedRuntime(t), hostileWasm(t, ""), PluginConfig{MaxInstances: 1, CallTimeout: 30 * time.Second})

	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := p.Step(cancelled, nil, hostileInput("loop")); !errors.Is(err, context.Canceled) {
		t.Errorf("Step with a cancelled context returned %v, want context.Canceled", err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := p.Step(ctx, nil, hostileInput("loop"))
	if !errors.Is(err, ErrDeadline) {
		t.Errorf("Step returned %v, want ErrDeadline when the context ends", err)
	}
	if elapsed := time.Since(start); elapsed > 5*time.Second {
		t.Errorf("the call stopped %v after it started; its context ended after 100ms", elapsed)
	}
}

func TestPluginReplacesGrownInstances(t *testing.T) {
	rt, logs := capturingRuntime(t)
	p := load(t, rt, pluginWasm(t), PluginConfig{MaxInstances: 1, MaxInstanceMemory: 1})
	input := workload(t, "-1k")[0]
	want := mapping.Step(nil, input)
	for i := 0; i < 3; i++ {
		got, err := p.Step(context.Background(), nil, input)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Fatalf("call %d output differs from mapping.Step", i)
		}
	}
	if n := len(logs.messages("plugin instance replaced because its memory grew")); n != 3 {
		t.Errorf("%d instances replaced, want 3", n)
	}
	if live := p.pool.liveCount(); live != 0 {
		t.Errorf("%d live instances after replacing each, want 0", live)
	}
}

func TestDeliverSendsInParallelInOrder(t *testing.T) {
	var mu sync.Mutex
	active, peak := 0, 0
	sender := SenderFunc(func(ctx context.Context, req mapping.Request) (mapping.Response, error) {
		mu.Lock()
		active++
		peak = max(peak, active)
		mu.Unlock()
		var n int
		fmt.Sscanf(req.Path, "/contacts/c-%d", &n)
		time.Sleep(time.Duration(8-n) * 5 * time.Millisecond) // later requests finish first
		mu.Lock()
		active--
		mu.Unlock()
		return mapping.Response{Status: 200 + n}, nil
	})
	d := &Deliverer{Sender: sender, Parallel: 3}
	var requests []mapping.Request
	for i := 0; i < 8; i++ {
		requests = append(requests, mapping.Request{Method: "GET", Path: fmt.Sprintf("/contacts/c-%d", i)})
	}
	responses := d.send(context.Background(), requests)
	for i, r := range responses {
		if r.Status != 200+i {
			t.Errorf("response %d has status %d, want %d", i, r.Status, 200+i)
		}
	}
	if peak != 3 {
		t.Errorf("%d requests ran at once, want the bound of 3", peak)
	}
}
