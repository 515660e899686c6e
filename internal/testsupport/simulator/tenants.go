package simulator

import (
	"cmp"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
)

// tenantIDStride separates the XSOAR AUDIT_IDs of two tenants of a fleet, so that a record ID
// names one tenant's record: more than any backlog a test or benchmark generates.
const tenantIDStride = 10_000_000

// TenantOptions returns the Options of tenant n (1-based) of many tenants run side by side:
// base, bound to the n-th loopback address counted from base's (127.0.0.1 gives tenant n
// 127.0.0.n) on base's port, with credentials, seed, tenant ID and XSOAR AUDIT_IDs of its own.
// Each secret is base's (or the default) followed by "-n": no tenant accepts another's
// credentials, and no two tenants hold the same record ID. Everything else (backlog, rate
// limits, latency) is base's; change it on the result to give one tenant its own.
func TenantOptions(base Options, n int) (Options, error) {
	if n < 1 {
		return Options{}, fmt.Errorf("tenant %d: tenants are numbered from 1", n)
	}
	o := base
	host, port, err := net.SplitHostPort(cmp.Or(base.Listen, "127.0.0.1:0"))
	if err != nil {
		return Options{}, fmt.Errorf("listen address %q: %w", base.Listen, err)
	}
	first, err := netip.ParseAddr(host)
	if err != nil || !first.Is4() || !first.IsLoopback() {
		return Options{}, fmt.Errorf("listen address %q: tenants need an IPv4 loopback address such as 127.0.0.1", base.Listen)
	}
	addr := first
	for range n - 1 {
		addr = addr.Next()
	}
	if !addr.IsLoopback() {
		return Options{}, fmt.Errorf("tenant %d: no loopback address left after %s", n, first)
	}
	o.Listen = net.JoinHostPort(addr.String(), port)
	suffix := "-" + strconv.Itoa(n)
	o.ClientID = cmp.Or(base.ClientID, DefaultClientID) + suffix
	o.ClientSecret = cmp.Or(base.ClientSecret, DefaultClientSecret) + suffix
	o.APIKey = cmp.Or(base.APIKey, DefaultAPIKey) + suffix
	o.XSOARKey = cmp.Or(base.XSOARKey, DefaultXSOARKey) + suffix
	o.XSOARKeyID = strconv.Itoa(n) // numeric, as real key IDs are
	o.WebAppID = cmp.Or(base.WebAppID, DefaultWebAppID)
	o.ExtraClients, o.ExtraXSOARKeys = nil, nil
	if base.Seed != 0 {
		o.Seed = base.Seed + uint64(n)
	}
	o.TenantID = "" // derived from the seed
	o.XSOARFirstID = cmp.Or(base.XSOARFirstID, 100001) + int64(n)*tenantIDStride
	return o, nil
}

// Fleet is many tenants, each a Simulator of its own on its own loopback address: its own
// records, credentials, rate limits, faults and listener, so that one tenant's misbehaviour
// reaches a client only through that tenant's address.
type Fleet struct {
	tenants []*Simulator
}

// NewFleet builds n tenants from base (see TenantOptions); each, when not nil, may change a
// tenant's Options before it is built. Nothing listens before Start.
func NewFleet(n int, base Options, each func(n int, o *Options)) (*Fleet, error) {
	if n < 1 {
		return nil, errors.New("a fleet needs at least one tenant")
	}
	f := &Fleet{}
	for i := 1; i <= n; i++ {
		o, err := TenantOptions(base, i)
		if err == nil && each != nil {
			each(i, &o)
		}
		var s *Simulator
		if err == nil {
			s, err = New(o)
		}
		if err != nil {
			return nil, fmt.Errorf("tenant %d: %w", i, err)
		}
		f.tenants = append(f.tenants, s)
	}
	return f, nil
}

// Start starts every tenant; on an error it closes those already started.
func (f *Fleet) Start() error {
	for i, s := range f.tenants {
		if _, err := s.Start(); err != nil {
			_ = f.Close()
			return fmt.Errorf("tenant %d: %w", i+1, err)
		}
	}
	return nil
}

// Len is the number of tenants.
func (f *Fleet) Len() int { return len(f.tenants) }

// Tenant returns tenant n, 1-based.
func (f *Fleet) Tenant(n int) *Simulator { return f.tenants[n-1] }

// Tenants returns every tenant, tenant 1 first.
func (f *Fleet) Tenants() []*Simulator { return f.tenants }

// Close closes every tenant.
func (f *Fleet) Close() error {
	var errs []error
	for _, s := range f.tenants {
		errs = append(errs, s.Close())
	}
	return errors.Join(errs...)
}

// Options returns the options the simulator runs with, defaults filled in: a test that builds a
// collector's configuration takes a tenant's credentials from here.
func (s *Simulator) Options() Options { return s.opts }
