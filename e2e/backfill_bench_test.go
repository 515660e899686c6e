//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/secaudit/otelcol-audit/internal/testsupport/logtest"
	"github.com/secaudit/otelcol-audit/internal/testsupport/simulator"
)

// backfillCase is one backlog drained by the built otelcol-audit from the simulator into a file.
type backfillCase struct {
	vendor  simulator.Vendor
	latency time.Duration // added by the simulator to every vendor request
	records int
	rps     float64 // the receiver's requests_per_second; 0 turns the client-side limit off
	json    bool    // the file exporter writes OTLP JSON lines instead of length-prefixed protobuf
	// processors, when set, is a processors: section whose processors the pipeline runs in order
	// (BenchmarkRecipeCost); names lists them.
	processors string
	names      []string
}

// backfillCases: records per second at 20 ms and 100 ms of API latency, each against the
// reference drainer run just before it on the same simulator (reference_drainer_test.go), and
// peak memory for a 100k and a 1M backlog. The Cortex backlogs are smaller than CyberArk's: at
// requests_per_second 10 both the receiver and the reference read 1,000 records a second, and
// 30,000 records (300 requests) tell the ratio to a tenth of a percent in 30 s. The memory
// runs add no latency and lift XSOAR's rate limit, so that a million records drain in about a
// minute; what they measure is how memory follows the size of the backlog, not the speed, and
// they have no reference. The agents' audit reports (xsoaraudit with log_type:
// agents_reports) drain under the same tenant limit as the management log.
var backfillCases = []backfillCase{
	{vendor: simulator.CyberArk, latency: 20 * time.Millisecond, records: 200_000},
	{vendor: simulator.CyberArk, latency: 20 * time.Millisecond, records: 200_000, json: true},
	{vendor: simulator.CyberArk, latency: 100 * time.Millisecond, records: 200_000},
	{vendor: simulator.XSOAR, latency: 20 * time.Millisecond, records: 30_000, rps: 10},
	{vendor: simulator.XSOAR, latency: 100 * time.Millisecond, records: 30_000, rps: 10},
	{vendor: simulator.XSOARAgents, latency: 20 * time.Millisecond, records: 30_000, rps: 10},
	{vendor: simulator.CyberArk, records: 100_000},
	{vendor: simulator.CyberArk, records: 1_000_000},
	{vendor: simulator.XSOAR, records: 100_000},
	{vendor: simulator.XSOAR, records: 1_000_000},
}

func (c backfillCase) format() string {
	if c.json {
		return "json"
	}
	return "proto"
}

// receiver is the receiver's ID in the collector's configuration.
func (c backfillCase) receiver() string {
	switch c.vendor {
	case simulator.CyberArk:
		return "cyberarkisp"
	case simulator.XSOARAgents:
		return agentsStream
	}
	return "xsoaraudit"
}

// label names the case's receiver in the benchmark's name, where a "/" would start a level.
func (c backfillCase) label() string { return strings.ReplaceAll(c.receiver(), "/", "_") }

// pageSize is each receiver's default page_size, the largest its API serves.
func (c backfillCase) pageSize() int {
	if c.vendor == simulator.CyberArk {
		return 500
	}
	return 100
}

// idealRate is the fastest the API lets a client drain a backlog, in records per second: one
// page per round trip, and for XSOAR no more requests than requests_per_second. 0 when the case
// has no latency, so no ideal.
func (c backfillCase) idealRate() float64 {
	if c.latency == 0 {
		return 0
	}
	ideal := float64(c.pageSize()) / c.latency.Seconds()
	if c.rps > 0 {
		ideal = math.Min(ideal, c.rps*float64(c.pageSize()))
	}
	return ideal
}

// idealCalls is the number of data requests a backfill cannot do without: every page, plus
// CyberArk's createQuery. An empty probe that finds the end is not counted here.
func (c backfillCase) idealCalls() int {
	n := (c.records + c.pageSize() - 1) / c.pageSize()
	if c.vendor == simulator.CyberArk {
		n++
	}
	return n
}

// BenchmarkBackfill drains each backlog through the built otelcol-audit into a file exporter,
// with checkpoints in file_storage (fsync on), and reports what an operator sizing a catch-up
// wants to know. Each run of a case with latency first drains the same backlog with the
// reference drainer, then with the collector, so that `-count N` interleaves them: reference,
// collector, reference, collector, and a drift of the machine hits both. Run by `make bench`,
// which needs the binary from `make build`:
//
//	records/s       records delivered per second, first API request to last record on disk
//	ref-records/s   the reference drainer's records per second, first API request to last page read
//	ref-ratio       records/s over ref-records/s of the same run: what benchtable holds to a target
//	ref-calls       the reference's data requests, beside calls
//	ideal-ratio     records/s over the nominal ideal (page_size / latency, capped by
//	                requests_per_second), for comparison with older runs
//	api-ms/call     mean time the simulator took per call, arrival to answer handed to the socket:
//	                the latency plus what the simulator and loopback add, which the ideal ignores
//	api-busy        share of the drain during which a call was being served: with calls made one
//	                after the other, 1 minus this is the time the receiver added (for XSOAR, also
//	                the waits that requests_per_second asks for)
//	peak-RSS-MiB    the collector's peak resident memory, VmHWM of /proc/<pid>/status
//	CPU-s/Mrecords  the collector's user+system CPU seconds (getrusage, as /usr/bin/time -v
//	                reports them) per million records, from start to exit
//	calls           data requests made; ideal-calls is the minimum (one per page, and createQuery);
//	                the rest are empty probes and XSOAR's re-reads of a window's first millisecond
//	tokens          CyberArk token requests
func BenchmarkBackfill(b *testing.B) {
	for _, c := range backfillCases {
		name := fmt.Sprintf("%s/latency=%s/records=%d/file=%s", c.label(), c.latency, c.records, c.format())
		b.Run(name, func(b *testing.B) {
			var r backfillResult
			for range b.N {
				r = runBackfill(b, c)
			}
			b.ReportMetric(r.rate, "records/s")
			if r.ref.records > 0 {
				b.ReportMetric(r.ref.rate, "ref-records/s")
				b.ReportMetric(r.rate/r.ref.rate, "ref-ratio")
				b.ReportMetric(float64(r.ref.calls), "ref-calls")
			}
			if ideal := c.idealRate(); ideal > 0 {
				b.ReportMetric(ideal, "ideal-records/s")
				b.ReportMetric(r.rate/ideal, "ideal-ratio")
			}
			b.ReportMetric(r.apiMs, "api-ms/call")
			b.ReportMetric(r.busy, "api-busy")
			b.ReportMetric(float64(r.maxRSS)/(1<<20), "peak-RSS-MiB")
			b.ReportMetric(r.cpu.Seconds()*1e6/float64(c.records), "CPU-s/Mrecords")
			b.ReportMetric(float64(r.calls), "calls")
			b.ReportMetric(float64(c.idealCalls()), "ideal-calls")
			if c.vendor == simulator.CyberArk {
				b.ReportMetric(float64(r.tokens), "tokens")
			}
		})
	}
}

type backfillResult struct {
	rate   float64 // records per second
	apiMs  float64 // mean time the simulator took per call, from arrival to the answer handed to the socket
	busy   float64 // share of the drain during which the simulator was serving a call
	maxRSS int64   // bytes
	cpu    time.Duration
	calls  int64
	tokens int64
	ref    referenceResult // zero for a case without latency
}

// referenceResult is the reference drainer's run of a case.
type referenceResult struct {
	records int
	rate    float64 // records per second
	calls   int
}

func runBackfill(b *testing.B, c backfillCase) backfillResult {
	b.Helper()
	b.StopTimer()
	dir := b.TempDir()
	opts := simulator.Options{Seed: 42, Latency: c.latency, BackfillSpan: 24 * time.Hour}
	switch c.vendor {
	case simulator.CyberArk:
		opts.CyberArkBackfill = c.records
	case simulator.XSOARAgents:
		opts.XSOARAgentsBackfill = c.records
	default:
		opts.XSOARBackfill = c.records
	}
	if c.vendor != simulator.CyberArk && c.rps == 0 {
		opts.XSOARRateLimit = -1
	}
	sim, err := simulator.New(opts)
	require.NoError(b, err)
	defer sim.Close()
	backlogEnd := time.Now()
	if c.vendor != simulator.CyberArk {
		// A backlog is older than settle_delay (5s): xsoaraudit leaves newer records to the
		// next poll, a minute later, which would be measured as a minute of slowness.
		time.Sleep(time.Until(backlogEnd.Add(6 * time.Second)))
	}
	var ref referenceResult
	if c.latency > 0 {
		ref = runReference(b, c, sim)
	}
	before := sim.Stats()
	url, tp := serveTapped(b, sim)

	out := filepath.Join(dir, "records."+c.format())
	agent := startCollector(b, dir, "agent", backfillConfig(c, dir, url, out))
	b.StartTimer()
	done, err := waitForRecords(out, c.json, c.records, 30*time.Minute, agent)
	b.StopTimer()
	require.NoError(b, err, "agent log:\n%s", tail(agent.logs()))
	hwm, err := peakRSS(agent.cmd.Process.Pid)
	require.NoError(b, err)
	agent.stop()
	require.NotNil(b, agent.exited)
	ru := agent.exited.SysUsage().(*syscall.Rusage)

	truth, err := sim.IDs(c.vendor)
	require.NoError(b, err)
	got := compare(truth, uidsIn(b, out, c.json))
	require.Zero(b, got.missing, "%s: %v", c.receiver(), got)
	require.Zero(b, got.dups, "%s: %v", c.receiver(), got)

	elapsed := done.Sub(time.Unix(0, tp.first.Load()))
	res := backfillResult{
		rate:   float64(c.records) / elapsed.Seconds(),
		apiMs:  tp.apiMillis(),
		busy:   float64(tp.serving.Load()) / float64(elapsed),
		maxRSS: hwm,
		cpu:    time.Duration(syscall.TimevalToNsec(ru.Utime) + syscall.TimevalToNsec(ru.Stime)),
		ref:    ref,
	}
	calls, tokens := vendorCalls(sim.Stats())
	callsBefore, tokensBefore := vendorCalls(before)
	res.calls, res.tokens = calls-callsBefore, tokens-tokensBefore
	return res
}

// runReference drains the case's backlog with the reference drainer through a tap of its own,
// and checks that it read every record.
func runReference(b *testing.B, c backfillCase, sim *simulator.Simulator) referenceResult {
	b.Helper()
	url, tp := serveTapped(b, sim)
	ctx, cancel := context.WithTimeout(b.Context(), 30*time.Minute)
	defer cancel()
	d, err := drain(ctx, c, url)
	require.NoError(b, err, "reference drain of %s", c.receiver())
	require.Equal(b, c.records, d.records, "reference drain of %s: records read", c.receiver())
	return referenceResult{
		records: d.records,
		rate:    float64(d.records) / d.last.Sub(time.Unix(0, tp.first.Load())).Seconds(),
		calls:   d.calls,
	}
}

// vendorCalls counts the data requests (createQuery, results, management_logs, agents_reports)
// and the CyberArk token requests a simulator has served.
func vendorCalls(st simulator.Stats) (calls, tokens int64) {
	for label, byStatus := range st.Requests {
		var n int64
		for _, k := range byStatus {
			n += k
		}
		switch label {
		case "cyberark.createQuery", "cyberark.results", "xsoar.management_logs", "xsoar.agents_reports":
			calls += n
		case "cyberark.token":
			tokens += n
		}
	}
	return calls, tokens
}

// tap notes, for the vendor requests a simulator serves, when the first one arrived (the start
// of a drain, whatever the client's start-up) and how long they took from arrival until the
// whole answer was handed to the socket: the latency, plus the simulator's and the loopback's
// share of the time, which the ideal does not count.
type tap struct {
	first   atomic.Int64 // unix ns
	calls   atomic.Int64
	serving atomic.Int64 // ns
}

func (t *tap) apiMillis() float64 {
	return float64(t.serving.Load()) / float64(t.calls.Load()) / 1e6
}

// serveTapped serves the simulator on a loopback port through a tap.
func serveTapped(b *testing.B, sim *simulator.Simulator) (string, *tap) {
	b.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(b, err)
	t := new(tap)
	srv := &http.Server{
		ReadHeaderTimeout: 10 * time.Second,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasPrefix(r.URL.Path, "/_sim") {
				sim.ServeHTTP(w, r)
				return
			}
			start := time.Now()
			t.first.CompareAndSwap(0, start.UnixNano())
			sim.ServeHTTP(w, r)
			t.calls.Add(1)
			t.serving.Add(int64(time.Since(start)))
		}),
	}
	go func() { _ = srv.Serve(ln) }()
	b.Cleanup(func() { _ = srv.Close() })
	return "http://" + ln.Addr().String(), t
}

// backfillConfig is a production-like pipeline: one receiver straight into the file exporter,
// checkpoints in file_storage with fsync. The file exporter writes protobuf, its cheaper
// format, unless the case asks for JSON, and flushes every 10 ms so that the harness sees the
// last record when it is written, not up to a second later.
func backfillConfig(c backfillCase, dir, url, out string) string {
	var recv string
	if c.vendor == simulator.CyberArk {
		recv = fmt.Sprintf(`  cyberarkisp:
    endpoint: %[1]s
    identity_url: %[1]s
    web_app_id: %[2]s
    client_id: %[3]s
    client_secret: %[4]s
    api_key: %[5]s`, url, simulator.DefaultWebAppID, simulator.DefaultClientID, simulator.DefaultClientSecret, simulator.DefaultAPIKey)
	} else {
		recv = fmt.Sprintf(`  %s:
    endpoint: %s
    api_key_id: "%s"
    api_key: %s
    security_level: advanced`, c.receiver(), url, simulator.DefaultXSOARKeyID, simulator.DefaultXSOARKey)
		if c.vendor == simulator.XSOARAgents {
			recv += "\n    log_type: agents_reports"
		}
	}
	return fmt.Sprintf(`
extensions:
  file_storage:
    directory: %[1]s/storage
    create_directory: true
    fsync: true
receivers:
%[2]s
    start_time: 25 hours ago
    poll_interval: 1m
    requests_per_second: %[3]g
    storage: file_storage
%[7]sexporters:
  file:
    path: %[4]s
    format: %[6]s
    flush_interval: 10ms
service:
  extensions: [file_storage]
  telemetry:
    metrics:
      level: none
  pipelines:
    logs:
      receivers: [%[5]s]
      processors: [%[8]s]
      exporters: [file]
`, dir, recv, c.rps, out, c.receiver(), c.format(), c.processors, strings.Join(c.names, ", "))
}

// recordCounter counts the records in the file exporter's output as it grows, in complete
// messages only. It looks for the log.record.uid attribute key that every record carries
// rather than decoding OTLP, which is cheap enough to keep up with 25,000 records/s on the
// machine that runs the collector.
type recordCounter struct {
	json    bool
	pending []byte
	count   int
}

var uidAttr = []byte(logtest.UIDKey)

func (rc *recordCounter) feed(data []byte) {
	rc.pending = append(rc.pending, data...)
	done := 0
	if rc.json { // one ExportLogsServiceRequest per line
		if end := bytes.LastIndexByte(rc.pending, '\n'); end >= 0 {
			rc.count += bytes.Count(rc.pending[:end], uidAttr)
			done = end + 1
		}
	} else { // each message is preceded by its length, 4 bytes big-endian
		for len(rc.pending)-done >= 4 {
			n := int(binary.BigEndian.Uint32(rc.pending[done:]))
			if len(rc.pending)-done-4 < n {
				break
			}
			rc.count += bytes.Count(rc.pending[done+4:done+4+n], uidAttr)
			done += 4 + n
		}
	}
	rc.pending = append(rc.pending[:0], rc.pending[done:]...)
}

// waitForRecords follows the file exporter's output until it holds want records, and returns
// when the last of them was seen.
func waitForRecords(path string, json bool, want int, timeout time.Duration, agent *collector) (time.Time, error) {
	deadline := time.Now().Add(timeout)
	rc := recordCounter{json: json}
	buf := make([]byte, 4<<20)
	var f *os.File
	defer func() {
		if f != nil {
			f.Close()
		}
	}()
	for {
		if f == nil {
			f, _ = os.Open(path)
		}
		for f != nil {
			n, err := f.Read(buf)
			rc.feed(buf[:n])
			if errors.Is(err, io.EOF) || n == 0 {
				break
			}
			if err != nil {
				return time.Time{}, err
			}
		}
		if rc.count >= want {
			return time.Now(), nil
		}
		if !agent.running() {
			return time.Time{}, fmt.Errorf("the collector exited after %d of %d records", rc.count, want)
		}
		if time.Now().After(deadline) {
			return time.Time{}, fmt.Errorf("%d of %d records after %s", rc.count, want, timeout)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// uidsIn decodes the file exporter's output and returns every record's log.record.uid.
func uidsIn(b *testing.B, path string, json bool) []string {
	b.Helper()
	data, err := os.ReadFile(path)
	require.NoError(b, err)
	var ids []string
	collect := func(ld plog.Logs) {
		uids := logtest.UIDs(ld)
		require.NotContains(b, uids, "", "a record without log.record.uid")
		ids = append(ids, uids...)
	}
	if json {
		var u plog.JSONUnmarshaler
		for line := range bytes.Lines(data) {
			ld, err := u.UnmarshalLogs(line)
			require.NoError(b, err)
			collect(ld)
		}
		return ids
	}
	var u plog.ProtoUnmarshaler
	for len(data) > 0 {
		require.GreaterOrEqual(b, len(data), 4, "a cut length prefix")
		n := int(binary.BigEndian.Uint32(data))
		require.GreaterOrEqual(b, len(data)-4, n, "a cut message")
		ld, err := u.UnmarshalLogs(data[4 : 4+n])
		require.NoError(b, err)
		collect(ld)
		data = data[4+n:]
	}
	return ids
}

// peakRSS is the process's peak resident set size in bytes, VmHWM in /proc/<pid>/status. It is
// read before the process exits rather than taken from ru_maxrss: Go starts a child by cloning
// the parent's address space, and Linux charges the child the parent's peak (here the
// benchmark's, with the simulator's records) until exec.
func peakRSS(pid int) (int64, error) { return statusBytes(pid, "VmHWM") }

// statusBytes reads one "<field>: N kB" line of /proc/<pid>/status, in bytes.
func statusBytes(pid int, field string) (int64, error) {
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for line := range strings.Lines(string(status)) {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			var kib int64
			if _, err := fmt.Sscanf(strings.TrimSpace(rest), "%d kB", &kib); err != nil {
				return 0, fmt.Errorf("%s %q: %w", field, rest, err)
			}
			return kib << 10, nil
		}
	}
	return 0, fmt.Errorf("no %s in /proc/%d/status", field, pid)
}
