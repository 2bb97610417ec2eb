package sim

import (
	"fmt"
	"math/rand/v2"
	"sync"
)

// idSource generates ids from one seeded generator, so a run with a fixed
// Seed and request order is reproducible.
type idSource struct {
	mu  sync.Mutex
	rng *rand.Rand
}

func newIDSource(seed uint64) *idSource {
	if seed == 0 {
		seed = rand.Uint64()
	}
	return &idSource{rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

// objectID returns a 24-hex-digit id like Intercom's.
func (g *idSource) objectID() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return fmt.Sprintf("%08x%016x", g.rng.Uint32(), g.rng.Uint64())
}

// uuid returns a random version 4 UUID.
func (g *idSource) uuid() string {
	g.mu.Lock()
	hi, lo := g.rng.Uint64(), g.rng.Uint64()
	g.mu.Unlock()
	hi = hi&^(0xf<<12) | 0x4<<12
	lo = lo&^(0x3<<62) | 0x2<<62
	return fmt.Sprintf("%08x-%04x-%04x-%04x-%012x", hi>>32, (hi>>16)&0xffff, hi&0xffff, lo>>48, lo&0xffffffffffff)
}

// float returns a number in [0, 1).
func (g *idSource) float() float64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.rng.Float64()
}

func (g *idSource) int64n(n int64) int64 {
	if n <= 0 {
		return 0
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.rng.Int64N(n)
}
