package simulator

import (
	"math"
	"sync"
	"time"
)

// bucket is a token bucket: rate tokens per second, holding at most ceil(rate). It models the
// XSOAR tenant budget ("10 requests per second per tenant, all endpoints, all callers"), so it uses
// real time whatever the simulator clock is.
type bucket struct {
	mu     sync.Mutex
	rate   float64
	burst  float64
	tokens float64
	last   time.Time
}

func newBucket(rate float64) *bucket {
	b := math.Ceil(rate)
	return &bucket{rate: rate, burst: b, tokens: b, last: time.Now()}
}

func (b *bucket) allow() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := time.Now()
	b.tokens = min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.rate)
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}
