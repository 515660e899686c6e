package httpapi

import (
	"slices"
	"strings"
	"sync"

	"golang.org/x/time/rate"
)

// limiters holds one rate limiter per tenant while receivers use it: every receiver instance
// that talks to the same tenant draws from the same budget, as the vendors count requests per
// tenant. An entry lives only as long as someone holds it, the way the collector shares one
// receiver instance between pipelines, so a reloaded configuration starts from its own rates.
var limiters = struct {
	sync.Mutex
	byTenant map[string]*tenantLimiter
}{byTenant: map[string]*tenantLimiter{}}

// tenantLimiter is one tenant's limiter and the rates its holders asked for.
type tenantLimiter struct {
	lim   *rate.Limiter
	rates []float64
}

// AcquireLimiter returns the limiter shared by every holder of tenant's budget, and the function
// that releases this hold (call it at Shutdown; calling it again does nothing). The limit is the
// lowest rate among the current holders, so that together they stay under every configured
// rate; when a holder releases, the limit returns to the lowest of those left. perSecond <= 0
// asks for no limit: the limiter is nil and the holder draws nothing from the budget.
func AcquireLimiter(tenant string, perSecond float64) (*rate.Limiter, func()) {
	if perSecond <= 0 {
		return nil, func() {}
	}
	key := strings.ToLower(tenant)
	limiters.Lock()
	defer limiters.Unlock()
	t, ok := limiters.byTenant[key]
	if !ok {
		t = &tenantLimiter{lim: rate.NewLimiter(rate.Limit(perSecond), 1)}
		limiters.byTenant[key] = t
	}
	t.rates = append(t.rates, perSecond)
	t.lim.SetLimit(rate.Limit(slices.Min(t.rates)))
	var once sync.Once
	return t.lim, func() { once.Do(func() { t.release(key, perSecond) }) }
}

// release drops one hold of perSecond; the last one removes the tenant's entry.
func (t *tenantLimiter) release(key string, perSecond float64) {
	limiters.Lock()
	defer limiters.Unlock()
	i := slices.Index(t.rates, perSecond)
	t.rates = slices.Delete(t.rates, i, i+1)
	if len(t.rates) == 0 {
		delete(limiters.byTenant, key)
		return
	}
	t.lim.SetLimit(rate.Limit(slices.Min(t.rates)))
}
