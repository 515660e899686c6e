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

const agentsPath = "/public_api/v1/audits/agents_reports"

func newAgentsClient(t testing.TB, base string) *xsClient {
	t.Helper()
	c := newXSClient(t, base, KeyAdvanced)
	c.path = agentsPath
	return c
}

type arRecord struct {
	Timestamp json.Number `json:"TIMESTAMP"`
	Category  string      `json:"CATEGORY"`
	Endpoint  string      `json:"ENDPOINTNAME"`
	Version   string      `json:"XDRVERSION"`
	Traps     string      `json:"TRAPSVERSION"`
}

// reports returns the records of one agents_reports page, with their IDs as the receiver
// derives them.
func (c *xsClient) reports(body string) (xsReply, []arRecord, []string) {
	c.t.Helper()
	r := c.post(body)
	if r.status != http.StatusOK {
		c.t.Fatalf("agents_reports: %d %s", r.status, r.body)
	}
	var rep xsReply
	r.json(c.t, &rep)
	recs := make([]arRecord, len(rep.Reply.Data))
	ids := make([]string, len(rep.Reply.Data))
	for i, raw := range rep.Reply.Data {
		dec := json.NewDecoder(strings.NewReader(string(raw)))
		dec.UseNumber()
		if err := dec.Decode(&recs[i]); err != nil {
			c.t.Fatal(err)
		}
		ids[i] = ContentID(raw)
	}
	return rep, recs, ids
}

func micros(t testing.TB, n json.Number) int64 {
	t.Helper()
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil {
		t.Fatalf("TIMESTAMP %q: %v", n, err)
	}
	return int64(f*1000 + 0.5)
}

func TestAgentsReportsServedBesideTheManagementLog(t *testing.T) {
	s, base := startSim(t, Options{XSOARRateLimit: noLimit, XSOARBackfill: 50, XSOARAgentsBackfill: 250, BackfillSpan: time.Hour})
	c := newAgentsClient(t, base)
	var got []string
	var last int64
	fractions := 0
	for from := 0; ; from += 100 {
		rep, recs, ids := c.reports(xsBody(from, from+100, "asc"))
		if *rep.Reply.TotalCount != 250 {
			t.Fatalf("total_count %d, want 250", *rep.Reply.TotalCount)
		}
		for _, r := range recs {
			us := micros(t, r.Timestamp)
			if us < last {
				t.Fatalf("TIMESTAMP %d after %d: not ascending", us, last)
			}
			last = us
			if us%1000 != 0 {
				fractions++
			}
			if r.Endpoint == "" || r.Version == "" && r.Traps == "" {
				t.Fatalf("a report without its endpoint or agent version: %+v", r)
			}
		}
		got = append(got, ids...)
		if len(recs) < 100 {
			break
		}
	}
	truth, _ := s.IDs(XSOARAgents)
	if !slices.Equal(got, truth) {
		t.Fatalf("served %d reports, ground truth %d: the IDs differ", len(got), len(truth))
	}
	if fractions < 200 {
		t.Fatalf("only %d of 250 TIMESTAMPs carry a fraction of a millisecond", fractions)
	}
	if st := s.Stats(); st.Records[XSOARAgents] != 250 || st.Records[XSOAR] != 50 {
		t.Fatalf("stats records %v", st.Records)
	}
	mgmt := newXSClient(t, base, KeyAdvanced)
	if _, recs := mgmt.page(xsBody(0, 100, "asc")); len(recs) != 50 {
		t.Fatalf("the management log serves %d records, want its own 50", len(recs))
	}
	// Trailing slash, as on the management log; a wrong key is refused the same way.
	c.path = agentsPath + "/"
	if _, recs, _ := c.reports(xsBody(0, 10, "asc")); len(recs) != 10 {
		t.Fatalf("with a trailing slash: %d records", len(recs))
	}
	c.key = "wrong"
	wantUnauthorized(t, c.post(xsBody(0, 10, "asc")))
}

func TestAgentsReportsFilters(t *testing.T) {
	_, base := startSim(t, Options{XSOARRateLimit: noLimit, XSOARAgentsBackfill: 400, BackfillSpan: time.Hour})
	c := newAgentsClient(t, base)
	all := 0
	for from := 0; from < 400; from += 100 {
		_, recs, _ := c.reports(xsBody(from, from+100, "asc"))
		all += len(recs)
	}
	rep, recs, _ := c.reports(xsBody(0, 100, "asc", `{"field":"category","operator":"in","value":["audit"]}`))
	if len(recs) == 0 || *rep.Reply.TotalCount >= all {
		t.Fatalf("category audit: %d of %d", *rep.Reply.TotalCount, all)
	}
	for _, r := range recs {
		if r.Category != "Audit" {
			t.Fatalf("category filter audit returned %q", r.Category)
		}
	}
	_, recs, _ = c.reports(xsBody(0, 100, "asc", `{"field":"endpoint_name","operator":"in","value":["`+arEndpoints[7].name+`","nope"]}`))
	for _, r := range recs {
		if r.Endpoint != arEndpoints[7].name {
			t.Fatalf("endpoint_name filter returned %q", r.Endpoint)
		}
	}
	for _, bad := range []string{
		`{"field":"trapsversion","operator":"in","value":["7.9.0.14212"]}`,
		`{"field":"audit_id","operator":"in","value":["1"]}`,
		`{"field":"type","operator":"eq","value":"Upgrade"}`,
		`{"field":"timestamp","operator":"gte","value":"yesterday"}`,
	} {
		if r := c.post(xsBody(0, 100, "asc", bad)); r.status != http.StatusBadRequest {
			t.Fatalf("%s: %d %s, want 400", bad, r.status, r.body)
		}
	}
	if r := c.post(xsBody(0, 101, "asc")); r.status != http.StatusInternalServerError || !strings.Contains(string(r.body), "search_size") {
		t.Fatalf("window of 101: %d %s", r.status, r.body)
	}
}

// A report's TIMESTAMP has a fraction of a millisecond, and the filter compares the exact time:
// lte L leaves out L.5, gte L keeps it.
func TestAgentsReportsFilterComparesTheExactTime(t *testing.T) {
	clock := newFakeClock()
	s, base := startSim(t, Options{Now: clock.Now, XSOARRateLimit: noLimit})
	c := newAgentsClient(t, base)
	c.now = clock.Now
	at := clock.Now().Add(-time.Minute)
	whole, _ := s.AddRecords(RecordsRequest{Vendor: XSOARAgents, Count: 1, At: at})
	half, _ := s.AddRecords(RecordsRequest{Vendor: XSOARAgents, Count: 1, At: at.Add(500 * time.Microsecond)})
	_, _, ids := c.reports(xsBody(0, 100, "asc", tsFilter("lte", at)))
	if !slices.Equal(ids, whole) {
		t.Fatalf("lte %d: got %v, want only the whole millisecond %v", at.UnixMilli(), ids, whole)
	}
	_, _, ids = c.reports(xsBody(0, 100, "asc", tsFilter("gte", at)))
	if !slices.Equal(ids, append(whole, half...)) {
		t.Fatalf("gte %d: got %v", at.UnixMilli(), ids)
	}
	// The ground truth up to a time is exact too; the control API's "to" covers its whole ms.
	if got, _ := s.IDsBetween(XSOARAgents, time.Time{}, at); !slices.Equal(got, whole) {
		t.Fatalf("IDsBetween to %v: %v", at, got)
	}
	var ctl []string
	do(t, newReq(t, http.MethodGet, base+"/_sim/ids?vendor=xsoar_agents&to="+strconv.FormatInt(at.UnixMilli(), 10), "")).json(t, &ctl)
	if len(ctl) != 2 {
		t.Fatalf("/_sim/ids to=%d: %v", at.UnixMilli(), ctl)
	}
}

func TestAgentsReportsBurstAndControl(t *testing.T) {
	clock := newFakeClock()
	clock.Add(700 * time.Microsecond)
	s, base := startSim(t, Options{Now: clock.Now, XSOARRateLimit: noLimit})
	ids, err := s.Burst(XSOARAgents, 500)
	if err != nil {
		t.Fatal(err)
	}
	distinct := map[string]bool{}
	for _, id := range ids {
		distinct[id] = true
	}
	if len(distinct) != 500 {
		t.Fatalf("%d distinct IDs in a burst of 500", len(distinct))
	}
	c := newAgentsClient(t, base)
	c.now = clock.Now
	ms := clock.Now().UnixMilli()
	for from := 0; from < 500; from += 100 {
		_, recs, _ := c.reports(xsBody(from, from+100, "asc"))
		for _, r := range recs {
			if us := micros(t, r.Timestamp); us/1000 != ms || us > clock.Now().UnixMicro() {
				t.Fatalf("burst report at %d µs, want inside ms %d and not after now", us, ms)
			}
		}
	}
	var added idsReply
	r := do(t, newReq(t, http.MethodPost, base+"/_sim/records", `{"vendor":"xsoar_agents","count":3,"late":"2m"}`))
	r.json(t, &added)
	if r.status != http.StatusOK || added.Count != 3 || !strings.HasPrefix(added.IDs[0], "sha256:") {
		t.Fatalf("/_sim/records: %d %s", r.status, r.body)
	}
	if got, _ := s.IDs(XSOARAgents); len(got) != 503 || !slices.Equal(got[:3], added.IDs) {
		t.Fatalf("ground truth after the late records: %d, first %v", len(got), got[:3])
	}
}

// The agents' reports share the tenant: its rate limit, its credentials, its XSOAR-wide faults;
// a fault can also single them out.
func TestAgentsReportsShareTheTenant(t *testing.T) {
	s, base := startSim(t, Options{XSOARBackfill: 5, XSOARAgentsBackfill: 5})
	mgmt, agents := newXSClient(t, base, KeyAdvanced), newAgentsClient(t, base)
	body := xsBody(0, 100, "asc")
	for range 10 {
		if r := mgmt.post(body); r.status != http.StatusOK {
			t.Fatalf("management request within the budget: %d", r.status)
		}
	}
	if r := agents.post(body); r.status != http.StatusTooManyRequests {
		t.Fatalf("the 11th request of the second, to the other trail: %d, want 429", r.status)
	}
	time.Sleep(1100 * time.Millisecond)

	if _, err := s.InjectFault(Fault{Kind: FaultLicense, Vendor: XSOARAgents}); err != nil {
		t.Fatal(err)
	}
	if r := agents.post(body); r.status != http.StatusPaymentRequired {
		t.Fatalf("licence fault on the agents' reports: %d", r.status)
	}
	if r := mgmt.post(body); r.status != http.StatusOK {
		t.Fatalf("the management log is not covered by it: %d", r.status)
	}
	fs := s.Faults()
	if len(fs) != 1 || fs[0].Vendor != XSOAR || fs[0].Endpoint != EndpointAgentsReports {
		t.Fatalf("xsoar_agents is stored as vendor xsoar, endpoint agents_reports: %+v", fs)
	}
	s.ClearFaults()
	if _, err := s.InjectFault(Fault{Kind: FaultStatus, Vendor: XSOAR, Count: 1}); err != nil {
		t.Fatal(err)
	}
	if r := agents.post(body); r.status != http.StatusServiceUnavailable {
		t.Fatalf("a fault of vendor xsoar reaches the agents' reports: %d", r.status)
	}
	if _, err := s.InjectFault(Fault{Kind: FaultOmitTotalCount, Endpoint: EndpointAgentsReports, Count: 1}); err != nil {
		t.Fatal(err)
	}
	if rep, _, _ := agents.reports(body); rep.Reply.TotalCount != nil {
		t.Fatal("omit_total_count on agents_reports")
	}
	if _, err := s.InjectFault(Fault{Kind: FaultStatus, Vendor: XSOARAgents, Endpoint: EndpointManagementLogs}); err == nil {
		t.Fatal("vendor xsoar_agents with the management endpoint is refused")
	}
	if st := s.Stats(); st.Requests["xsoar.agents_reports"][http.StatusOK] == 0 {
		t.Fatalf("statistics label xsoar.agents_reports: %v", st.Requests)
	}
}

func TestAppendMicros(t *testing.T) {
	for us, want := range map[int64]string{
		1744459200125463: "1744459200125.463",
		1744459200125400: "1744459200125.4",
		1744459200125007: "1744459200125.007",
		1744459200125000: "1744459200125",
	} {
		if got := string(appendMicros(nil, us)); got != want {
			t.Errorf("appendMicros(%d) = %s, want %s", us, got, want)
		}
	}
}

// The ground truth holds one ID per report: reports made at one instant still differ.
func TestAgentsReportsMadeTogetherDiffer(t *testing.T) {
	clock := newFakeClock()
	s, _ := startSim(t, Options{Now: clock.Now, XSOARRateLimit: noLimit, XSOARAgentsBackfill: 20_000, BackfillSpan: time.Minute})
	for range 5 {
		if _, err := s.AddRecords(RecordsRequest{Vendor: XSOARAgents, Count: 3000}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Burst(XSOARAgents, 3000); err != nil {
			t.Fatal(err)
		}
	}
	ids, _ := s.IDs(XSOARAgents)
	seen := make(map[string]bool, len(ids))
	for _, id := range ids {
		if seen[id] {
			t.Fatalf("two reports with ID %s among %d", id, len(ids))
		}
		seen[id] = true
	}
}
