package simulator

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

func startFleet(t *testing.T, n int, base Options, each func(int, *Options)) *Fleet {
	t.Helper()
	f, err := NewFleet(n, base, each)
	if err != nil {
		t.Fatalf("NewFleet: %v", err)
	}
	if err := f.Start(); err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { _ = f.Close() })
	return f
}

func tenantToken(t *testing.T, base string, o Options) httpResult {
	t.Helper()
	p, form := tokenForm(o.WebAppID, "grant_type", "client_credentials", "scope", CyberArkScope,
		"client_id", o.ClientID, "client_secret", o.ClientSecret)
	return postToken(t, base, p, form)
}

func TestFleetServesEachTenantOnItsOwnLoopbackAddress(t *testing.T) {
	f := startFleet(t, 3, Options{Seed: 7, CyberArkBackfill: 20, XSOARBackfill: 20}, nil)
	seen := map[string]bool{}
	for n := 1; n <= f.Len(); n++ {
		s := f.Tenant(n)
		want := "http://127.0.0." + string(rune('0'+n)) + ":"
		if !strings.HasPrefix(s.URL(), want) {
			t.Errorf("tenant %d serves %s, want %s…", n, s.URL(), want)
		}
		for _, v := range []Vendor{CyberArk, XSOAR} {
			ids, err := s.IDs(v)
			if err != nil || len(ids) != 20 {
				t.Fatalf("tenant %d %s: %d IDs, %v", n, v, len(ids), err)
			}
			for _, id := range ids {
				if seen[id] {
					t.Errorf("tenant %d %s: record ID %s also held by another tenant", n, v, id)
				}
				seen[id] = true
			}
		}
	}
	o1, o2 := f.Tenant(1).Options(), f.Tenant(2).Options()
	if o1.ClientSecret == o2.ClientSecret || o1.APIKey == o2.APIKey || o1.XSOARKey == o2.XSOARKey || o1.XSOARKeyID == o2.XSOARKeyID {
		t.Errorf("tenants 1 and 2 share a credential")
	}
	if o1.TenantID == o2.TenantID {
		t.Errorf("tenants 1 and 2 share the tenant ID %s", o1.TenantID)
	}
	if r := tenantToken(t, f.Tenant(2).URL(), o2); r.status != http.StatusOK {
		t.Errorf("tenant 2's own credentials: %d %s", r.status, r.body)
	}
	if r := tenantToken(t, f.Tenant(2).URL(), o1); r.status != http.StatusUnauthorized {
		t.Errorf("tenant 1's credentials at tenant 2: %d, want 401", r.status)
	}
	xs := newXSClient(t, f.Tenant(3).URL(), KeyAdvanced)
	xs.keyID, xs.key = f.Tenant(3).Options().XSOARKeyID, f.Tenant(3).Options().XSOARKey
	if _, recs := xs.page(xsBody(0, 100, "asc")); len(recs) != 20 {
		t.Errorf("tenant 3 XSOAR: %d records, want 20", len(recs))
	}
}

// A fault, a rate limit or latency set on one tenant reaches only that tenant's address.
func TestFleetTenantsMisbehaveAlone(t *testing.T) {
	f := startFleet(t, 2, Options{Seed: 7, XSOARBackfill: 5}, func(n int, o *Options) {
		if n == 1 {
			o.XSOARRateLimit = 1
		}
	})
	if _, err := f.Tenant(1).InjectFault(Fault{Kind: FaultThrottle, Vendor: CyberArk}); err != nil {
		t.Fatal(err)
	}
	if r := tenantToken(t, f.Tenant(1).URL(), f.Tenant(1).Options()); r.status != http.StatusTooManyRequests {
		t.Errorf("throttled tenant 1: %d, want 429", r.status)
	}
	if r := tenantToken(t, f.Tenant(2).URL(), f.Tenant(2).Options()); r.status != http.StatusOK {
		t.Errorf("tenant 2 beside a throttled tenant: %d %s", r.status, r.body)
	}
	status := func(n int) int {
		xs := newXSClient(t, f.Tenant(n).URL(), KeyAdvanced)
		xs.keyID, xs.key = f.Tenant(n).Options().XSOARKeyID, f.Tenant(n).Options().XSOARKey
		return xs.post(xsBody(0, 100, "asc")).status
	}
	for range 3 {
		status(1) // tenant 1 allows one request per second
	}
	if got := status(1); got != http.StatusTooManyRequests {
		t.Errorf("tenant 1 over its rate limit: %d, want 429", got)
	}
	for range 5 {
		if got := status(2); got != http.StatusOK {
			t.Fatalf("tenant 2 with a budget of its own: %d", got)
		}
	}
	if err := f.Tenant(1).SetLatency(XSOAR, time.Minute); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if got := status(2); got != http.StatusOK || time.Since(start) > 10*time.Second {
		t.Errorf("tenant 2 beside a slow tenant: %d after %s", got, time.Since(start))
	}
}

func TestTenantOptions(t *testing.T) {
	o, err := TenantOptions(Options{Listen: "127.0.0.1:8080", ClientSecret: "s", Seed: 1}, 12)
	if err != nil {
		t.Fatal(err)
	}
	if o.Listen != "127.0.0.12:8080" || o.ClientSecret != "s-12" || o.ClientID != DefaultClientID+"-12" ||
		o.XSOARKeyID != "12" || o.Seed != 13 || o.XSOARFirstID != 100001+12*tenantIDStride {
		t.Errorf("tenant 12: %+v", o)
	}
	if o, _ := TenantOptions(Options{Listen: "127.0.0.250:0"}, 10); o.Listen != "127.0.1.3:0" {
		t.Errorf("tenant 10 from 127.0.0.250: %s, want 127.0.1.3:0", o.Listen)
	}
	for _, bad := range []struct {
		listen string
		n      int
	}{{"127.0.0.1:0", 0}, {"[::1]:0", 1}, {"10.0.0.1:0", 1}, {"127.255.255.254:0", 3}} {
		if _, err := TenantOptions(Options{Listen: bad.listen}, bad.n); err == nil {
			t.Errorf("tenant %d from %s: no error", bad.n, bad.listen)
		}
	}
}
