package simulator

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// This file holds the control actions, each as a Go method and as a /_sim/ HTTP route with the
// same meaning, so that Go tests need not speak HTTP and scripts need not link Go.

const maxRecordsPerCall = 1_000_000

// InjectFault switches a fault on and returns its ID.
func (s *Simulator) InjectFault(f Fault) (int64, error) {
	af, err := s.faults.add(f)
	if err != nil {
		return 0, err
	}
	s.log.Info("fault on", "id", af.ID, "kind", af.Kind, "vendor", af.Vendor, "endpoint", af.Endpoint,
		"status", af.Status, "retry_after", af.RetryAfter, "latency", af.Latency, "count", af.Count, "for", af.For)
	return af.ID, nil
}

// Faults lists the faults that are on.
func (s *Simulator) Faults() []ActiveFault { return s.faults.list() }

// ClearFault switches one fault off; it reports whether it was on.
func (s *Simulator) ClearFault(id int64) bool {
	ok := s.faults.clear(id)
	if ok {
		s.log.Info("fault off", "id", id)
	}
	return ok
}

// ClearFaults switches every fault off and returns how many were on.
func (s *Simulator) ClearFaults() int {
	n := s.faults.clearAll()
	s.log.Info("faults off", "count", n)
	return n
}

// RevokeTokens invalidates every CyberArk access token now; the next audit call with one gets 401.
// It returns how many unexpired tokens were revoked.
func (s *Simulator) RevokeTokens() int {
	n := s.tokens.revokeAll(s.now())
	s.log.Info("cyberark tokens revoked", "count", n)
	return n
}

// SetLatency sets the constant latency added to every request of vendor v ("" = both vendors).
func (s *Simulator) SetLatency(v Vendor, d time.Duration) error {
	if d < 0 {
		return errors.New("latency must not be negative")
	}
	vs := []Vendor{CyberArk, XSOAR}
	if v != "" {
		if _, err := parseVendor(string(v)); err != nil {
			return err
		}
		vs = []Vendor{v}
	}
	for _, x := range vs {
		s.latency[vendorIndex(x)].Store(int64(d))
		s.log.Info("latency set", "vendor", x, "latency", d)
	}
	return nil
}

// Latency returns the constant latency of vendor v.
func (s *Simulator) Latency(v Vendor) time.Duration {
	return time.Duration(s.latency[vendorIndex(v)].Load())
}

// RecordsRequest asks for records to be added now.
type RecordsRequest struct {
	Vendor Vendor
	Count  int
	// At gives all records this event time; zero means the current time. It must not be in the
	// future.
	At time.Time
	// Late gives all records the event time now - Late: late arrivals, inserted behind records
	// that were already served.
	Late time.Duration
	// Future lets At lie in the future: a record whose source clock is wrong (say, dated 2100).
	// XSOAR's upper time filter still hides such records; CyberArk's open-ended queries return them.
	Future bool
}

// AddRecords inserts req.Count records and returns their IDs (XSOAR IDs in decimal, agents'
// reports' the hash of their JSON).
func (s *Simulator) AddRecords(req RecordsRequest) ([]string, error) {
	if _, err := parseVendor(string(req.Vendor)); err != nil {
		return nil, err
	}
	if req.Count < 1 || req.Count > maxRecordsPerCall {
		return nil, fmt.Errorf("count must be between 1 and %d", maxRecordsPerCall)
	}
	if !req.At.IsZero() && req.Late != 0 {
		return nil, errors.New("give at most one of at and late")
	}
	if req.Late < 0 {
		return nil, errors.New("late must not be negative")
	}
	if !req.At.IsZero() && req.At.After(s.now()) && !req.Future {
		return nil, errors.New("at is in the future of the simulator clock")
	}
	ids := s.feed(req.Vendor).add(req.Count, s.now, func(_ int, now time.Time) time.Time {
		switch {
		case req.Future:
			return req.At
		case !req.At.IsZero() && req.At.Before(now):
			return req.At
		case req.Late > 0:
			return now.Add(-req.Late)
		}
		return now
	})
	s.log.Info("records added", "vendor", req.Vendor, "count", req.Count, "at", req.At, "late", req.Late)
	return ids, nil
}

// Burst inserts count records that share one time unit of the vendor's date filter: for CyberArk
// one second (spread over the milliseconds of the current second up to now, so some land behind
// records already stored in that second), for XSOAR one millisecond (now), for the agents'
// reports one millisecond too (spread over its microseconds up to now).
func (s *Simulator) Burst(v Vendor, count int) ([]string, error) {
	if _, err := parseVendor(string(v)); err != nil {
		return nil, err
	}
	if count < 1 || count > maxRecordsPerCall {
		return nil, fmt.Errorf("count must be between 1 and %d", maxRecordsPerCall)
	}
	ids := s.feed(v).add(count, s.now, func(i int, now time.Time) time.Time {
		switch v {
		case XSOAR:
			return now
		case XSOARAgents:
			us := now.UnixMicro()
			ms := us - us%1000
			return time.UnixMicro(ms + int64(i)*(us-ms+1)/int64(count))
		}
		ms := now.UnixMilli()
		sec := ms - ms%1000
		return time.UnixMilli(sec + int64(i)*(ms-sec+1)/int64(count))
	})
	s.log.Info("burst added", "vendor", v, "count", count)
	return ids, nil
}

// IDs returns the ID of every record the simulator holds for v, in time order.
func (s *Simulator) IDs(v Vendor) ([]string, error) { return s.IDsBetween(v, time.Time{}, time.Time{}) }

// IDsBetween returns the IDs of records with event time in [from, to], both inclusive, to the
// millisecond (to the microsecond for the agents' reports, whose times carry a fraction of a
// millisecond); a zero bound is open.
func (s *Simulator) IDsBetween(v Vendor, from, to time.Time) ([]string, error) {
	var ids []string
	err := s.between(v, from, to, func(recs []record) {
		ids = make([]string, 0, len(recs))
		for i := range recs {
			ids = append(ids, recs[i].id)
		}
	})
	return ids, err
}

// between hands fn, under the store's read lock, the records of v with event time in
// [from, to] (a zero bound is open), oldest first.
func (s *Simulator) between(v Vendor, from, to time.Time, fn func(recs []record)) error {
	if _, err := parseVendor(string(v)); err != nil {
		return err
	}
	f := s.feed(v)
	f.store.read(func(recs []record) {
		lo, hi := 0, len(recs)
		if !from.IsZero() {
			lo = lowerBound(recs, f.ticks(from))
		}
		if !to.IsZero() {
			hi = upperBound(recs, f.ticks(to))
		}
		if hi > lo {
			fn(recs[lo:hi])
		}
	})
	return nil
}

// Stats is a snapshot of what the simulator has seen and holds.
type Stats struct {
	// Requests counts vendor requests by endpoint label (cyberark.token, cyberark.createQuery,
	// cyberark.results, xsoar.management_logs, xsoar.agents_reports, xsoar.wrong_path,
	// unknown_path) and HTTP status.
	// 499 counts requests whose client left during added latency.
	Requests     map[string]map[int]int64 `json:"requests"`
	TokensIssued int64                    `json:"tokens_issued"`
	TokensActive int                      `json:"tokens_active"`
	Records      map[Vendor]int           `json:"records"`
	ActiveFaults int                      `json:"active_faults"`
}

// Stats returns the current statistics.
func (s *Simulator) Stats() Stats {
	return Stats{
		Requests:     s.stats.snapshot(),
		TokensIssued: s.stats.tokens.Load(),
		TokensActive: s.tokens.active(s.now()),
		Records:      map[Vendor]int{CyberArk: s.ca.store.len(), XSOAR: s.xs.store.len(), XSOARAgents: s.ag.store.len()},
		ActiveFaults: len(s.faults.list()),
	}
}

// ---- HTTP control API ----

type faultWire struct {
	ID         int64     `json:"id,omitempty"`
	Kind       FaultKind `json:"kind"`
	Vendor     Vendor    `json:"vendor,omitempty"`
	Endpoint   Endpoint  `json:"endpoint,omitempty"`
	Status     int       `json:"status,omitempty"`
	RetryAfter int       `json:"retry_after,omitempty"` // seconds
	Latency    string    `json:"latency,omitempty"`     // Go duration, e.g. "500ms"
	Count      int       `json:"count,omitempty"`
	Duration   string    `json:"duration,omitempty"` // Go duration, e.g. "30s"
	Remaining  int       `json:"remaining,omitempty"`
	Until      string    `json:"until,omitempty"` // RFC 3339
}

func toWire(af ActiveFault) faultWire {
	w := faultWire{
		ID: af.ID, Kind: af.Kind, Vendor: af.Vendor, Endpoint: af.Endpoint, Status: af.Status,
		RetryAfter: af.RetryAfter, Count: af.Count, Remaining: af.Remaining,
	}
	if af.Latency > 0 {
		w.Latency = af.Latency.String()
	}
	if af.For > 0 {
		w.Duration = af.For.String()
	}
	if !af.Until.IsZero() {
		w.Until = af.Until.UTC().Format(time.RFC3339Nano)
	}
	return w
}

type recordsWire struct {
	Vendor Vendor `json:"vendor"`
	Count  int    `json:"count"`
	At     string `json:"at,omitempty"`   // RFC 3339
	Late   string `json:"late,omitempty"` // Go duration
	Future bool   `json:"future,omitempty"`
}

type latencyWire struct {
	Vendor  Vendor `json:"vendor,omitempty"`
	Latency string `json:"latency"`
}

func (s *Simulator) control(w http.ResponseWriter, r *http.Request) {
	type route struct {
		method string
		fn     func(*http.Request) (any, int, error)
	}
	routes := map[string][]route{
		"/_sim/stats":         {{http.MethodGet, s.ctlStats}},
		"/_sim/ids":           {{http.MethodGet, s.ctlIDs}},
		"/_sim/records":       {{http.MethodPost, s.ctlRecords}},
		"/_sim/burst":         {{http.MethodPost, s.ctlBurst}},
		"/_sim/faults":        {{http.MethodGet, s.ctlListFaults}, {http.MethodPost, s.ctlAddFault}, {http.MethodDelete, s.ctlClearFaults}},
		"/_sim/tokens/revoke": {{http.MethodPost, s.ctlRevoke}},
		"/_sim/latency":       {{http.MethodGet, s.ctlGetLatency}, {http.MethodPost, s.ctlSetLatency}},
	}
	rs, ok := routes[r.URL.Path]
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "no such control route"})
		return
	}
	for _, rt := range rs {
		if rt.method != r.Method {
			continue
		}
		v, status, err := rt.fn(r)
		if err != nil {
			writeJSON(w, status, map[string]string{"error": err.Error()})
			return
		}
		writeJSON(w, status, v)
		return
	}
	writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"error": "method not allowed"})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	var b []byte
	if ids, ok := v.([]string); ok {
		b = appendIDs(nil, ids) // can be millions: skip reflection
	} else {
		b, _ = json.Marshal(v)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func appendIDs(b []byte, ids []string) []byte {
	b = append(b, '[')
	for i, id := range ids {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, id)
	}
	return append(b, ']')
}

// decodeStrict reads a control body, refusing unknown keys so that a typo is an error rather
// than a fault that silently never fires.
func decodeStrict(r *http.Request, v any) error {
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(r.Body); err != nil {
		return err
	}
	dec := json.NewDecoder(&buf)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("body: %w", err)
	}
	return nil
}

func parseDur(name, s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", name, err)
	}
	return d, nil
}

func (s *Simulator) ctlStats(*http.Request) (any, int, error) { return s.Stats(), http.StatusOK, nil }

func (s *Simulator) ctlIDs(r *http.Request) (any, int, error) {
	q := r.URL.Query()
	v, err := parseVendor(q.Get("vendor"))
	if err != nil {
		return nil, http.StatusBadRequest, err
	}
	var from, to time.Time
	for name, dst := range map[string]*time.Time{"from": &from, "to": &to} {
		if txt := q.Get(name); txt != "" {
			ms, err := strconv.ParseInt(txt, 10, 64)
			if err != nil {
				return nil, http.StatusBadRequest, fmt.Errorf("%s must be epoch milliseconds", name)
			}
			*dst = time.UnixMilli(ms)
		}
	}
	if !to.IsZero() { // the whole millisecond, for records with a fraction of one
		to = to.Add(time.Millisecond - time.Microsecond)
	}
	ids, err := s.IDsBetween(v, from, to)
	if err != nil {
		return nil, http.StatusBadRequest, err
	}
	if ids == nil {
		ids = []string{}
	}
	return ids, http.StatusOK, nil
}

type idsReply struct {
	Vendor Vendor   `json:"vendor"`
	Count  int      `json:"count"`
	IDs    []string `json:"ids"`
}

func (s *Simulator) ctlRecords(r *http.Request) (any, int, error) {
	var w recordsWire
	if err := decodeStrict(r, &w); err != nil {
		return nil, http.StatusBadRequest, err
	}
	req := RecordsRequest{Vendor: w.Vendor, Count: w.Count, Future: w.Future}
	if w.At != "" {
		t, err := time.Parse(time.RFC3339Nano, w.At)
		if err != nil {
			return nil, http.StatusBadRequest, fmt.Errorf("at: %w", err)
		}
		req.At = t
	}
	var err error
	if req.Late, err = parseDur("late", w.Late); err != nil {
		return nil, http.StatusBadRequest, err
	}
	ids, err := s.AddRecords(req)
	if err != nil {
		return nil, http.StatusBadRequest, err
	}
	return idsReply{w.Vendor, len(ids), ids}, http.StatusOK, nil
}

func (s *Simulator) ctlBurst(r *http.Request) (any, int, error) {
	var w struct {
		Vendor Vendor `json:"vendor"`
		Count  int    `json:"count"`
	}
	if err := decodeStrict(r, &w); err != nil {
		return nil, http.StatusBadRequest, err
	}
	ids, err := s.Burst(w.Vendor, w.Count)
	if err != nil {
		return nil, http.StatusBadRequest, err
	}
	return idsReply{w.Vendor, len(ids), ids}, http.StatusOK, nil
}

func (s *Simulator) ctlListFaults(*http.Request) (any, int, error) {
	out := []faultWire{}
	for _, af := range s.Faults() {
		out = append(out, toWire(af))
	}
	return out, http.StatusOK, nil
}

func (s *Simulator) ctlAddFault(r *http.Request) (any, int, error) {
	var w faultWire
	if err := decodeStrict(r, &w); err != nil {
		return nil, http.StatusBadRequest, err
	}
	if w.ID != 0 || w.Remaining != 0 || w.Until != "" {
		return nil, http.StatusBadRequest, errors.New("id, remaining and until are output fields")
	}
	f := Fault{Kind: w.Kind, Vendor: w.Vendor, Endpoint: w.Endpoint, Status: w.Status, RetryAfter: w.RetryAfter, Count: w.Count}
	var err error
	if f.Latency, err = parseDur("latency", w.Latency); err != nil {
		return nil, http.StatusBadRequest, err
	}
	if f.For, err = parseDur("duration", w.Duration); err != nil {
		return nil, http.StatusBadRequest, err
	}
	id, err := s.InjectFault(f)
	if err != nil {
		return nil, http.StatusBadRequest, err
	}
	for _, af := range s.Faults() {
		if af.ID == id {
			return toWire(af), http.StatusOK, nil
		}
	}
	// Already used up or expired (possible with a tiny duration); report what was asked.
	af := ActiveFault{ID: id, Fault: f}
	return toWire(af), http.StatusOK, nil
}

func (s *Simulator) ctlClearFaults(r *http.Request) (any, int, error) {
	if txt := r.URL.Query().Get("id"); txt != "" {
		id, err := strconv.ParseInt(txt, 10, 64)
		if err != nil {
			return nil, http.StatusBadRequest, errors.New("id must be an integer")
		}
		if !s.ClearFault(id) {
			return nil, http.StatusNotFound, fmt.Errorf("no active fault %d", id)
		}
		return map[string]int{"cleared": 1}, http.StatusOK, nil
	}
	return map[string]int{"cleared": s.ClearFaults()}, http.StatusOK, nil
}

func (s *Simulator) ctlRevoke(*http.Request) (any, int, error) {
	return map[string]int{"revoked": s.RevokeTokens()}, http.StatusOK, nil
}

func (s *Simulator) latencies() map[Vendor]string {
	return map[Vendor]string{CyberArk: s.Latency(CyberArk).String(), XSOAR: s.Latency(XSOAR).String()}
}

func (s *Simulator) ctlGetLatency(*http.Request) (any, int, error) {
	return s.latencies(), http.StatusOK, nil
}

func (s *Simulator) ctlSetLatency(r *http.Request) (any, int, error) {
	var w latencyWire
	if err := decodeStrict(r, &w); err != nil {
		return nil, http.StatusBadRequest, err
	}
	d, err := parseDur("latency", w.Latency)
	if err != nil {
		return nil, http.StatusBadRequest, err
	}
	if err := s.SetLatency(w.Vendor, d); err != nil {
		return nil, http.StatusBadRequest, err
	}
	return s.latencies(), http.StatusOK, nil
}
