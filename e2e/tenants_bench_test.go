//go:build e2e

package e2e

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/secaudit/otelcol-audit/internal/testsupport/simulator"
)

// tenantsCase is one collector carrying many tenants: cyberark tenants read by cyberarkisp and
// xsoar tenants by xsoaraudit, one receiver each, every tenant a simulator of its own on its
// own loopback address with records of backlog.
type tenantsCase struct {
	cyberark, xsoar, records int
	latency                  time.Duration // added by each tenant's simulator to every vendor request
}

// tenantsCases: issue 15's hundred tenants. OTELCOL_AUDIT_TENANTS=N runs N of each instead, to
// find what one collector carries (see docs/many-tenants.md); OTELCOL_AUDIT_GOMEMLIMIT sets the
// collector's GOMEMLIMIT (the benchmark's own runtime read its environment at start already).
func tenantsCases(b *testing.B) []tenantsCase {
	b.Helper()
	c := tenantsCase{cyberark: 50, xsoar: 50, records: 1000, latency: 20 * time.Millisecond}
	if v := os.Getenv("OTELCOL_AUDIT_TENANTS"); v != "" {
		n, err := strconv.Atoi(v)
		require.NoError(b, err, "OTELCOL_AUDIT_TENANTS")
		c.cyberark, c.xsoar = n, n
	}
	return []tenantsCase{c}
}

// idleWindow is how long idle CPU is measured once every receiver caught up: one poll_interval
// (the default, 1m), so that every receiver polls once in it.
const idleWindow = time.Minute

// BenchmarkTenants runs one otelcol-audit with a receiver per tenant, all into one file
// exporter with checkpoints in file_storage (fsync), and reports what sizing a shared collector
// needs. Run by `make bench`:
//
//	receivers        receivers in the collector
//	ready-s          process start to the collector's "Everything is ready"
//	caught-up-s      process start to the last record of every backlog on disk
//	peak-RSS-MiB     the collector's peak resident memory (VmHWM), idle minute included
//	idle-RSS-MiB     its resident memory at the end of the idle minute (VmRSS)
//	goroutines       the most goroutines seen while the backlogs drain (pprof, every 250 ms)
//	idle-goroutines  goroutines once caught up
//	CPU-s/Mrecords   the collector's user+system CPU from start to caught up, per million records
//	idle-CPU-%       the collector's CPU over the minute after catching up, in % of one core
//	idle-calls       vendor API calls in that minute, every tenant together
//	missing, dups    records not delivered, and delivered more than once, over every tenant
func BenchmarkTenants(b *testing.B) {
	for _, c := range tenantsCases(b) {
		name := fmt.Sprintf("cyberarkisp=%d/xsoaraudit=%d/records=%d/latency=%s", c.cyberark, c.xsoar, c.records, c.latency)
		b.Run(name, func(b *testing.B) {
			var r tenantsResult
			for range b.N {
				r = runTenants(b, c)
			}
			b.ReportMetric(float64(c.cyberark+c.xsoar), "receivers")
			b.ReportMetric(r.ready.Seconds(), "ready-s")
			b.ReportMetric(r.caughtUp.Seconds(), "caught-up-s")
			b.ReportMetric(float64(r.maxRSS)/(1<<20), "peak-RSS-MiB")
			b.ReportMetric(float64(r.idleRSS)/(1<<20), "idle-RSS-MiB")
			b.ReportMetric(float64(r.goroutines), "goroutines")
			b.ReportMetric(float64(r.idleGoroutines), "idle-goroutines")
			b.ReportMetric(r.cpu.Seconds()*1e6/float64(r.records), "CPU-s/Mrecords")
			b.ReportMetric(100*r.idleCPU.Seconds()/idleWindow.Seconds(), "idle-CPU-%")
			b.ReportMetric(float64(r.idleCalls), "idle-calls")
			b.ReportMetric(float64(r.missing), "missing")
			b.ReportMetric(float64(r.dups), "dups")
		})
	}
}

type tenantsResult struct {
	records                    int
	ready, caughtUp            time.Duration
	maxRSS, idleRSS            int64
	goroutines, idleGoroutines int
	cpu, idleCPU               time.Duration
	idleCalls                  int64
	missing, dups              int
}

func runTenants(b *testing.B, c tenantsCase) tenantsResult {
	b.Helper()
	b.StopTimer()
	dir := b.TempDir()
	n := c.cyberark + c.xsoar
	fleet, err := simulator.NewFleet(n, simulator.Options{Seed: 42, Latency: c.latency, BackfillSpan: time.Hour},
		func(i int, o *simulator.Options) {
			if i <= c.cyberark {
				o.CyberArkBackfill = c.records
			} else {
				o.XSOARBackfill = c.records
			}
		})
	require.NoError(b, err)
	backlogEnd := time.Now()
	require.NoError(b, fleet.Start())
	defer fleet.Close()
	// A backlog is older than settle_delay (5s): xsoaraudit leaves newer records to the next
	// poll, a minute later, which would be measured as a minute of slowness.
	time.Sleep(time.Until(backlogEnd.Add(6 * time.Second)))

	if v := os.Getenv("OTELCOL_AUDIT_GOMEMLIMIT"); v != "" {
		b.Setenv("GOMEMLIMIT", v)
	}
	out := filepath.Join(dir, "records.proto")
	pprof := freePort(b)
	cfg := tenantsConfig(b, dir, fleet, c.cyberark, out, pprof)
	start := time.Now()
	agent := startCollector(b, dir, "agent", cfg)
	pid := agent.cmd.Process.Pid

	ctx, stopSampling := context.WithCancel(context.Background())
	var peakG int
	var sampling sync.WaitGroup
	sampling.Go(func() {
		for ctx.Err() == nil {
			if g, err := goroutines(pprof); err == nil {
				peakG = max(peakG, g)
			}
			select {
			case <-ctx.Done():
			case <-time.After(250 * time.Millisecond):
			}
		}
	})
	var res tenantsResult
	res.records = n * c.records
	readyCh := make(chan time.Duration, 1)
	go func() { readyCh <- waitForLog(agent, "Everything is ready", start, 10*time.Minute) }()
	done, err := waitForRecords(out, false, res.records, 10*time.Minute, agent)
	stopSampling()
	sampling.Wait()
	require.NoError(b, err, "agent log:\n%s", tail(agent.logs()))
	res.caughtUp = done.Sub(start)
	res.cpu, err = processCPU(pid)
	require.NoError(b, err)
	res.ready = <-readyCh
	res.goroutines = peakG

	// Idle: the last empty probes and checkpoint writes end within a second or two; then one
	// poll_interval, in which every receiver polls once.
	time.Sleep(2 * time.Second)
	idleStart, err := processCPU(pid)
	require.NoError(b, err)
	callsBefore := fleetCalls(fleet)
	time.Sleep(idleWindow)
	idleEnd, err := processCPU(pid)
	require.NoError(b, err)
	res.idleCPU = idleEnd - idleStart
	res.idleCalls = fleetCalls(fleet) - callsBefore
	res.idleGoroutines, err = goroutines(pprof)
	require.NoError(b, err)
	res.maxRSS, err = peakRSS(pid)
	require.NoError(b, err)
	res.idleRSS, err = residentNow(pid)
	require.NoError(b, err)
	agent.stop()

	// Exactly once, tenant by tenant: a record ID names one tenant's record.
	counts := map[string]int{}
	for _, id := range uidsIn(b, out, false) {
		counts[id]++
	}
	for i, s := range fleet.Tenants() {
		v := simulator.CyberArk
		if i >= c.cyberark {
			v = simulator.XSOAR
		}
		ids, err := s.IDs(v)
		require.NoError(b, err)
		for _, id := range ids {
			switch k := counts[id]; {
			case k == 0:
				res.missing++
			case k > 1:
				res.dups += k - 1
			}
		}
	}
	require.Zero(b, res.missing, "records missing")
	require.Zero(b, res.dups, "records delivered twice")
	return res
}

// tenantsConfig writes one file per tenant holding its receiver, and returns the collector's
// configuration, which takes each from its file with ${file:...}: the layout the README
// recommends for many tenants.
func tenantsConfig(b *testing.B, dir string, fleet *simulator.Fleet, cyberark int, out string, pprof int) string {
	b.Helper()
	tenantDir := filepath.Join(dir, "tenants")
	require.NoError(b, os.MkdirAll(tenantDir, 0o700))
	var recv, names strings.Builder
	for i, s := range fleet.Tenants() {
		o := s.Options()
		var id, body string
		if i < cyberark {
			id = fmt.Sprintf("cyberarkisp/t%03d", i+1)
			body = fmt.Sprintf(`endpoint: %[1]s
identity_url: %[1]s
web_app_id: %[2]s
client_id: %[3]s
client_secret: %[4]s
api_key: %[5]s
`, s.URL(), o.WebAppID, o.ClientID, o.ClientSecret, o.APIKey)
		} else {
			id = fmt.Sprintf("xsoaraudit/t%03d", i+1)
			body = fmt.Sprintf(`endpoint: %s
api_key_id: "%s"
api_key: %s
security_level: advanced
`, s.URL(), o.XSOARKeyID, o.XSOARKey)
		}
		body += "start_time: 2 hours ago\nstorage: file_storage\n"
		file := filepath.Join(tenantDir, strings.ReplaceAll(id, "/", "-")+".yaml")
		require.NoError(b, os.WriteFile(file, []byte(body), 0o600))
		fmt.Fprintf(&recv, "  %s: ${file:%s}\n", id, file)
		if names.Len() > 0 {
			names.WriteString(", ")
		}
		names.WriteString(id)
	}
	return fmt.Sprintf(`
extensions:
  file_storage:
    directory: %[1]s/storage
    create_directory: true
    fsync: true
  pprof:
    endpoint: 127.0.0.1:%[5]d
receivers:
%[2]s
exporters:
  file:
    path: %[3]s
    format: proto
    flush_interval: 100ms
service:
  extensions: [file_storage, pprof]
  telemetry:
    metrics:
      level: none
  pipelines:
    logs:
      receivers: [%[4]s]
      exporters: [file]
`, dir, recv.String(), out, names.String(), pprof)
}

// goroutines reads the collector's goroutine count from its pprof extension.
func goroutines(port int) (int, error) {
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/debug/pprof/goroutine?debug=1", port))
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	line, err := bufio.NewReader(resp.Body).ReadString('\n')
	if err != nil {
		return 0, err
	}
	var n int
	if _, err := fmt.Sscanf(line, "goroutine profile: total %d", &n); err != nil {
		return 0, fmt.Errorf("goroutine profile %q: %w", line, err)
	}
	return n, nil
}

// residentNow is the process's resident set size in bytes, VmRSS of /proc/<pid>/status.
func residentNow(pid int) (int64, error) { return statusBytes(pid, "VmRSS") }

// clockTicks is USER_HZ, the unit of utime and stime in /proc/<pid>/stat: 100 on Linux.
const clockTicks = 100

// processCPU is the user+system CPU time the process used so far (/proc/<pid>/stat).
func processCPU(pid int) (time.Duration, error) {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name, field 2, is in parentheses and may hold spaces: count from after it.
	rest := string(stat[strings.LastIndexByte(string(stat), ')')+2:])
	f := strings.Fields(rest)
	if len(f) < 13 {
		return 0, fmt.Errorf("short /proc/%d/stat", pid)
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64) // field 14
	stime, err2 := strconv.ParseInt(f[12], 10, 64) // field 15
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("/proc/%d/stat: utime %q, stime %q", pid, f[11], f[12])
	}
	return time.Duration(utime+stime) * time.Second / clockTicks, nil
}

// fleetCalls is the number of vendor API calls every tenant answered so far.
func fleetCalls(f *simulator.Fleet) int64 {
	var n int64
	for _, s := range f.Tenants() {
		for label, byStatus := range s.Stats().Requests {
			if strings.HasPrefix(label, "cyberark.") || strings.HasPrefix(label, "xsoar.") {
				for _, k := range byStatus {
					n += k
				}
			}
		}
	}
	return n
}

// waitForLog returns how long after start the collector's log held text, found by looking
// every 20 ms, or the timeout.
func waitForLog(c *collector, text string, start time.Time, timeout time.Duration) time.Duration {
	for time.Since(start) < timeout && c.running() {
		if strings.Contains(c.logs(), text) {
			return time.Since(start)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return timeout
}
