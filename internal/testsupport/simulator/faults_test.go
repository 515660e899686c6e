package simulator

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

func mustInject(t *testing.T, s *Simulator, f Fault) int64 {
	t.Helper()
	id, err := s.InjectFault(f)
	if err != nil {
		t.Fatalf("InjectFault(%+v): %v", f, err)
	}
	return id
}

func TestFaultStatusBurst(t *testing.T) {
	s, base := startSim(t, Options{XSOARRateLimit: noLimit})
	p, f := tokenForm(DefaultWebAppID, "grant_type", "client_credentials", "scope", CyberArkScope,
		"client_id", DefaultClientID, "client_secret", DefaultClientSecret)
	for _, st := range []int{500, 502, 503} {
		mustInject(t, s, Fault{Kind: FaultStatus, Vendor: CyberArk, Status: st, Count: 2})
		for range 2 {
			r := postToken(t, base, p, f)
			if r.status != st {
				t.Fatalf("status %d, want %d", r.status, st)
			}
			isJSON := json.Valid(r.body)
			if (st == 500) != isJSON {
				t.Fatalf("status %d body %q: a 500 comes from the app (JSON), a 502/503 from a gateway (HTML)", st, r.body)
			}
		}
		if r := postToken(t, base, p, f); r.status != http.StatusOK {
			t.Fatalf("after %d burst: status %d", st, r.status)
		}
	}

	// XSOAR, and the other vendor is not affected.
	mustInject(t, s, Fault{Kind: FaultStatus, Vendor: XSOAR, Count: 1})
	if r := postToken(t, base, p, f); r.status != http.StatusOK {
		t.Fatalf("CyberArk hit by an XSOAR fault: %d", r.status)
	}
	xs := newXSClient(t, base, KeyAdvanced)
	if r := xs.post(xsBody(0, 10, "")); r.status != http.StatusServiceUnavailable {
		t.Fatalf("XSOAR: %d, want 503 (the default)", r.status)
	}
	if r := xs.post(xsBody(0, 10, "")); r.status != http.StatusOK {
		t.Fatalf("XSOAR after the burst: %d", r.status)
	}
}

func TestFaultThrottle(t *testing.T) {
	s, base := startSim(t, Options{XSOARRateLimit: noLimit})
	c := newCAClient(t, base)
	xs := newXSClient(t, base, KeyAdvanced)
	mustInject(t, s, Fault{Kind: FaultThrottle, Vendor: CyberArk, RetryAfter: 3, Count: 1})
	mustInject(t, s, Fault{Kind: FaultThrottle, Vendor: XSOAR, Count: 1})

	r := c.post("/api/audits/stream/createQuery", `{"query":{"pageSize":10}}`)
	if r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") != "3" {
		t.Fatalf("CyberArk: %d Retry-After %q", r.status, r.header.Get("Retry-After"))
	}
	r = xs.post(xsBody(0, 10, ""))
	if r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") != "" || !strings.Contains(string(r.body), "Too many requests") {
		t.Fatalf("XSOAR: %d Retry-After %q body %s", r.status, r.header.Get("Retry-After"), r.body)
	}
	c.createQuery(`{"query":{"pageSize":10}}`)
}

func TestFaultLatency(t *testing.T) {
	s, base := startSim(t, Options{XSOARRateLimit: noLimit})
	c := newCAClient(t, base)
	const lat = 250 * time.Millisecond
	timed := func(f func()) time.Duration {
		start := time.Now()
		f()
		return time.Since(start)
	}
	q := func() { c.createQuery(`{"query":{"pageSize":10}}`) }

	mustInject(t, s, Fault{Kind: FaultLatency, Vendor: CyberArk, Endpoint: EndpointCreateQuery, Latency: lat, Count: 1})
	if d := timed(q); d < lat {
		t.Fatalf("latency fault: took %v, want >= %v", d, lat)
	}
	if d := timed(q); d >= lat {
		t.Fatalf("after the latency fault: took %v", d)
	}

	if err := s.SetLatency(CyberArk, lat); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if d := timed(q); d < lat {
			t.Fatalf("constant latency: took %v, want >= %v", d, lat)
		}
	}
	xs := newXSClient(t, base, KeyAdvanced)
	if d := timed(func() { xs.page(xsBody(0, 10, "")) }); d >= lat {
		t.Fatalf("XSOAR slowed by CyberArk latency: %v", d)
	}
	if err := s.SetLatency("", 0); err != nil {
		t.Fatal(err)
	}
	if d := timed(q); d >= lat {
		t.Fatalf("latency reset: took %v", d)
	}
}

func TestFaultTruncateAndHTML(t *testing.T) {
	s, base := startSim(t, Options{XSOARRateLimit: noLimit, XSOARBackfill: 20})
	xs := newXSClient(t, base, KeyAdvanced)
	full := xs.post(xsBody(0, 100, ""))

	mustInject(t, s, Fault{Kind: FaultTruncate, Vendor: XSOAR, Count: 1})
	r := xs.post(xsBody(0, 100, ""))
	if r.status != http.StatusOK || json.Valid(r.body) || len(r.body) >= len(full.body) || len(r.body) < len(full.body)/3 {
		t.Fatalf("truncate: status %d, %d of %d bytes, valid JSON %v", r.status, len(r.body), len(full.body), json.Valid(r.body))
	}

	mustInject(t, s, Fault{Kind: FaultHTML, Vendor: XSOAR, Count: 1})
	r = xs.post(xsBody(0, 100, ""))
	if r.status != http.StatusOK || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") || json.Valid(r.body) {
		t.Fatalf("html: status %d type %q", r.status, r.header.Get("Content-Type"))
	}

	if r := xs.post(xsBody(0, 100, "")); r.status != http.StatusOK || !json.Valid(r.body) {
		t.Fatalf("after the faults: %d", r.status)
	}
}

func TestFaultExpireCursorAndEndpointScope(t *testing.T) {
	s, base := startSim(t, Options{CyberArkBackfill: 20})
	c := newCAClient(t, base)
	cur := c.createQuery(`{"query":{"pageSize":10}}`)

	mustInject(t, s, Fault{Kind: FaultExpireCursor, Vendor: CyberArk, Count: 1})
	c.createQuery(`{"query":{"pageSize":10}}`) // createQuery is not affected
	if _, r := c.results(cur); r.status != http.StatusBadRequest {
		t.Fatalf("expired cursor: %d, want 400", r.status)
	}
	if p, r := c.results(cur); r.status != http.StatusOK || len(p.Data) != 10 {
		t.Fatalf("the fault was for one call: %d", r.status)
	}

	mustInject(t, s, Fault{Kind: FaultStatus, Endpoint: EndpointResults, Status: 502, Count: 1})
	c.createQuery(`{"query":{"pageSize":10}}`)
	if _, r := c.results(cur); r.status != http.StatusBadGateway {
		t.Fatalf("results with a 502 fault: %d", r.status)
	}
}

func TestFaultOmitTotalCount(t *testing.T) {
	s, base := startSim(t, Options{XSOARRateLimit: noLimit, XSOARBackfill: 5})
	xs := newXSClient(t, base, KeyAdvanced)
	mustInject(t, s, Fault{Kind: FaultOmitTotalCount, Vendor: XSOAR, Count: 1})
	rep, recs := xs.page(xsBody(0, 100, ""))
	if rep.Reply.TotalCount != nil || len(recs) != 5 {
		t.Fatalf("total_count %v with %d records, want it absent", rep.Reply.TotalCount, len(recs))
	}
	if rep, _ := xs.page(xsBody(0, 100, "")); rep.Reply.TotalCount == nil || *rep.Reply.TotalCount != 5 {
		t.Fatal("total_count should be back")
	}
}

func TestFaultDuration(t *testing.T) {
	s, base := startSim(t, Options{})
	c := newCAClient(t, base)
	on := time.Now()
	mustInject(t, s, Fault{Kind: FaultStatus, Vendor: CyberArk, For: 500 * time.Millisecond})
	for range 2 {
		if r := c.post("/api/audits/stream/createQuery", `{"query":{}}`); r.status != 503 && time.Since(on) < 450*time.Millisecond {
			t.Fatalf("during the fault: %d", r.status)
		}
	}
	time.Sleep(time.Until(on.Add(600 * time.Millisecond)))
	c.createQuery(`{"query":{}}`)
	if n := len(s.Faults()); n != 0 {
		t.Fatalf("%d faults still listed after expiry", n)
	}
}

func TestFaultValidation(t *testing.T) {
	s, _ := startSim(t, Options{})
	for _, f := range []Fault{
		{Kind: "explode"},
		{Kind: FaultStatus, Status: 404},
		{Kind: FaultExpireCursor, Vendor: XSOAR},
		{Kind: FaultExpireCursor, Vendor: CyberArk, Endpoint: EndpointToken},
		{Kind: FaultOmitTotalCount, Vendor: CyberArk},
		{Kind: FaultLicense, Vendor: CyberArk},
		{Kind: FaultLatency},
		{Kind: FaultStatus, Vendor: XSOAR, Endpoint: EndpointResults},
		{Kind: FaultStatus, Vendor: "other"},
		{Kind: FaultThrottle, Count: -1},
	} {
		if _, err := s.InjectFault(f); err == nil {
			t.Errorf("InjectFault(%+v) accepted an invalid fault", f)
		}
	}
	if n := len(s.Faults()); n != 0 {
		t.Fatalf("%d invalid faults were registered", n)
	}
	// A vendor-specific kind without a vendor gets its vendor.
	if _, err := s.InjectFault(Fault{Kind: FaultExpireCursor}); err != nil {
		t.Fatal(err)
	}
	if f := s.Faults(); len(f) != 1 || f[0].Vendor != CyberArk || f[0].Endpoint != "" {
		t.Fatalf("expire_cursor without vendor registered as %+v", f)
	}
}

func TestBurst(t *testing.T) {
	clock := newFakeClock()
	clock.Add(730 * time.Millisecond) // now is 12:00:00.730
	s, base := startSim(t, Options{Now: clock.Now, XSOARRateLimit: noLimit})
	now := clock.Now()

	ids, err := s.Burst(CyberArk, 1000)
	if err != nil || len(ids) != 1000 {
		t.Fatalf("Burst: %d ids, %v", len(ids), err)
	}
	c := newCAClient(t, base)
	got, _ := c.drain(c.createQuery(`{"query":{"pageSize":500,"sortModel":[{"field_name":"timestamp","direction":"asc"}]}}`))
	ms := map[int64]bool{}
	for _, e := range got {
		if e.Timestamp/1000 != now.Unix() || e.Timestamp > now.UnixMilli() {
			t.Fatalf("burst event at %d is not in the second %d up to now", e.Timestamp, now.Unix())
		}
		ms[e.Timestamp] = true
	}
	if len(got) != 1000 || len(ms) < 100 {
		t.Fatalf("%d events over %d distinct milliseconds", len(got), len(ms))
	}

	xids, err := s.Burst(XSOAR, 250)
	if err != nil {
		t.Fatal(err)
	}
	xs := newXSClient(t, base, KeyAdvanced)
	xs.now = clock.Now
	rep, recs := xs.page(xsBody(0, 100, "asc", tsFilter("gte", now), tsFilter("lte", now)))
	if *rep.Reply.TotalCount != 250 {
		t.Fatalf("%d XSOAR records in the burst millisecond, want 250", *rep.Reply.TotalCount)
	}
	if !slices.Equal(xsIDs(recs), xids[:100]) {
		t.Fatal("burst records sharing one millisecond are not in AUDIT_ID order")
	}
}

func TestLateRecords(t *testing.T) {
	clock := newFakeClock()
	s, base := startSim(t, Options{Now: clock.Now, XSOARRateLimit: noLimit, CyberArkBackfill: 20, XSOARBackfill: 20, BackfillSpan: time.Hour})
	c := newCAClient(t, base)
	from := caDate(clock.Now().Add(-2 * time.Hour))
	q := `{"query":{"pageSize":100,"filterModel":{"date":{"dateFrom":"` + from + `"}},"sortModel":[{"field_name":"timestamp","direction":"asc"}]}}`
	_, tail := c.drain(c.createQuery(q))

	clock.Add(time.Second)
	late, err := s.AddRecords(RecordsRequest{Vendor: CyberArk, Count: 2, Late: 5 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if more, _ := c.drain(tail); len(more) != 0 {
		t.Fatalf("the tail cursor returned %d late events; they sit behind its position", len(more))
	}
	all, _ := c.drain(c.createQuery(q))
	found := 0
	for _, e := range all {
		if slices.Contains(late, e.UUID) {
			found++
			if want := clock.Now().Add(-5 * time.Minute).UnixMilli(); e.Timestamp != want {
				t.Fatalf("late event at %d, want %d", e.Timestamp, want)
			}
		}
	}
	if found != 2 {
		t.Fatalf("a new query found %d of the 2 late events", found)
	}

	// XSOAR: a late record has the highest AUDIT_ID but an older insert time.
	before, _ := s.IDs(XSOAR)
	xlate, err := s.AddRecords(RecordsRequest{Vendor: XSOAR, Count: 1, Late: 10 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	after, _ := s.IDs(XSOAR)
	if after[len(after)-1] == xlate[0] || !slices.Contains(after, xlate[0]) || len(after) != len(before)+1 {
		t.Fatal("the late XSOAR record should be stored before newer ones")
	}
	maxBefore := 0
	for _, id := range before {
		maxBefore = max(maxBefore, atoi(t, id))
	}
	if atoi(t, xlate[0]) <= maxBefore {
		t.Fatalf("late AUDIT_ID %s is not above the previous maximum %d", xlate[0], maxBefore)
	}

	if _, err := s.AddRecords(RecordsRequest{Vendor: CyberArk, Count: 1, At: clock.Now().Add(time.Second)}); err == nil {
		t.Fatal("a record in the future was accepted")
	}
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
