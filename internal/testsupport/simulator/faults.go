package simulator

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"
)

// FaultKind is a kind of misbehaviour that can be switched on at run time.
type FaultKind string

const (
	// FaultStatus answers with Status (a 5xx; default 503) instead of serving the request.
	FaultStatus FaultKind = "status"
	// FaultThrottle answers 429, with Retry-After: RetryAfter seconds when RetryAfter > 0.
	FaultThrottle FaultKind = "throttle"
	// FaultLatency delays the response by Latency (on top of the constant latency).
	FaultLatency FaultKind = "latency"
	// FaultTruncate serves the real response cut in the middle, with status 200.
	FaultTruncate FaultKind = "truncate"
	// FaultHTML answers status 200 with an HTML error page, as a misrouted proxy would.
	FaultHTML FaultKind = "html"
	// FaultExpireCursor makes CyberArk results calls answer 400 as for an expired cursor.
	FaultExpireCursor FaultKind = "expire_cursor"
	// FaultOmitTotalCount leaves total_count out of XSOAR replies.
	FaultOmitTotalCount FaultKind = "omit_total_count"
	// FaultLicense answers XSOAR requests that passed authentication with 402.
	FaultLicense FaultKind = "license"
	// FaultForbidden answers XSOAR requests that passed authentication with 403 (RBAC).
	FaultForbidden FaultKind = "forbidden"
)

// Endpoint names one simulated endpoint, for faults and statistics.
type Endpoint string

const (
	EndpointToken          Endpoint = "token"           // CyberArk POST /OAuth2/Token/{app}
	EndpointCreateQuery    Endpoint = "createQuery"     // CyberArk POST /api/audits/stream/createQuery
	EndpointResults        Endpoint = "results"         // CyberArk POST /api/audits/stream/results
	EndpointManagementLogs Endpoint = "management_logs" // XSOAR POST /public_api/v1/audits/management_logs
	EndpointAgentsReports  Endpoint = "agents_reports"  // XSOAR POST /public_api/v1/audits/agents_reports
)

func endpointVendor(e Endpoint) Vendor {
	switch e {
	case EndpointToken, EndpointCreateQuery, EndpointResults:
		return CyberArk
	case EndpointManagementLogs, EndpointAgentsReports:
		return XSOAR
	}
	return ""
}

// Fault describes one fault to switch on. It applies to the next Count matching requests, or for
// For, whichever ends first; with neither it stays until cleared.
type Fault struct {
	Kind FaultKind
	// Vendor limits the fault to one vendor; "" means both for the kinds that apply to both, and
	// the only possible vendor for the others.
	Vendor Vendor
	// Endpoint limits the fault to one endpoint; "" means every endpoint of Vendor.
	Endpoint Endpoint
	// Status is the HTTP status of FaultStatus: 500, 502, 503 or another 5xx. Default 503.
	Status int
	// RetryAfter is the Retry-After of FaultThrottle in seconds; 0 sends no header.
	RetryAfter int
	// Latency is the delay of FaultLatency.
	Latency time.Duration
	// Count is how many matching requests the fault affects; 0 = not limited by count.
	Count int
	// For is how long the fault stays on; 0 = not limited by time.
	For time.Duration
}

// ActiveFault is a fault that is switched on.
type ActiveFault struct {
	ID int64
	Fault
	// Remaining is how many requests it will still affect (0 when not limited by count).
	Remaining int
	// Until is when it switches off (zero when not limited by time).
	Until time.Time
}

func (f *Fault) validate() error {
	// The agents' reports are an endpoint of the XSOAR tenant, not a vendor of their own.
	if f.Vendor == XSOARAgents {
		if f.Endpoint != "" && f.Endpoint != EndpointAgentsReports {
			return fmt.Errorf("vendor %q means endpoint %q, not %q", XSOARAgents, EndpointAgentsReports, f.Endpoint)
		}
		f.Vendor, f.Endpoint = XSOAR, EndpointAgentsReports
	}
	// Kinds that exist for one vendor only take that vendor when none is given.
	vendorOnly := func(v Vendor) error {
		if f.Vendor == "" {
			f.Vendor = v
		}
		if f.Vendor != v {
			return fmt.Errorf("fault %q applies to vendor %q only", f.Kind, v)
		}
		return nil
	}
	switch f.Kind {
	case FaultStatus:
		if f.Status == 0 {
			f.Status = 503
		}
		if f.Status < 500 || f.Status > 599 {
			return fmt.Errorf("status fault wants a 5xx status, got %d", f.Status)
		}
	case FaultThrottle:
		if f.RetryAfter < 0 {
			return errors.New("retry_after must not be negative")
		}
	case FaultLatency:
		if f.Latency <= 0 {
			return errors.New("latency fault wants a positive latency")
		}
	case FaultTruncate, FaultHTML:
	case FaultExpireCursor:
		if err := vendorOnly(CyberArk); err != nil {
			return err
		}
		if f.Endpoint != "" && f.Endpoint != EndpointResults {
			return errors.New("expire_cursor applies to the results endpoint only")
		}
	case FaultOmitTotalCount, FaultLicense, FaultForbidden:
		if err := vendorOnly(XSOAR); err != nil {
			return err
		}
	default:
		return fmt.Errorf("unknown fault kind %q", f.Kind)
	}
	if f.Vendor != "" {
		if _, err := parseVendor(string(f.Vendor)); err != nil {
			return err
		}
	}
	if f.Endpoint != "" {
		ev := endpointVendor(f.Endpoint)
		if ev == "" {
			return fmt.Errorf("unknown endpoint %q", f.Endpoint)
		}
		if f.Vendor == "" {
			f.Vendor = ev
		}
		if ev != f.Vendor {
			return fmt.Errorf("endpoint %q is not a %s endpoint", f.Endpoint, f.Vendor)
		}
	}
	if f.Count < 0 || f.For < 0 {
		return errors.New("count and duration must not be negative")
	}
	return nil
}

// faults is the registry of active faults. Time limits use real time: they describe how long an
// operator wants a misbehaviour, whatever the simulator clock says.
type faults struct {
	mu     sync.Mutex
	nextID int64
	active []*ActiveFault
}

func (fs *faults) add(f Fault) (ActiveFault, error) {
	if err := f.validate(); err != nil {
		return ActiveFault{}, err
	}
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.nextID++
	af := &ActiveFault{ID: fs.nextID, Fault: f, Remaining: f.Count}
	if f.For > 0 {
		af.Until = time.Now().Add(f.For)
	}
	fs.active = append(fs.active, af)
	return *af, nil
}

// take consumes one use of the oldest active fault of one of kinds that matches the request, and
// returns a copy of it.
func (fs *faults) take(v Vendor, e Endpoint, kinds ...FaultKind) (Fault, bool) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.expireLocked()
	for i, af := range fs.active {
		if !slices.Contains(kinds, af.Kind) || !af.matches(v, e) {
			continue
		}
		f := af.Fault
		if af.Count > 0 {
			af.Remaining--
			if af.Remaining == 0 {
				fs.active = slices.Delete(fs.active, i, i+1)
			}
		}
		return f, true
	}
	return Fault{}, false
}

// takeLatency consumes every matching latency fault and returns their total.
func (fs *faults) takeLatency(v Vendor, e Endpoint) time.Duration {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.expireLocked()
	var d time.Duration
	kept := fs.active[:0]
	for _, af := range fs.active {
		if af.Kind == FaultLatency && af.matches(v, e) {
			d += af.Latency
			if af.Count > 0 {
				af.Remaining--
				if af.Remaining == 0 {
					continue
				}
			}
		}
		kept = append(kept, af)
	}
	clear(fs.active[len(kept):])
	fs.active = kept
	return d
}

func (af *ActiveFault) matches(v Vendor, e Endpoint) bool {
	return (af.Vendor == "" || af.Vendor == v) && (af.Endpoint == "" || af.Endpoint == e)
}

func (fs *faults) expireLocked() {
	now := time.Now()
	fs.active = slices.DeleteFunc(fs.active, func(af *ActiveFault) bool {
		return !af.Until.IsZero() && !now.Before(af.Until)
	})
}

func (fs *faults) list() []ActiveFault {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.expireLocked()
	out := make([]ActiveFault, 0, len(fs.active))
	for _, af := range fs.active {
		out = append(out, *af)
	}
	return out
}

func (fs *faults) clear(id int64) bool {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	n := len(fs.active)
	fs.active = slices.DeleteFunc(fs.active, func(af *ActiveFault) bool { return af.ID == id })
	return len(fs.active) < n
}

func (fs *faults) clearAll() int {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	n := len(fs.active)
	fs.active = nil
	return n
}
