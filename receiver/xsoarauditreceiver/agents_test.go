package xsoarauditreceiver

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/secaudit/otelcol-audit/internal/httpapi"
)

// agentsConfig is testConfig reading the agents' audit reports.
func agentsConfig(t *testing.T, f *fakeXSOAR, startMs int64) *Config {
	t.Helper()
	cfg := testConfig(t, f, startMs)
	cfg.LogType, cfg.Path = logTypeAgentsReports, agentsReportsPath
	require.NoError(t, cfg.checkLogTypeErr())
	return cfg
}

func (c *Config) checkLogTypeErr() error {
	if errs := c.checkLogType(); len(errs) > 0 {
		return errs[0]
	}
	return nil
}

// reportTimes returns n report times in epoch microseconds from startMs: every third shares a
// millisecond with the one before, and most carry a fraction of a millisecond.
func reportTimes(startMs int64, n int) []int64 {
	out := make([]int64, n)
	us := startMs * 1000
	for i := range out {
		if i%3 != 2 {
			us += 1337
		} else {
			us += 1
		}
		out[i] = us
	}
	return out
}

func TestAgentsReportsArriveExactlyOnce(t *testing.T) {
	f := newFakeXSOAR(t, true)
	base := pastMs()
	ids := f.addReports(reportTimes(base, 250)...)
	f.add(1, spaced(base, 30, 5)...) // the management log of the same tenant is not read
	r := startReceiver(t, agentsConfig(t, f, base-1000), t.TempDir())
	r.waitRecords(250)
	require.Eventually(t, func() bool { return len(f.log()) >= 4 }, waitFor, tick)
	r.stop()

	assert.Equal(t, ids, r.uids(), "in time order, each once")
	for _, l := range f.log() {
		assert.Equal(t, agentsReportsPath, l.Path)
		assert.LessOrEqual(t, l.SearchTo-l.SearchFrom, maxPageSize)
	}
	for _, ld := range r.sink.AllLogs() {
		forEachRecord(ld, func(lr plog.LogRecord) {
			assert.True(t, strings.HasPrefix(lr.EventName(), agentReportEvents+"."), lr.EventName())
			name, _ := lr.Attributes().Get("host.name")
			assert.NotEmpty(t, name.Str())
		})
	}
}

// A report a fraction of a millisecond past the query's upper bound is not returned by that
// query (the bound compares with the exact time); the checkpoint stops at the bound, so the
// next query, which starts there, returns it.
func TestAgentsReportFractionPastTheUpperBound(t *testing.T) {
	f := newFakeXSOAR(t, true)
	src := testSource(t, f, func(c *Config) {
		c.LogType, c.Path, c.SettleDelay = logTypeAgentsReports, agentsReportsPath, 0
	})
	bound := pastMs()
	now := time.UnixMilli(bound)
	src.now = func() time.Time { return now }
	ids := f.addReports(bound*1000-250, bound*1000, bound*1000+500)

	q := src.Open(time.UnixMilli(bound - 1000))
	pages := drain(t, q)
	require.Len(t, pages, 1)
	assert.Equal(t, ids[:2], keyIDs(pages[0].Keys), "the report at bound.5 waits")
	assert.Equal(t, time.UnixMilli(bound), q.(*query).UpperBound())

	now = now.Add(time.Second)
	pages = drain(t, src.Open(q.(*query).UpperBound()))
	require.Len(t, pages, 1)
	assert.Equal(t, ids[1:], keyIDs(pages[0].Keys), "read from the bound: the engine drops the one it delivered")
}

// The two trails of one tenant keep checkpoints apart: switching an instance's log_type reads
// the other trail from start_time, and switching back resumes where the management log
// stopped, under the key it always had.
func TestTrailsKeepSeparateCheckpoints(t *testing.T) {
	f := newFakeXSOAR(t, true)
	base := pastMs()
	f.add(1, spaced(base, 120, 7)...)
	reports := f.addReports(reportTimes(base, 130)...)
	dir := t.TempDir()

	mgmt := testConfig(t, f, base-1000)
	r1 := startReceiver(t, mgmt, dir)
	r1.waitRecords(120)
	r1.stop()
	requireExactlyOnce(t, r1.uids(), idRange(1, 120))

	r2 := startReceiver(t, agentsConfig(t, f, base-1000), dir)
	r2.waitRecords(130)
	r2.stop()
	requireExactlyOnce(t, r2.uids(), reports)

	// New records on both trails while the collector is down.
	f.add(121, spaced(pastMs()+30_000, 20, 3)...)
	more := f.addReports(reportTimes(pastMs()+30_000, 15)...)

	r3 := startReceiver(t, agentsConfig(t, f, base-1000), dir)
	r3.waitRecords(15)
	time.Sleep(100 * time.Millisecond) // a few more polls: nothing may come twice
	r3.stop()
	requireExactlyOnce(t, r3.uids(), more)

	r4 := startReceiver(t, testConfig(t, f, base-1000), dir)
	r4.waitRecords(20)
	time.Sleep(100 * time.Millisecond)
	r4.stop()
	requireExactlyOnce(t, r4.uids(), idRange(121, 20))

	// The management key is the one earlier releases wrote: existing checkpoints are found.
	c := createDefaultConfig().(*Config)
	c.ClientConfig.Endpoint = "acme.xdr.us.paloaltonetworks.com"
	assert.Equal(t, []string{"xsoaraudit", "endpoint=api-acme.xdr.us.paloaltonetworks.com", "path=/public_api/v1/audits/management_logs"}, checkpointSource(c))
	c.LogType, c.Path = logTypeAgentsReports, agentsReportsPath
	assert.Equal(t, []string{"xsoaraudit", "endpoint=api-acme.xdr.us.paloaltonetworks.com", "path=/public_api/v1/audits/agents_reports"}, checkpointSource(c))
}

// Faults on the agents' trail are retried as on the management log: nothing lost, nothing twice.
func TestAgentsReportsSurviveFaults(t *testing.T) {
	f := newFakeXSOAR(t, true)
	f.omitTotal = true // Palo Alto's own sample reply has no total_count
	f.fault = func(n int, _ auditRequest) *fakeResponse {
		switch n {
		case 1:
			return &fakeResponse{status: http.StatusTooManyRequests, body: `{"reply":{"err_code":429,"err_msg":"Too many requests"}}`}
		case 3:
			return &fakeResponse{status: http.StatusBadGateway}
		case 4:
			return &fakeResponse{status: http.StatusOK, body: `{"reply":{"data":[{"TIMESTAMP":`}
		}
		return nil
	}
	base := pastMs()
	ids := f.addReports(reportTimes(base, 320)...)
	r := startReceiver(t, agentsConfig(t, f, base-1000), t.TempDir())
	r.waitRecords(320)
	time.Sleep(100 * time.Millisecond)
	r.stop()
	requireExactlyOnce(t, r.uids(), ids)
}

func TestAgentsReportsErrorsNameTheTrail(t *testing.T) {
	s := &source{url: "https://api-t.example.com" + agentsReportsPath, path: agentsReportsPath, logType: logTypeAgentsReports,
		level: securityAdvanced, secrets: httpapi.NewSecrets(), auth: signer{advanced: true}}
	for status, want := range map[int][]string{
		http.StatusNotFound:            {"log_type (\"agents_reports\")", agentsReportsPath, "only Cortex XDR and XSIAM tenants serve the agents' audit reports"},
		http.StatusForbidden:           {"permission to view agents' audit reports"},
		http.StatusPaymentRequired:     {"agents' audit reports need a licence", "XDR and XSIAM"},
		http.StatusInternalServerError: {"default \"" + agentsReportsPath + "\""},
	} {
		err := s.explain(&httpapi.StatusError{Op: agentsReportsKind.op, Status: status})
		for _, w := range want {
			assert.Contains(t, err.Error(), w, "HTTP %d", status)
		}
	}
	// The management trail keeps its messages.
	s = &source{path: defaultPath, level: securityAdvanced, secrets: httpapi.NewSecrets(), auth: signer{advanced: true}}
	err := s.explain(&httpapi.StatusError{Op: op, Status: http.StatusNotFound})
	assert.NotContains(t, err.Error(), "only Cortex")
	assert.Contains(t, err.Error(), defaultPath)
}

func TestAgentsReportsCallLabel(t *testing.T) {
	f := newFakeXSOAR(t, false)
	src := testSource(t, f, func(c *Config) { c.LogType, c.Path = logTypeAgentsReports, agentsReportsPath })
	f.fault = func(int, auditRequest) *fakeResponse { return &fakeResponse{status: http.StatusNotFound} }
	_, _, err := src.Open(time.UnixMilli(pastMs())).Next(context.Background())
	var se *httpapi.StatusError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, "agents_reports", se.Op, "metrics and logs name the call")
}
