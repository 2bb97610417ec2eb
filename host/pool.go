package host

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
)

// pool bounds and reuses the instances of one Plugin. An instance is
// either idle in the channel or held by exactly one caller.
type pool struct {
	idle   chan *instance
	slots  chan struct{} // one token per live instance, idle or held
	create func(context.Context) (*instance, error)

	isClosed atomic.Bool
	mu       sync.Mutex
	closed   bool
	live     int
	drained  chan struct{} // closed when closed && live == 0
}

func newPool(size int, create func(context.Context) (*instance, error)) *pool {
	return &pool{
		idle:    make(chan *instance, size),
		slots:   make(chan struct{}, size),
		create:  create,
		drained: make(chan struct{}),
	}
}

// get returns an idle instance, creates one if the pool is below its
// size, or waits for one until ctx ends.
func (p *pool) get(ctx context.Context) (*instance, error) {
	if p.isClosed.Load() {
		return nil, ErrClosed
	}
	select {
	case in := <-p.idle:
		return in, nil
	default:
	}
	select {
	case in := <-p.idle:
		return in, nil
	case p.slots <- struct{}{}:
		if !p.addLive() {
			<-p.slots
			return nil, ErrClosed
		}
		in, err := p.create(ctx)
		if err != nil {
			p.removeLive()
			return nil, err
		}
		return in, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("wait for a free plugin instance: %w", ctx.Err())
	}
}

// put returns a healthy instance to the pool, or closes it if the pool is
// closed.
func (p *pool) put(in *instance) {
	p.mu.Lock()
	closed := p.closed
	p.mu.Unlock()
	if closed {
		p.discard(in)
		return
	}
	p.idle <- in // never blocks: live instances never exceed the capacity
}

// discard closes an instance and frees its slot.
func (p *pool) discard(in *instance) {
	in.close()
	p.removeLive()
}

func (p *pool) addLive() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false
	}
	p.live++
	return true
}

func (p *pool) removeLive() {
	<-p.slots
	p.mu.Lock()
	defer p.mu.Unlock()
	p.live--
	if p.closed && p.live == 0 {
		close(p.drained)
	}
}

// liveCount returns the number of instances, idle or held.
func (p *pool) liveCount() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.live
}

// close stops new instances, closes the idle ones and waits until those
// held by callers are returned or ctx ends.
func (p *pool) close(ctx context.Context) error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	p.isClosed.Store(true)
	if p.live == 0 {
		close(p.drained)
	}
	p.mu.Unlock()

	for {
		select {
		case in := <-p.idle:
			p.discard(in)
		case <-p.drained:
			return nil
		case <-ctx.Done():
			return fmt.Errorf("wait for plugin calls in flight: %w", ctx.Err())
		}
	}
}
