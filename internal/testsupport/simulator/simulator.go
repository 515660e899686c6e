package simulator

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Simulator serves both vendor APIs and the control API on one loopback port.
type Simulator struct {
	opts Options
	log  *slog.Logger
	ca   *feed
	xs   *feed
	ag   *feed // agents' audit reports of the XSOAR tenant

	tokens  *tokenStore
	nonces  *nonceStore
	limiter *bucket // XSOAR tenant budget; nil when disabled
	faults  faults
	stats   stats
	latency [2]atomic.Int64 // constant latency per vendor (index by vendorIndex), ns

	cursorKey []byte // signs CyberArk cursors; random per instance

	queryMu   sync.Mutex
	lastQuery time.Time // real time of the last accepted createQuery, for QueryInterval

	mu      sync.Mutex
	started bool
	closed  bool
	srv     *http.Server
	baseURL string
	done    chan struct{}
	wg      sync.WaitGroup
}

// feed is one vendor's records and the generator that makes new ones. Making and inserting happen
// under one lock so that XSOAR AUDIT_IDs grow in insertion order and "now" never goes backwards.
type feed struct {
	vendor Vendor
	store  *store
	// unit is the store's time ticks per millisecond: 1, or 1000 for the agents' reports, whose
	// TIMESTAMP carries a fraction of a millisecond.
	unit int64

	mu     sync.Mutex
	gen    *generator
	nextID int64 // next XSOAR AUDIT_ID
}

// New builds a simulator and generates the configured backfill. It does not listen yet.
func New(opts Options) (*Simulator, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	if o.Seed == 0 {
		var b [8]byte
		_, _ = rand.Read(b[:])
		o.Seed = binary.LittleEndian.Uint64(b[:]) | 1
	}
	if o.TenantID == "" {
		o.TenantID = newGenerator(CyberArk, o.Seed, 0, newVocab(), "", "").uuid()
	}
	s := &Simulator{
		opts:      o,
		log:       o.Logger,
		tokens:    newTokenStore(),
		nonces:    newNonceStore(),
		cursorKey: make([]byte, 32),
		done:      make(chan struct{}),
	}
	_, _ = rand.Read(s.cursorKey)
	if o.XSOARRateLimit > 0 {
		s.limiter = newBucket(o.XSOARRateLimit)
	}
	s.latency[vendorIndex(CyberArk)].Store(int64(o.Latency))
	s.latency[vendorIndex(XSOAR)].Store(int64(o.Latency))
	s.ca = s.newFeed(CyberArk, 1)
	s.xs = s.newFeed(XSOAR, 2)
	s.ag = s.newFeed(XSOARAgents, 3)
	now := o.Now()
	s.ca.backfill(o.CyberArkBackfill, o.BackfillSpan, now, o.Seed, o.TenantID, o.XSOARKeyID)
	s.xs.backfill(o.XSOARBackfill, o.BackfillSpan, now, o.Seed, o.TenantID, o.XSOARKeyID)
	s.ag.backfill(o.XSOARAgentsBackfill, o.BackfillSpan, now, o.Seed, o.TenantID, o.XSOARKeyID)
	return s, nil
}

func (s *Simulator) newFeed(v Vendor, stream uint64) *feed {
	st := newStore()
	unit := int64(1)
	if v == XSOARAgents {
		unit = 1000
	}
	return &feed{
		vendor: v,
		store:  st,
		unit:   unit,
		gen:    newGenerator(v, s.opts.Seed, stream, st.vocab, s.opts.TenantID, s.opts.XSOARKeyID),
		nextID: cmp.Or(s.opts.XSOARFirstID, 100001),
	}
}

func vendorIndex(v Vendor) int {
	if v == XSOAR || v == XSOARAgents {
		return 1
	}
	return 0
}

// streamIndex tells the generators' random streams apart; vendorIndex would give the two XSOAR
// feeds the same one.
func streamIndex(v Vendor) int {
	if v == XSOARAgents {
		return 2
	}
	return vendorIndex(v)
}

func (s *Simulator) feed(v Vendor) *feed {
	switch v {
	case XSOAR:
		return s.xs
	case XSOARAgents:
		return s.ag
	}
	return s.ca
}

func (s *Simulator) now() time.Time { return s.opts.Now() }

// Start listens on Options.Listen (127.0.0.1:0 by default) and serves until Close. It returns the
// base URL, e.g. "http://127.0.0.1:43121", which is the identity URL, the CyberArk audit URL and
// the XSOAR API URL at once.
func (s *Simulator) Start() (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return "", errors.New("simulator: closed")
	}
	if s.started {
		return s.baseURL, errors.New("simulator: already started")
	}
	ln, err := (&net.ListenConfig{}).Listen(context.Background(), "tcp", s.opts.Listen)
	if err != nil {
		return "", fmt.Errorf("simulator: listen: %w", err)
	}
	s.started = true
	s.srv = &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		// Keep request logs of the standard library quiet: they could echo request lines.
		ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
	s.baseURL = "http://" + ln.Addr().String()
	s.wg.Go(func() { _ = s.srv.Serve(ln) })
	if s.opts.Rate > 0 {
		for _, f := range []*feed{s.ca, s.xs, s.ag} {
			s.wg.Go(func() { s.generate(f, s.opts.Rate) })
		}
	}
	return s.baseURL, nil
}

// URL returns the base URL once started ("" before).
func (s *Simulator) URL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.baseURL
}

// Addr returns the bound host:port once started ("" before).
func (s *Simulator) Addr() string { return strings.TrimPrefix(s.URL(), "http://") }

// Close stops serving, ends slow responses in progress, and stops the record generators. It may be
// called more than once.
func (s *Simulator) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.done)
	srv := s.srv
	s.mu.Unlock()
	var err error
	if srv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if err = srv.Shutdown(ctx); err != nil {
			err = srv.Close()
		}
	}
	s.wg.Wait()
	return err
}

// Handler returns the simulator as an http.Handler, for use without a listener (httptest,
// benchmarks). It is the Simulator itself.
func (s *Simulator) Handler() http.Handler { return s }

// generate adds rate records per second to f until Close, all stamped with the time they are made.
func (s *Simulator) generate(f *feed, rate float64) {
	interval := min(max(time.Duration(float64(time.Second)/rate), 10*time.Millisecond), 200*time.Millisecond)
	tick := time.NewTicker(interval)
	defer tick.Stop()
	start, made := time.Now(), 0
	late := mrand.New(mrand.NewPCG(s.opts.Seed, uint64(streamIndex(f.vendor)))) //nolint:gosec // test data, not secrets
	for {
		select {
		case <-s.done:
			return
		case <-tick.C:
			due := int(rate*time.Since(start).Seconds()) - made
			if due > 0 {
				f.add(due, s.now, func(_ int, now time.Time) time.Time {
					if s.opts.LateShare > 0 && late.Float64() < s.opts.LateShare {
						return now.Add(-time.Duration(late.Int64N(int64(s.opts.LateMax) + 1)))
					}
					return now
				})
				made += due
			}
		}
	}
}

// ticks is t in the store's time unit.
func (f *feed) ticks(t time.Time) int64 {
	if f.unit == 1000 {
		return t.UnixMicro()
	}
	return t.UnixMilli()
}

// add makes n records with times at(i, now) and inserts them. It returns their IDs.
func (f *feed) add(n int, now func() time.Time, at func(i int, now time.Time) time.Time) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	t := now()
	recs := make([]record, n)
	ids := make([]string, n)
	for i := range recs {
		recs[i] = f.gen.make(f.ticks(at(i, t)), f.nextID)
		f.nextID++
		ids[i] = recs[i].id
	}
	f.store.insert(recs)
	return ids
}

// backfill generates n records spread over span before now, on all CPUs, already in time order:
// record i gets a time inside the i-th of n equal slots, so no sort is needed.
func (f *feed) backfill(n int, span time.Duration, now time.Time, seed uint64, tenant, keyID string) {
	if n <= 0 {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	recs := make([]record, n)
	nowMs := f.ticks(now) // in the store's unit, as every time below
	spanMs := float64(span.Milliseconds() * f.unit)
	start := nowMs - span.Milliseconds()*f.unit
	workers := max(1, min(runtime.GOMAXPROCS(0), n/1000))
	per := (n + workers - 1) / workers
	var wg sync.WaitGroup
	for w := range workers {
		lo, hi := w*per, min(n, (w+1)*per)
		wg.Go(func() {
			g := newGenerator(f.vendor, seed, uint64(1000+w)<<8|uint64(streamIndex(f.vendor)), f.store.vocab, tenant, keyID)
			g.ar.size = bulkChunk
			for i := lo; i < hi; i++ {
				ts := start + int64((float64(i)+g.rng.Float64())*spanMs/float64(n))
				recs[i] = g.make(min(ts, nowMs), f.nextID+int64(i))
			}
		})
	}
	wg.Wait()
	f.nextID += int64(n)
	f.store.load(recs)
}

// ---- request plumbing ----

// response is what a vendor handler produces; the plumbing writes it, so that faults can replace
// or cut it and statistics see the final status.
type response struct {
	status int
	ctype  string
	header [][2]string
	body   []byte
	buf    *[]byte // pooled buffer behind body, returned after writing
}

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 64<<10); return &b }}

func getBuf() *[]byte { return bufPool.Get().(*[]byte) }

func putBuf(b *[]byte) {
	if cap(*b) > 8<<20 { // let unusually large buffers go
		return
	}
	*b = (*b)[:0]
	bufPool.Put(b)
}

func jsonResponse(status int, body []byte) response {
	return response{status: status, ctype: "application/json", body: body}
}

const maxRequestBody = 1 << 20

// ServeHTTP routes vendor requests through rate limiting, latency and faults, and /_sim/ requests
// to the control API.
func (s *Simulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxRequestBody)
	if r.URL.Path == "/_sim" || strings.HasPrefix(r.URL.Path, "/_sim/") {
		s.control(w, r)
		return
	}
	v, ep, label, h := s.route(r.URL.Path)
	resp := s.process(r, v, ep, h)
	s.stats.count(label, resp.status)
	if resp.status == 0 { // the client went away during added latency
		return
	}
	hd := w.Header()
	// Every real server sends Date; here it is the simulator's clock, which may be set apart
	// from the client's to test how a receiver copes with a vendor clock running ahead or behind.
	hd.Set("Date", s.now().UTC().Format(http.TimeFormat))
	hd.Set("Content-Type", resp.ctype)
	for _, kv := range resp.header {
		hd.Set(kv[0], kv[1])
	}
	hd.Set("Content-Length", strconv.Itoa(len(resp.body)))
	w.WriteHeader(resp.status)
	_, _ = w.Write(resp.body)
	if resp.buf != nil {
		putBuf(resp.buf)
	}
}

// route maps a path to its vendor, endpoint, statistics label and handler.
func (s *Simulator) route(path string) (Vendor, Endpoint, string, func(*http.Request) response) {
	switch {
	case strings.HasPrefix(strings.ToLower(path), "/oauth2/token/"):
		// The path is case-insensitive (clients use both spellings); the app id is not.
		return CyberArk, EndpointToken, "cyberark.token", s.handleToken
	case path == "/api/audits/stream/createQuery":
		return CyberArk, EndpointCreateQuery, "cyberark.createQuery", s.handleCreateQuery
	case path == "/api/audits/stream/results":
		return CyberArk, EndpointResults, "cyberark.results", s.handleResults
	case path == "/public_api/v1/audits/management_logs", path == "/public_api/v1/audits/management_logs/":
		return XSOAR, EndpointManagementLogs, "xsoar.management_logs", s.handleManagementLogs
	case path == "/public_api/v1/audits/agents_reports", path == "/public_api/v1/audits/agents_reports/":
		return XSOAR, EndpointAgentsReports, "xsoar.agents_reports", s.handleAgentsReports
	case path == "/xsoar" || strings.HasPrefix(path, "/xsoar/"):
		// The real API answers a wrong prefix with 500, not 404.
		return XSOAR, "", "xsoar.wrong_path", func(*http.Request) response {
			return xsoarError(http.StatusInternalServerError, "An error occurred while processing your request")
		}
	}
	return "", "", "unknown_path", func(*http.Request) response {
		return jsonResponse(http.StatusNotFound, []byte(`{"error":"not found"}`))
	}
}

// process applies, in order: the XSOAR tenant rate limit (a front door that counts every request),
// a fault that replaces the response or else the handler, truncation, and latency. Latency is
// the time from the request's arrival to the answer, the simulator's own work included, so that
// a benchmark's ideal of page_size / latency is what a client could really reach.
func (s *Simulator) process(r *http.Request, v Vendor, ep Endpoint, h func(*http.Request) response) response {
	if v == "" {
		return h(r)
	}
	arrived := time.Now()
	if v == XSOAR && s.limiter != nil && !s.limiter.allow() {
		// No Retry-After and no rate-limit headers, as reported for the real API.
		return xsoarError(http.StatusTooManyRequests, "Too many requests")
	}
	delay := time.Duration(s.latency[vendorIndex(v)].Load()) + s.faults.takeLatency(v, ep)
	resp := s.respond(r, v, ep, h)
	if delay > 0 && !s.sleepUntil(r.Context(), arrived.Add(delay)) {
		if resp.buf != nil {
			putBuf(resp.buf)
		}
		return response{}
	}
	return resp
}

func (s *Simulator) respond(r *http.Request, v Vendor, ep Endpoint, h func(*http.Request) response) response {
	if f, ok := s.faults.take(v, ep, FaultStatus, FaultThrottle, FaultHTML); ok {
		return faultResponse(v, f)
	}
	_, truncate := s.faults.take(v, ep, FaultTruncate)
	resp := h(r)
	if truncate {
		resp.status = http.StatusOK
		resp.body = resp.body[:len(resp.body)/2]
		resp.header = nil
	}
	return resp
}

// timerSlack is how late a timer may fire; sleepUntil waits the last of it out on the clock.
// On a virtual machine timers fire late by a visible share of a 20 ms latency.
const timerSlack = time.Millisecond

// sleepUntil waits until t, to within a few microseconds, unless the request or the simulator
// ends first.
func (s *Simulator) sleepUntil(ctx context.Context, t time.Time) bool {
	if d := time.Until(t) - timerSlack; d > 0 {
		timer := time.NewTimer(d)
		defer timer.Stop()
		select {
		case <-timer.C:
		case <-ctx.Done():
			return false
		case <-s.done:
			return false
		}
	}
	for time.Now().Before(t) {
		if ctx.Err() != nil {
			return false
		}
		runtime.Gosched()
	}
	return true
}

const htmlErrorPage = `<!DOCTYPE html>
<html><head><title>Service Temporarily Unavailable</title></head>
<body><h1>Service Temporarily Unavailable</h1>
<p>The server is temporarily unable to service your request. Please try again later.</p>
</body></html>
`

func faultResponse(v Vendor, f Fault) response {
	switch f.Kind {
	case FaultThrottle:
		var resp response
		if v == XSOAR {
			resp = xsoarError(http.StatusTooManyRequests, "Too many requests")
		} else {
			resp = jsonResponse(http.StatusTooManyRequests, []byte(`{"code":429,"message":"Too Many Requests","description":"rate limit exceeded"}`))
		}
		if f.RetryAfter > 0 {
			resp.header = [][2]string{{"Retry-After", strconv.Itoa(f.RetryAfter)}}
		}
		return resp
	case FaultHTML:
		return response{status: http.StatusOK, ctype: "text/html; charset=utf-8", body: []byte(htmlErrorPage)}
	}
	// FaultStatus: a 500 comes from the application, in its own error shape; 502/503/504 come from
	// a gateway in front of it, as HTML.
	if f.Status == http.StatusInternalServerError {
		if v == XSOAR {
			return xsoarError(f.Status, "Internal server error")
		}
		return jsonResponse(f.Status, []byte(`{"code":500,"message":"Internal Server Error","description":"unexpected error"}`))
	}
	text := strconv.Itoa(f.Status) + " " + http.StatusText(f.Status)
	return response{
		status: f.Status,
		ctype:  "text/html",
		body:   []byte("<html><head><title>" + text + "</title></head><body><center><h1>" + text + "</h1></center></body></html>\n"),
	}
}

// ---- statistics ----

type stats struct {
	mu       sync.Mutex
	requests map[string]map[int]int64
	tokens   atomic.Int64
}

func (st *stats) count(label string, status int) {
	if status == 0 {
		status = 499 // client closed the request, as nginx logs it
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.requests == nil {
		st.requests = map[string]map[int]int64{}
	}
	m := st.requests[label]
	if m == nil {
		m = map[int]int64{}
		st.requests[label] = m
	}
	m[status]++
}

func (st *stats) snapshot() map[string]map[int]int64 {
	st.mu.Lock()
	defer st.mu.Unlock()
	out := make(map[string]map[int]int64, len(st.requests))
	for k, m := range st.requests {
		c := make(map[int]int64, len(m))
		for s, n := range m {
			c[s] = n
		}
		out[k] = c
	}
	return out
}
