package httpapi

import (
	"strings"
	"sync"

	"golang.org/x/time/rate"
)

// limiters holds one rate limiter per tenant for the whole process: every receiver instance that
// talks to the same tenant draws from the same budget, as the vendors count requests per tenant.
var limiters = struct {
	sync.Mutex
	byTenant map[string]*rate.Limiter
}{byTenant: map[string]*rate.Limiter{}}

// SharedLimiter returns the process-wide limiter for tenant. When receivers ask for different
// rates for one tenant, the lowest wins, so that together they stay under every configured rate.
func SharedLimiter(tenant string, perSecond float64) *rate.Limiter {
	if perSecond <= 0 {
		return nil
	}
	key := strings.ToLower(tenant)
	limiters.Lock()
	defer limiters.Unlock()
	l, ok := limiters.byTenant[key]
	if !ok {
		l = rate.NewLimiter(rate.Limit(perSecond), 1)
		limiters.byTenant[key] = l
	} else if rate.Limit(perSecond) < l.Limit() {
		l.SetLimit(rate.Limit(perSecond))
	}
	return l
}
