package xsoarauditreceiver

// Scenarios: the receiver's behaviour over time (paging, restarts, outages, late and
// future-dated records, exactly-once delivery), started through its factory. They run against
// fake_test.go's fake API, which lets a test shape each reply; TestAgainstSimulator runs against
// the shared vendor simulator, for realistic volume and faults.

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/storage/storagetest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componentstatus"

	"github.com/secaudit/otelcol-audit/internal/checkpoint"
	"github.com/secaudit/otelcol-audit/internal/testsupport/logtest"
	"github.com/secaudit/otelcol-audit/internal/testsupport/simulator"
)

func TestPagingStopsOnShortLastPage(t *testing.T) {
	f := newFakeXSOAR(t, true)
	base := pastMs()
	times := spaced(base, 250, 10)
	f.add(1, times...)
	r := startReceiver(t, testConfig(t, f, base-60_000), t.TempDir())
	r.waitRecords(250)
	require.Eventually(t, func() bool { return len(f.log()) >= 4 }, waitFor, tick)
	r.stop()

	log := f.log()
	for i, from := range []int{0, 100, 200} {
		assert.Equal(t, base-60_000, log[i].GTE, "request %d", i)
		assert.Equal(t, from, log[i].SearchFrom, "request %d", i)
		assert.Equal(t, from+100, log[i].SearchTo, "request %d", i)
		assert.Equal(t, log[0].LTE, log[i].LTE, "the upper bound is frozen for the whole walk")
	}
	assert.Equal(t, 50, log[2].Returned)
	// After the short page the query ends without asking for offset 300: the next request is a
	// new poll from the checkpoint, the newest record's millisecond.
	assert.Equal(t, times[249], log[3].GTE)
	assert.Equal(t, 0, log[3].SearchFrom)
	assert.Equal(t, idRange(1, 250), r.uids(), "in insert-time order, each once")
}

func TestMissingTotalCount(t *testing.T) {
	for _, n := range []int{150, 200} {
		t.Run(strconv.Itoa(n), func(t *testing.T) {
			f := newFakeXSOAR(t, true)
			f.omitTotal = true
			base := pastMs()
			f.add(1, spaced(base, n, 3)...)
			r := startReceiver(t, testConfig(t, f, base), t.TempDir())
			r.waitRecords(n)
			pages := (n + 99) / 100
			if n%100 == 0 {
				pages++ // a full last page: one more request finds the window empty
			}
			require.Eventually(t, func() bool { return len(f.log()) > pages }, waitFor, tick)
			r.stop()
			log := f.log()
			for i := range pages {
				assert.Equal(t, base, log[i].GTE)
				assert.Equal(t, i*100, log[i].SearchFrom)
			}
			assert.Equal(t, 0, log[pages].SearchFrom, "the next request starts a new query")
			requireExactlyOnce(t, r.uids(), idRange(1, n))
		})
	}
}

func TestKeyTypes(t *testing.T) {
	for _, advanced := range []bool{true, false} {
		t.Run(map[bool]string{true: "advanced", false: "standard"}[advanced], func(t *testing.T) {
			f := newFakeXSOAR(t, advanced)
			base := pastMs()
			f.add(1, spaced(base, 30, 1)...)
			r := startReceiver(t, testConfig(t, f, base), t.TempDir())
			r.waitRecords(30)
			r.stop()
			requireExactlyOnce(t, r.uids(), idRange(1, 30))
		})
	}
}

func TestTransientFailuresThenSuccess(t *testing.T) {
	tests := []struct {
		name   string
		faults []fakeResponse
	}{
		{"429 without Retry-After", []fakeResponse{{status: http.StatusTooManyRequests, body: `{"reply":{"err_code":429,"err_msg":"Too many requests"}}`}}},
		{"503 then 500", []fakeResponse{{status: http.StatusServiceUnavailable}, {status: http.StatusInternalServerError, body: "upstream"}}},
		{"502 three times", []fakeResponse{{status: http.StatusBadGateway}, {status: http.StatusBadGateway}, {status: http.StatusBadGateway}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeXSOAR(t, true)
			f.fault = func(n int, _ auditRequest) *fakeResponse {
				if n <= len(tt.faults) {
					return &tt.faults[n-1]
				}
				return nil
			}
			base := pastMs()
			f.add(1, spaced(base, 120, 2)...)
			r := startReceiver(t, testConfig(t, f, base), t.TempDir())
			r.waitRecords(120)
			require.Eventually(t, func() bool { ev := r.host.Last(); return ev != nil && ev.Status() == componentstatus.StatusOK },
				waitFor, tick, "the status is OK again once the retries succeed")
			r.stop()
			requireExactlyOnce(t, r.uids(), idRange(1, 120))
			log := f.log()
			require.Greater(t, len(log), len(tt.faults))
			for i := range tt.faults {
				assert.Equal(t, tt.faults[i].status, log[i].Status)
				assert.Equal(t, 0, log[i].SearchFrom)
			}
			assert.Equal(t, http.StatusOK, log[len(tt.faults)].Status)
			assert.Equal(t, 0, log[len(tt.faults)].SearchFrom, "the failed page itself is retried")
			assert.NoError(t, r.host.LastErr(componentstatus.StatusPermanentError))
			// The first failed call is reported at once, while the HTTP client retries it.
			assert.Error(t, r.host.LastErr(componentstatus.StatusRecoverableError), "the first failed call is reported at once")
		})
	}
}

func TestBadBodyEmitsNothingAndKeepsCheckpoint(t *testing.T) {
	tests := []struct {
		name string
		at   int // the request answered badly
		body string
	}{
		{"truncated first page", 1, `{"reply":{"total_count":250,"result_count":100,"data":[{"AUDIT_ID":1,"AUDIT_OWNER_NAME":"Us`},
		{"truncated second page", 2, `{"reply":{"total_count":250,"result_count":100,"data":[{"AUDIT_ID":101,"AUDIT_INSERT_TIME":1},{"AUDIT_ID":102,`},
		{"HTML with status 200", 2, "<!DOCTYPE html><html><head><title>Sign in</title></head></html>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeXSOAR(t, true)
			f.fault = func(n int, _ auditRequest) *fakeResponse {
				if n == tt.at {
					return &fakeResponse{status: http.StatusOK, body: tt.body}
				}
				return nil
			}
			base := pastMs()
			times := spaced(base, 250, 4)
			f.add(1, times...)
			r := startReceiver(t, testConfig(t, f, base), t.TempDir())
			err := r.waitStatus(componentstatus.StatusRecoverableError)
			t.Log(err)
			assert.NotContains(t, err.Error(), testKey)
			r.waitRecords(250)
			r.stop()
			requireExactlyOnce(t, r.uids(), idRange(1, 250))

			// The request after the bad one starts a new query from the checkpoint, which only
			// covers what was delivered before the bad page.
			log := f.log()
			next := log[tt.at]
			assert.Equal(t, 0, next.SearchFrom)
			if tt.at == 1 {
				assert.Equal(t, base, next.GTE)
			} else {
				assert.Equal(t, times[99], next.GTE)
			}
		})
	}
}

func TestRecordsArrivingDuringTheWalk(t *testing.T) {
	f := newFakeXSOAR(t, true)
	base := pastMs()
	f.add(1, spaced(base, 300, 5)...)
	nextID := int64(10_000)
	inserted := 0
	f.afterPage = func(n int, req auditRequest) {
		if n > 3 {
			return
		}
		// Between page requests: some rows land at the end of the frozen window (ascending order
		// keeps the offsets of the rows before them), others after it, for the next poll.
		f.addLocked(nextID, same(req.LTE, 3)...)
		f.addLocked(nextID+3, same(time.Now().UnixMilli(), 4)...)
		nextID += 7
		inserted += 7
	}
	cfg := testConfig(t, f, base)
	cfg.SettleDelay = 20 * time.Millisecond
	r := startReceiver(t, cfg, t.TempDir())
	r.waitRecords(300 + 21)
	// Let a few more polls run: nothing may come twice.
	n := len(f.log())
	require.Eventually(t, func() bool { return len(f.log()) > n+3 }, waitFor, tick)
	r.stop()
	want := idRange(1, 300)
	for i := range 21 {
		want = append(want, strconv.FormatInt(10_000+int64(i), 10))
	}
	require.Equal(t, 21, inserted)
	requireExactlyOnce(t, r.uids(), want)
}

func TestOneMillisecondBeyondMaxEventsPerPoll(t *testing.T) {
	f := newFakeXSOAR(t, true)
	base := pastMs()
	f.add(1, base-5, base-4)
	burst := rekeyOffset + 1500
	f.add(3, same(base, burst)...)
	cfg := testConfig(t, f, base-10)
	cfg.Poll.MaxEventsPerPoll = 300
	r := startReceiver(t, cfg, t.TempDir())
	r.waitRecords(burst + 2)
	n := len(f.log())
	require.Eventually(t, func() bool { return len(f.log()) > n+burst/100 }, waitFor, tick, "a full re-read of the boundary millisecond")
	r.stop()
	requireExactlyOnce(t, r.uids(), idRange(1, burst+2))
	// The first walk re-keyed once (to the burst's millisecond), then walked on by offset.
	var rekeyed bool
	for _, l := range f.log() {
		if l.GTE == base && l.SearchFrom >= rekeyOffset {
			rekeyed = true
		}
	}
	assert.True(t, rekeyed, "walked past offset %d inside the one millisecond", rekeyOffset)
}

func TestRekeyOnLargeOffsets(t *testing.T) {
	f := newFakeXSOAR(t, true)
	base := pastMs()
	n := rekeyOffset + 1350
	times := spaced(base, n, 1)
	f.add(1, times...)
	r := startReceiver(t, testConfig(t, f, base), t.TempDir())
	r.waitRecords(n)
	r.stop()
	requireExactlyOnce(t, r.uids(), idRange(1, n))
	log := f.log()
	pages := rekeyOffset / 100
	require.Greater(t, len(log), pages)
	assert.Equal(t, rekeyOffset-100, log[pages-1].SearchFrom)
	// After rekeyOffset records the window restarts at the newest millisecond returned.
	assert.Equal(t, times[rekeyOffset-1], log[pages].GTE)
	assert.Equal(t, 0, log[pages].SearchFrom)
	assert.Equal(t, log[0].LTE, log[pages].LTE)
	for _, l := range log {
		assert.Less(t, l.SearchFrom, rekeyOffset)
	}
}

func TestRestartResumesWithoutDuplicates(t *testing.T) {
	for _, overlap := range []time.Duration{0, 10 * time.Second} {
		t.Run("overlap "+overlap.String(), func(t *testing.T) {
			f := newFakeXSOAR(t, true)
			base := pastMs()
			last := base + 500
			f.add(1, spaced(base, 115, 1)...)
			f.add(116, same(last, 5)...) // the newest millisecond holds several records
			dir := t.TempDir()
			cfg := testConfig(t, f, base)
			cfg.Poll.Overlap = overlap

			r1 := startReceiver(t, cfg, dir)
			r1.waitRecords(120)
			r1.stop()
			requireExactlyOnce(t, r1.uids(), idRange(1, 120))

			// While the collector is down, more records arrive, two of them in the boundary millisecond.
			f.add(121, same(last, 2)...)
			f.add(123, spaced(last+1, 28, 2)...)
			before := len(f.log())

			// The same settings, written differently, still name the same checkpoint.
			cfg2 := testConfig(t, f, base)
			cfg2.Poll.Overlap = overlap
			cfg2.Path = defaultPath + "/"
			cfg2.APIKeyID = " " + testKeyID + " "
			r2 := startReceiver(t, cfg2, dir)
			r2.waitRecords(30)
			n := len(f.log())
			require.Eventually(t, func() bool { return len(f.log()) > n+2 }, waitFor, tick)
			r2.stop()
			requireExactlyOnce(t, r2.uids(), idRange(121, 30))
			assert.Equal(t, last-overlap.Milliseconds(), f.log()[before].GTE, "the new receiver resumes at the stored checkpoint, less the overlap")
		})
	}
}

// With an overlap, every poll reads again that far behind the checkpoint: a record inserted late,
// behind records already delivered, is still found; what was delivered is not sent again.
func TestOverlapCatchesLateInserts(t *testing.T) {
	f := newFakeXSOAR(t, true)
	base := pastMs()
	times := spaced(base, 150, 10) // 1.5 s of records
	f.add(1, times...)
	cfg := testConfig(t, f, base)
	cfg.Poll.Overlap = 3 * time.Second
	r := startReceiver(t, cfg, t.TempDir())
	r.waitRecords(150)

	newest := times[149]
	f.add(1000, newest-2500)   // late, but inside the overlap
	f.add(1001, newest-60_000) // later than the overlap covers: the documented limit
	r.waitRecords(151)
	n := len(f.log())
	require.Eventually(t, func() bool { return len(f.log()) > n+5 }, waitFor, tick)
	r.stop()

	requireExactlyOnce(t, r.uids(), append(idRange(1, 150), "1000"))
	log := f.log()
	assert.Equal(t, newest-3000, log[len(log)-1].GTE, "each poll starts the overlap before the checkpoint")
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
	for _, lr := range logtest.Records(r.sink.AllLogs()...) {
		assert.True(t, strings.HasPrefix(lr.EventName(), agentReportEvents+"."), lr.EventName())
		name, _ := lr.Attributes().Get("host.name")
		assert.NotEmpty(t, name.Str())
	}
}

// An upgrade from a build that knew agents' reports by the hash of their bytes as sent, from a
// server that does not send canonical JSON: the checkpoint that build left holds the window's
// IDs in that form, and the new build, which derives them from the canonical JSON, re-reads the
// window without delivering any report a second time.
func TestUpgradeFromRawHashIDsDeliversNothingTwice(t *testing.T) {
	f := newFakeXSOAR(t, true)
	base := pastMs()
	ids := f.addReports(reportTimes(base, 250)...)
	raw := f.indentReports()
	dir := t.TempDir()
	cfg := agentsConfig(t, f, base-1000)
	cfg.Poll.Overlap = 10 * time.Second // the default: the whole backlog lies in the re-read window

	r1 := startReceiver(t, cfg, dir)
	r1.waitRecords(250)
	r1.stop()
	require.Equal(t, ids, r1.uids())

	// Write the checkpoint as the earlier build did.
	rewritten := rewriteStored(t, cfg, dir, func(cp *checkpoint.Checkpoint) int {
		n := 0
		for i, id := range ids {
			if ms, ok := cp.Recent[id]; ok {
				sum := sha256.Sum256(raw[i])
				require.NotEqual(t, id, "sha256:"+hex.EncodeToString(sum[:16]), "the two forms differ")
				delete(cp.Recent, id)
				cp.Recent["sha256:"+hex.EncodeToString(sum[:16])] = ms
				n++
			}
		}
		return n
	})
	require.Equal(t, len(ids), rewritten, "every report lies in the window, so each would be sent again if not recognised")

	r2 := startReceiver(t, cfg, dir)
	n := len(f.log())
	require.Eventually(t, func() bool { return len(f.log()) > n+2 }, waitFor, tick, "three polls re-read the window")
	r2.stop()
	assert.Zero(t, r2.sink.LogRecordCount(), "no report delivered twice")
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

// A record whose AUDIT_INSERT_TIME is in year 9999, served although it is outside the window
// asked for, is delivered once; the checkpoint stays within the window, so the records inserted
// after it are read.
func TestRecordDatedInTheFutureDoesNotPoisonTheCheckpoint(t *testing.T) {
	f := newFakeXSOAR(t, true)
	now := time.Now().UnixMilli()
	f.add(100001, now-2000, now-1000)
	future, err := json.Marshal(testRecord(100003, 253402300799000)) // 9999-12-31T23:59:59Z
	require.NoError(t, err)
	f.fault = func(n int, _ auditRequest) *fakeResponse {
		if n != 1 {
			return nil
		}
		return &fakeResponse{status: 200, body: fmt.Sprintf(`{"reply":{"total_count":3,"result_count":3,"data":[%s,%s,%s]}}`,
			f.records[0].raw, f.records[1].raw, future)}
	}
	r := startReceiver(t, testConfig(t, f, now-time.Hour.Milliseconds()), t.TempDir())
	r.waitRecords(3)
	f.add(100004, time.Now().UnixMilli())
	r.waitRecords(4)
	time.Sleep(100 * time.Millisecond) // a few more polls: nothing repeats
	r.stop()
	requireExactlyOnce(t, r.uids(), idRange(100001, 4))
	for _, req := range f.log() {
		assert.LessOrEqual(t, req.GTE, time.Now().UnixMilli(), "no query asks for the future")
	}
	assert.NotEmpty(t, r.logs.FilterMessageSnippet("dated in the future").All())
}

// The receiver against the shared vendor simulator, an implementation of the API written apart
// from this package: a backfill, a restart, one millisecond holding a burst, late records, and
// throttling, 5xx, truncated, HTML and count-less replies on the way. The simulator keeps the
// ground truth; every record must arrive exactly once.
func TestAgainstSimulator(t *testing.T) {
	t.Run("management", func(t *testing.T) { againstSimulator(t, simulator.XSOAR, nil) })
	t.Run("agents_reports", func(t *testing.T) {
		againstSimulator(t, simulator.XSOARAgents, func(c *Config) { c.LogType, c.Path = logTypeAgentsReports, agentsReportsPath })
	})
}

// againstSimulator reads feed v (the management log or the agents' reports) of a simulated
// tenant that holds records of both.
func againstSimulator(t *testing.T, v simulator.Vendor, mutate func(*Config)) {
	t.Helper()
	sim, err := simulator.New(simulator.Options{XSOARBackfill: 2500, XSOARAgentsBackfill: 2500, BackfillSpan: time.Hour, Seed: 42})
	require.NoError(t, err)
	url, err := sim.Start()
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, sim.Close()) })

	cfg := NewFactory().CreateDefaultConfig().(*Config)
	cfg.ClientConfig.Endpoint = url
	cfg.APIKeyID = simulator.DefaultXSOARKeyID
	cfg.APIKey = simulator.DefaultXSOARKey
	cfg.SettleDelay = 100 * time.Millisecond
	cfg.Poll.Overlap = 2 * time.Second
	cfg.Poll.StartTime = "2 hours ago"
	cfg.Poll.PollInterval = 50 * time.Millisecond
	cfg.Poll.RequestsPerSecond = 9 // the simulator enforces the tenant's 10 per second
	cfg.Poll.Retry.InitialInterval = 10 * time.Millisecond
	cfg.Poll.Retry.MaxInterval = 200 * time.Millisecond
	cfg.Poll.Retry.MaxElapsedTime = 0
	id := storagetest.NewStorageID("test")
	cfg.Poll.StorageID = &id
	if mutate != nil {
		mutate(cfg)
	}
	require.NoError(t, cfg.checkLogTypeErr())
	dir := t.TempDir()

	fault := func(f simulator.Fault) {
		f.Vendor = v // the agents' feed stands for its endpoint of the XSOAR tenant
		_, err := sim.InjectFault(f)
		require.NoError(t, err)
	}
	fault(simulator.Fault{Kind: simulator.FaultThrottle, Count: 2})
	fault(simulator.Fault{Kind: simulator.FaultOmitTotalCount, Count: 10})
	r1 := startReceiver(t, cfg, dir)
	require.Eventually(t, func() bool { return r1.sink.LogRecordCount() >= 1000 }, waitFor, tick)
	fault(simulator.Fault{Kind: simulator.FaultTruncate, Count: 1})
	fault(simulator.Fault{Kind: simulator.FaultStatus, Status: 503, Count: 2})
	r1.stop()

	// While the receiver is down: a burst in one millisecond, and ordinary new records.
	_, err = sim.Burst(v, 600)
	require.NoError(t, err)
	_, err = sim.AddRecords(simulator.RecordsRequest{Vendor: v, Count: 50})
	require.NoError(t, err)

	r2 := startReceiver(t, cfg, dir)
	fault(simulator.Fault{Kind: simulator.FaultHTML, Count: 1})
	all, err := sim.IDs(v)
	require.NoError(t, err)
	require.Eventually(t, func() bool { return r1.sink.LogRecordCount()+r2.sink.LogRecordCount() >= len(all) }, waitFor, tick)

	// Records inserted late, behind what was delivered but within the overlap.
	late, err := sim.AddRecords(simulator.RecordsRequest{Vendor: v, Count: 5, Late: time.Second})
	require.NoError(t, err)
	all = append(all, late...)
	require.Eventually(t, func() bool { return r1.sink.LogRecordCount()+r2.sink.LogRecordCount() >= len(all) }, waitFor, tick)
	n := sim.Stats()
	require.Eventually(t, func() bool { return totalRequests(sim.Stats()) > totalRequests(n)+5 }, waitFor, tick, "a few more polls")
	r2.stop()
	st := sim.Stats()
	t.Logf("simulator requests by status: %v", st.Requests)
	// Every injected fault was met (and survived).
	for _, status := range []int{429, 503} {
		require.Positive(t, st.Requests["xsoar."+kindOf(cfg.LogType).op][status], "HTTP %d served", status)
	}
	require.Zero(t, st.ActiveFaults, "every fault was used up")

	requireExactlyOnce(t, append(r1.uids(), r2.uids()...), all)
}

func totalRequests(st simulator.Stats) (n int64) {
	for _, byStatus := range st.Requests {
		for _, c := range byStatus {
			n += c
		}
	}
	return n
}
