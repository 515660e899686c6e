//go:build e2e

package e2e

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/secaudit/otelcol-audit/internal/testsupport/simulator"
)

// isolationTenant is one tenant of TestABadTenantDelaysNoOther and how it misbehaves.
type isolationTenant struct {
	name   string
	vendor simulator.Vendor
	fault  *simulator.Fault // nil: healthy
}

// isolationPoll is the receivers' poll_interval in TestABadTenantDelaysNoOther.
const isolationPoll = 2 * time.Second

// One collector reads six tenants, each on its own loopback address: of each vendor, one that
// answers every call with 429, one that never answers (each call waits out the client's
// timeout, 5s here so that the test sees several), and one healthy. The bad tenants' receivers retry with their default backoff the
// whole time; records added to a healthy tenant must still arrive within one poll of being
// added (plus XSOAR's settle_delay), every time, and exactly once.
func TestABadTenantDelaysNoOther(t *testing.T) {
	tenants := []isolationTenant{
		{name: "healthy", vendor: simulator.CyberArk},
		{name: "throttled", vendor: simulator.CyberArk, fault: &simulator.Fault{Kind: simulator.FaultThrottle}},
		{name: "hanging", vendor: simulator.CyberArk, fault: &simulator.Fault{Kind: simulator.FaultLatency, Latency: time.Hour}},
		{name: "healthy", vendor: simulator.XSOAR},
		{name: "throttled", vendor: simulator.XSOAR, fault: &simulator.Fault{Kind: simulator.FaultThrottle}},
		{name: "hanging", vendor: simulator.XSOAR, fault: &simulator.Fault{Kind: simulator.FaultLatency, Latency: time.Hour}},
	}
	fleet, err := simulator.NewFleet(len(tenants), simulator.Options{Seed: 7, BackfillSpan: time.Hour}, func(n int, o *simulator.Options) {
		if tenants[n-1].vendor == simulator.CyberArk {
			o.CyberArkBackfill = 200
		} else {
			o.XSOARBackfill = 200
		}
	})
	require.NoError(t, err)
	require.NoError(t, fleet.Start())
	t.Cleanup(func() { _ = fleet.Close() })
	for i, tn := range tenants {
		if tn.fault != nil {
			f := *tn.fault
			f.Vendor = tn.vendor
			_, err := fleet.Tenant(i + 1).InjectFault(f)
			require.NoError(t, err)
		}
	}
	time.Sleep(2 * time.Second) // the backlog is older than settle_delay

	dir := t.TempDir()
	out := filepath.Join(dir, "received.jsonl")
	agent := startCollector(t, dir, "agent", isolationConfig(dir, out, fleet, tenants))

	// The healthy tenants' backlogs, then two rounds of new records while the bad tenants' receivers
	// are deep in their retries and timeouts.
	truth := map[string]int{} // record ID -> tenant index
	for i, tn := range tenants {
		ids, err := fleet.Tenant(i + 1).IDs(tn.vendor)
		require.NoError(t, err)
		for _, id := range ids {
			truth[id] = i
		}
	}
	healthy := []int{0, 3}
	waitHealthyTenants(t, agent, out, truth, healthy, time.Now(), 30*time.Second)
	for round := range 2 {
		time.Sleep(3 * time.Second)
		added := time.Now()
		for _, i := range healthy {
			ids, err := fleet.Tenant(i + 1).AddRecords(simulator.RecordsRequest{Vendor: tenants[i].vendor, Count: 20})
			require.NoError(t, err)
			for _, id := range ids {
				truth[id] = i
			}
		}
		// One poll, XSOAR's settle_delay, and the time a poll and the exporter take.
		took := waitHealthyTenants(t, agent, out, truth, healthy, added, isolationPoll+time.Second+3*time.Second)
		t.Logf("round %d: the healthy tenants' new records arrived in %s", round+1, took.Round(time.Millisecond))
	}

	// The bad tenants were bad all along, and their receivers kept trying: the hanging ones'
	// calls end when the client gives up (counted as 499).
	for i, tn := range tenants {
		if tn.fault == nil {
			continue
		}
		st := fleet.Tenant(i + 1).Stats()
		var calls int64
		for label, byStatus := range st.Requests {
			if strings.HasPrefix(label, string(tn.vendor)+".") {
				for _, n := range byStatus {
					calls += n
				}
			}
		}
		require.Positive(t, calls, "%s %s tenant was called", tn.name, tn.vendor)
	}
	require.True(t, agent.running(), "agent log:\n%s", tail(agent.logs()))
}

// waitHealthyTenants waits until every record of the healthy tenants in truth arrived, and checks that
// none arrived twice. It returns how long after since that was.
func waitHealthyTenants(t *testing.T, agent *collector, out string, truth map[string]int, healthy []int, since time.Time, within time.Duration) time.Duration {
	t.Helper()
	deadline := since.Add(within)
	for {
		counts := map[string]int{}
		for _, ids := range received(t, out) {
			for _, id := range ids {
				counts[id]++
			}
		}
		missing := 0
		for id, i := range truth {
			for _, h := range healthy {
				if i == h && counts[id] == 0 {
					missing++
				}
			}
		}
		if missing == 0 {
			took := time.Since(since)
			for id, n := range counts {
				require.Equal(t, 1, n, "record %s arrived %d times", id, n)
				_, known := truth[id]
				require.True(t, known, "record %s is no tenant's", id)
			}
			return took
		}
		require.True(t, agent.running(), "agent exited:\n%s", tail(agent.logs()))
		if time.Now().After(deadline) {
			t.Fatalf("%d records of the healthy tenants missing %s after they were added (allowed: %s)\nagent log:\n%s",
				missing, time.Since(since).Round(time.Millisecond), within, tail(agent.logs()))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// isolationConfig gives each tenant its receiver, with the default retries and timeout, all
// into one file exporter.
func isolationConfig(dir, out string, fleet *simulator.Fleet, tenants []isolationTenant) string {
	var recv, names strings.Builder
	for i, tn := range tenants {
		s := fleet.Tenant(i + 1)
		o := s.Options()
		var id string
		if tn.vendor == simulator.CyberArk {
			id = "cyberarkisp/" + tn.name
			fmt.Fprintf(&recv, `  %[1]s:
    endpoint: %[2]s
    identity_url: %[2]s
    web_app_id: %[3]s
    client_id: %[4]s
    client_secret: %[5]s
    api_key: %[6]s
`, id, s.URL(), o.WebAppID, o.ClientID, o.ClientSecret, o.APIKey)
		} else {
			id = "xsoaraudit/" + tn.name
			fmt.Fprintf(&recv, `  %s:
    endpoint: %s
    api_key_id: "%s"
    api_key: %s
    security_level: advanced
    settle_delay: 1s
`, id, s.URL(), o.XSOARKeyID, o.XSOARKey)
		}
		fmt.Fprintf(&recv, "    start_time: 2 hours ago\n    poll_interval: %s\n    timeout: 5s\n    storage: file_storage\n", isolationPoll)
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
receivers:
%[2]s
exporters:
  file:
    path: %[3]s
    flush_interval: 100ms
service:
  extensions: [file_storage]
  telemetry:
    metrics:
      level: none
  pipelines:
    logs:
      receivers: [%[4]s]
      exporters: [file]
`, dir, recv.String(), out, names.String())
}
