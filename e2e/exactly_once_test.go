//go:build e2e

package e2e

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/secaudit/otelcol-audit/internal/testsupport/simulator"
)

const backfill = 20000

func backfillOptions() simulator.Options {
	return simulator.Options{CyberArkBackfill: backfill, XSOARBackfill: backfill, XSOARAgentsBackfill: backfill, BackfillSpan: 2 * time.Hour}
}

// allFeeds are every record feed of the simulator: CyberArk, the Cortex tenant's management
// log, and its agents' reports, which the third receiver of an env with agents reads.
var allFeeds = []simulator.Vendor{simulator.CyberArk, simulator.XSOAR, simulator.XSOARAgents}

// 1. A backfill of 20,000 records per stream (CyberArk, the XSOAR management log, the agents'
// reports) arrives exactly once.
func TestBackfillArrivesExactlyOnce(t *testing.T) {
	e := newEnv(t, backfillOptions())
	e.agents = true
	start := time.Now()
	agent := startCollector(t, e.dir, "agent", e.agentConfig(e.syncExporter(), ""))
	got := e.waitExactlyOnce(3*time.Minute, agent)
	t.Logf("backfill of %d records per stream in %s: %v", backfill, time.Since(start).Round(time.Millisecond), got)
}

// 2. The same while the collector is killed with SIGKILL at five random moments. Nothing is
// lost. A kill that lands after the backend accepted a page but before the checkpoint write
// (or the backend's answer) reached disk makes the restarted receiver send that page again: no
// receiver can avoid it, because the two writes are not one transaction. The duplicates are
// therefore bounded by one page per kill and per receiver, and carry the same log.record.uid,
// so the backend can drop them.
func TestSIGKILLRestartsExactlyOnce(t *testing.T) {
	const kills = 5
	maxDups := map[string]int{"cyberarkisp": kills * 500, "xsoaraudit": kills * 100, agentsStream: kills * 100} // page_size defaults
	e := newEnv(t, backfillOptions())
	e.agents = true
	agent := startCollector(t, e.dir, "agent", e.agentConfig(e.syncExporter(), ""))
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	for i := range kills {
		// Spread the kills over the backfill (about a minute): early, mid-page, mid-burst.
		wait := time.Duration(1000+rng.IntN(9000)) * time.Millisecond
		time.Sleep(wait)
		before := received(t, e.out)
		agent.kill()
		t.Logf("kill %d after %s: %d + %d + %d records received so far", i+1, wait,
			len(before["cyberarkisp"]), len(before["xsoaraudit"]), len(before[agentsStream]))
		agent.start()
	}
	got := e.waitAllArrived(time.Now(), 3*time.Minute, agent)
	for kind, d := range got {
		require.LessOrEqual(t, d.dups, maxDups[kind], "%s: at most one page per kill may come twice: %v", kind, d)
	}
	t.Logf("after %d SIGKILLs: %v", kills, got)
}

// 3. The same with every fault switched on in turn: exactly once, and the collector never exits.
func TestFaultsExactlyOnce(t *testing.T) {
	e := newEnv(t, simulator.Options{CyberArkBackfill: 2000, XSOARBackfill: 2000, XSOARAgentsBackfill: 2000, BackfillSpan: time.Hour, Rate: 2})
	e.agents = true
	agent := startCollector(t, e.dir, "agent", e.agentConfig(e.syncExporter(), ""))
	e.waitExactlyOnce(2*time.Minute, agent)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("agent log:\n%s", tail(agent.logs()))
		}
	})
	faults := []struct {
		name  string
		fault *simulator.Fault
		add   func()
	}{
		{"5xx burst", &simulator.Fault{Kind: simulator.FaultStatus, Status: 503, Count: 6}, nil},
		{"429 with Retry-After", &simulator.Fault{Kind: simulator.FaultThrottle, RetryAfter: 1, Count: 3}, nil},
		{"429 without Retry-After", &simulator.Fault{Kind: simulator.FaultThrottle, Count: 4}, nil},
		{"slow responses", &simulator.Fault{Kind: simulator.FaultLatency, Latency: 2 * time.Second, Count: 4}, nil},
		{"truncated JSON", &simulator.Fault{Kind: simulator.FaultTruncate, Count: 3}, nil},
		{"HTML page with status 200", &simulator.Fault{Kind: simulator.FaultHTML, Count: 3}, nil},
		{"expired cursor", &simulator.Fault{Kind: simulator.FaultExpireCursor, Vendor: simulator.CyberArk, Count: 2}, nil},
		{"missing total_count", &simulator.Fault{Kind: simulator.FaultOmitTotalCount, Vendor: simulator.XSOAR, Count: 20}, nil},
		{"agents_reports alone answers 502", &simulator.Fault{Kind: simulator.FaultStatus, Status: 502, Vendor: simulator.XSOARAgents, Count: 4}, nil},
		{"token revoked mid-stream", nil, func() { e.sim.RevokeTokens() }},
		{"burst of 3,000 records in one time unit", nil, func() {
			for _, v := range allFeeds {
				_, err := e.sim.Burst(v, 3000)
				require.NoError(t, err)
			}
		}},
	}
	for _, f := range faults {
		t.Run(f.name, func(t *testing.T) {
			if f.fault != nil {
				_, err := e.sim.InjectFault(*f.fault)
				require.NoError(t, err)
			}
			if f.add != nil {
				f.add()
			}
			for _, v := range allFeeds {
				_, err := e.sim.AddRecords(simulator.RecordsRequest{Vendor: v, Count: 300})
				require.NoError(t, err)
			}
			got := e.waitExactlyOnceUntil(time.Now(), 2*time.Minute, agent)
			e.sim.ClearFaults()
			require.True(t, agent.running(), "the collector never exits")
			t.Logf("%s: %v", f.name, got)
		})
	}
}

// Records inserted late (with an event time already behind the checkpoint) arrive exactly once
// when the receivers re-read an overlap that covers the lateness.
func TestLateRecordsWithOverlapExactlyOnce(t *testing.T) {
	e := newEnv(t, simulator.Options{CyberArkBackfill: 1000, XSOARBackfill: 1000, XSOARAgentsBackfill: 1000, BackfillSpan: time.Hour, Rate: 2})
	e.agents = true
	agent := startCollector(t, e.dir, "agent", e.agentConfig(e.syncExporter(), "    overlap: 1m"))
	e.waitExactlyOnce(2*time.Minute, agent)
	for round := range 3 {
		for _, v := range allFeeds {
			_, err := e.sim.AddRecords(simulator.RecordsRequest{Vendor: v, Count: 50, Late: 30 * time.Second})
			require.NoError(t, err)
		}
		got := e.waitExactlyOnceUntil(time.Now(), time.Minute, agent)
		t.Logf("late round %d: %v", round+1, got)
	}
}
