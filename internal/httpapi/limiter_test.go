package httpapi

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func heldLimiters() int {
	limiters.Lock()
	defer limiters.Unlock()
	return len(limiters.byTenant)
}

func TestAcquireLimiterIsPerTenantAndTakesTheLowestRate(t *testing.T) {
	a, releaseA := AcquireLimiter("API-Tenant-1.example", 5)
	defer releaseA()
	b, releaseB := AcquireLimiter("api-tenant-1.example", 2)
	defer releaseB()
	assert.Same(t, a, b, "receivers on one tenant share one budget")
	assert.InDelta(t, 2.0, float64(a.Limit()), 0)
	other, releaseOther := AcquireLimiter("api-tenant-2.example", 5)
	defer releaseOther()
	assert.NotSame(t, a, other)
	off, releaseOff := AcquireLimiter("x", 0)
	releaseOff()
	assert.Nil(t, off, "0 turns the limit off")
}

// A reloaded configuration shuts every receiver down and starts the new ones: the rate they ask
// for must apply, not the lowest the process ever saw.
func TestReleasedLimiterTakesTheNewRate(t *testing.T) {
	before := heldLimiters()
	old, release := AcquireLimiter("reload.example", 2)
	release()
	release() // a second Shutdown releases nothing more
	assert.Equal(t, before, heldLimiters(), "the last release drops the tenant's entry")
	l, release := AcquireLimiter("reload.example", 8)
	defer release()
	assert.InDelta(t, 8.0, float64(l.Limit()), 0)
	assert.InDelta(t, 2.0, float64(old.Limit()), 0, "the old limiter is no longer touched")
}

func TestLimiterReturnsToTheLowestRateLeft(t *testing.T) {
	l, releaseSlow := AcquireLimiter("mixed.example", 1)
	_, releaseFast := AcquireLimiter("mixed.example", 4)
	defer releaseFast()
	_, releaseMid := AcquireLimiter("mixed.example", 3)
	assert.InDelta(t, 1.0, float64(l.Limit()), 0)
	releaseSlow()
	assert.InDelta(t, 3.0, float64(l.Limit()), 0)
	releaseMid()
	assert.InDelta(t, 4.0, float64(l.Limit()), 0)
	again, releaseAgain := AcquireLimiter("mixed.example", 6)
	defer releaseAgain()
	assert.Same(t, l, again, "held by the fast receiver: still one budget")
	assert.InDelta(t, 4.0, float64(l.Limit()), 0)
}

func TestLimiterPacesRequests(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { n.Add(1) }))
	defer srv.Close()
	lim, release := AcquireLimiter("pace.example", 50)
	defer release()
	c := newClient(t, clockwork.NewRealClock(), Settings{Limiter: lim})
	start := time.Now()
	for range 6 {
		_, err := c.Do(context.Background(), "call", get(srv.URL))
		require.NoError(t, err)
	}
	// 6 requests at 50/s with a burst of 1 need at least 5 intervals of 20 ms.
	assert.GreaterOrEqual(t, time.Since(start), 90*time.Millisecond)
	assert.EqualValues(t, 6, n.Load())
}
