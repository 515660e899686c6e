package xsoarauditreceiver

import (
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/storage/storagetest"
	"github.com/stretchr/testify/require"

	"github.com/secaudit/otelcol-audit/internal/testsupport/simulator"
)

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
