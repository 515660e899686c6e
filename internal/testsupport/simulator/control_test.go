package simulator

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"testing"
	"time"
)

func ctl(t *testing.T, base, method, path, body string) httpResult {
	t.Helper()
	req := newReq(t, method, base+path, body)
	req.Header.Set("Content-Type", "application/json")
	return do(t, req)
}

func TestGroundTruthMatchesWhatTheAPIsServe(t *testing.T) {
	s, base := startSim(t, Options{CyberArkBackfill: 777, XSOARBackfill: 333, BackfillSpan: 2 * time.Hour, XSOARRateLimit: noLimit})

	var caIDs, xsIDsGT []string
	ctl(t, base, http.MethodGet, "/_sim/ids?vendor=cyberark", "").json(t, &caIDs)
	ctl(t, base, http.MethodGet, "/_sim/ids?vendor=xsoar", "").json(t, &xsIDsGT)
	if len(caIDs) != 777 || len(xsIDsGT) != 333 {
		t.Fatalf("ground truth holds %d and %d ids", len(caIDs), len(xsIDsGT))
	}

	c := newCAClient(t, base)
	got, _ := c.drain(c.createQuery(`{"query":{"pageSize":500,"sortModel":[{"field_name":"timestamp","direction":"asc"}]}}`))
	if !slices.Equal(uuids(got), caIDs) {
		t.Fatal("CyberArk: served events differ from /_sim/ids")
	}

	xs := newXSClient(t, base, KeyAdvanced)
	var served []string
	for from := 0; ; from += 100 {
		_, recs := xs.page(xsBody(from, from+100, "asc"))
		served = append(served, xsIDs(recs)...)
		if len(recs) < 100 {
			break
		}
	}
	if !slices.Equal(served, xsIDsGT) {
		t.Fatal("XSOAR: served records differ from /_sim/ids")
	}
	for i := 1; i < len(served); i++ {
		a, _ := strconv.Atoi(served[i-1])
		b, _ := strconv.Atoi(served[i])
		if b <= a {
			t.Fatalf("AUDIT_ID not increasing with time: %d then %d", a, b)
		}
	}

	// from/to narrow the ground truth (epoch ms, inclusive).
	var first []string
	var ts int64
	s.ca.store.read(func(recs []record) { ts = recs[9].ts })
	ctl(t, base, http.MethodGet, "/_sim/ids?vendor=cyberark&to="+strconv.FormatInt(ts, 10), "").json(t, &first)
	if len(first) < 10 || !slices.Equal(first, caIDs[:len(first)]) {
		t.Fatalf("ids up to the 10th event's time: %d", len(first))
	}
	if r := ctl(t, base, http.MethodGet, "/_sim/ids?vendor=splunk", ""); r.status != http.StatusBadRequest {
		t.Fatalf("unknown vendor: %d", r.status)
	}
}

func TestControlAPI(t *testing.T) {
	s, base := startSim(t, Options{XSOARRateLimit: noLimit})
	c := newCAClient(t, base)

	// Faults: add, list, use, clear.
	r := ctl(t, base, http.MethodPost, "/_sim/faults", `{"vendor":"cyberark","endpoint":"createQuery","kind":"status","status":500,"count":2}`)
	if r.status != http.StatusOK {
		t.Fatalf("add fault: %d %s", r.status, r.body)
	}
	var added faultWire
	r.json(t, &added)
	if added.ID == 0 || added.Remaining != 2 {
		t.Fatalf("add fault reply %s", r.body)
	}
	ctl(t, base, http.MethodPost, "/_sim/faults", `{"vendor":"xsoar","kind":"throttle","retry_after":5,"duration":"1m"}`)
	var list []faultWire
	ctl(t, base, http.MethodGet, "/_sim/faults", "").json(t, &list)
	if len(list) != 2 || list[1].Until == "" || list[1].RetryAfter != 5 {
		t.Fatalf("fault list %+v", list)
	}
	if r := c.post("/api/audits/stream/createQuery", `{"query":{}}`); r.status != 500 {
		t.Fatalf("fault from the control API not applied: %d", r.status)
	}
	if r := ctl(t, base, http.MethodDelete, "/_sim/faults?id="+strconv.FormatInt(added.ID, 10), ""); r.status != http.StatusOK {
		t.Fatalf("delete one: %d", r.status)
	}
	c.createQuery(`{"query":{}}`)
	var cleared map[string]int
	ctl(t, base, http.MethodDelete, "/_sim/faults", "").json(t, &cleared)
	if cleared["cleared"] != 1 {
		t.Fatalf("clear all: %v", cleared)
	}
	for _, bad := range []string{
		`{"vendor":"cyberark","kind":"status","stauts":500}`, // typo: refused, not ignored
		`{"kind":"nope"}`,
		`{"kind":"latency","latency":"fast"}`,
		`not json`,
	} {
		if r := ctl(t, base, http.MethodPost, "/_sim/faults", bad); r.status != http.StatusBadRequest {
			t.Fatalf("bad fault %s: %d", bad, r.status)
		}
	}

	// Records, burst and late records.
	var rep idsReply
	ctl(t, base, http.MethodPost, "/_sim/records", `{"vendor":"xsoar","count":3}`).json(t, &rep)
	if rep.Count != 3 || len(rep.IDs) != 3 {
		t.Fatalf("records reply %+v", rep)
	}
	at := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339Nano)
	ctl(t, base, http.MethodPost, "/_sim/records", `{"vendor":"cyberark","count":2,"at":"`+at+`"}`).json(t, &rep)
	ctl(t, base, http.MethodPost, "/_sim/records", `{"vendor":"cyberark","count":4,"late":"10m"}`)
	ctl(t, base, http.MethodPost, "/_sim/burst", `{"vendor":"cyberark","count":10}`)
	for _, bad := range []string{
		`{"vendor":"cyberark","count":0}`,
		`{"vendor":"cyberark","count":1,"at":"` + time.Now().Add(time.Hour).UTC().Format(time.RFC3339) + `"}`,
		`{"vendor":"cyberark","count":1,"late":"-5m"}`,
		`{"vendor":"nobody","count":1}`,
	} {
		if r := ctl(t, base, http.MethodPost, "/_sim/records", bad); r.status != http.StatusBadRequest {
			t.Fatalf("bad records request %s: %d %s", bad, r.status, r.body)
		}
	}

	// Latency.
	var lat map[string]string
	ctl(t, base, http.MethodPost, "/_sim/latency", `{"vendor":"xsoar","latency":"20ms"}`).json(t, &lat)
	if lat["xsoar"] != "20ms" || lat["cyberark"] != "0s" || s.Latency(XSOAR) != 20*time.Millisecond {
		t.Fatalf("latency %v", lat)
	}

	// Token revocation.
	var rev map[string]int
	ctl(t, base, http.MethodPost, "/_sim/tokens/revoke", "").json(t, &rev)
	if rev["revoked"] != 1 {
		t.Fatalf("revoke: %v", rev)
	}
	if r := c.post("/api/audits/stream/createQuery", `{"query":{}}`); r.status != http.StatusUnauthorized {
		t.Fatalf("after revoke over HTTP: %d", r.status)
	}

	// Stats.
	var st Stats
	ctl(t, base, http.MethodGet, "/_sim/stats", "").json(t, &st)
	if st.Requests["cyberark.createQuery"][500] != 1 || st.Requests["cyberark.createQuery"][401] != 1 ||
		st.Requests["cyberark.createQuery"][200] != 1 || st.Requests["cyberark.token"][200] != 1 {
		t.Fatalf("request counts %v", st.Requests)
	}
	if st.TokensIssued != 1 || st.TokensActive != 0 || st.Records[CyberArk] != 16 || st.Records[XSOAR] != 3 || st.ActiveFaults != 0 {
		t.Fatalf("stats %+v", st)
	}

	if r := ctl(t, base, http.MethodGet, "/_sim/nothing", ""); r.status != http.StatusNotFound {
		t.Fatalf("unknown control route: %d", r.status)
	}
	if r := ctl(t, base, http.MethodPut, "/_sim/stats", ""); r.status != http.StatusMethodNotAllowed {
		t.Fatalf("wrong method: %d", r.status)
	}
}

func TestContinuousGeneration(t *testing.T) {
	s, _ := startSim(t, Options{Rate: 100})
	deadline := time.Now().Add(5 * time.Second)
	for s.Stats().Records[XSOAR] < 20 || s.Stats().Records[CyberArk] < 20 {
		if time.Now().After(deadline) {
			t.Fatalf("records after 5s: %v", s.Stats().Records)
		}
		time.Sleep(20 * time.Millisecond)
	}
	now := time.Now().UnixMilli()
	for _, f := range []*feed{s.ca, s.xs} {
		f.store.read(func(recs []record) {
			for i := range recs {
				if recs[i].ts > now {
					t.Fatalf("%s record in the future", f.vendor)
				}
				if i > 0 && recs[i].ts < recs[i-1].ts {
					t.Fatalf("%s store out of order", f.vendor)
				}
			}
		})
	}
}

func TestListenAndClose(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", ":0", "localhost:0", "192.0.2.1:0"} {
		if _, err := New(Options{Listen: addr}); err == nil {
			t.Errorf("Listen %q accepted; only loopback IPs may be bound", addr)
		}
	}

	s, base := startSim(t, Options{Latency: 10 * time.Second})
	if _, err := s.Start(); err == nil {
		t.Fatal("a second Start succeeded")
	}
	// A request stuck in added latency must not hold Close up.
	done := make(chan struct{})
	go func() {
		defer close(done)
		req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, base+"/api/audits/stream/createQuery", nil)
		resp, err := testClient.Do(req)
		if err == nil {
			resp.Body.Close()
		}
	}()
	time.Sleep(100 * time.Millisecond)
	start := time.Now()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("Close took %v", d)
	}
	<-done
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := s.Start(); err == nil {
		t.Fatal("Start after Close succeeded")
	}
}

func TestStatsJSONShape(t *testing.T) {
	s, base := startSim(t, Options{})
	do(t, newReq(t, http.MethodGet, base+"/nowhere", ""))
	b, err := json.Marshal(s.Stats())
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"requests", "tokens_issued", "tokens_active", "records", "active_faults"} {
		if _, ok := m[k]; !ok {
			t.Fatalf("stats JSON lacks %q: %s", k, b)
		}
	}
	if s.Stats().Requests["unknown_path"][404] != 1 {
		t.Fatalf("unknown path not counted: %s", b)
	}
}
