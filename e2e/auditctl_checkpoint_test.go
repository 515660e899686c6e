//go:build e2e

package e2e

import (
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secaudit/otelcol-audit/internal/testsupport/simulator"
)

// auditctl runs the built auditctl and returns its output and exit status.
func auditctl(t *testing.T, args ...string) (string, int) {
	t.Helper()
	bin := os.Getenv("AUDITCTL_BIN")
	require.NotEmpty(t, bin, "AUDITCTL_BIN is not set: run the end-to-end tests through `make test`")
	out, err := exec.Command(bin, args...).CombinedOutput()
	var exit *exec.ExitError
	if err != nil {
		require.ErrorAs(t, err, &exit, "%s", out)
		return string(out), exit.ExitCode()
	}
	return string(out), 0
}

// An operator inspects the checkpoints, rewinds one receiver by an hour (exactly that hour comes
// again, with the same log.record.uid), skips a backlog by moving one forward, and is refused
// while the collector holds the storage.
func TestAuditctlCheckpointShowRewindSkip(t *testing.T) {
	e := newEnv(t, simulator.Options{CyberArkBackfill: 3000, XSOARBackfill: 3000, BackfillSpan: 3 * time.Hour})
	agent := startCollector(t, e.dir, "agent", e.agentConfig(e.syncExporter(), ""))
	e.waitExactlyOnce(2*time.Minute, agent)

	// While the collector runs: show reads a snapshot, set and delete are refused.
	out, code := auditctl(t, "checkpoint", "show", "--config", agent.cfg)
	require.Zero(t, code, out)
	for _, want := range []string{"cyberarkisp", "xsoaraudit", "3000", "endpoint="} {
		assert.Contains(t, out, want)
	}
	out, code = auditctl(t, "checkpoint", "set", "--config", agent.cfg, "--receiver", "cyberarkisp", "--time", "1 hour ago")
	assert.Equal(t, 1, code, out)
	assert.Contains(t, out, "refused, nothing changed: a running collector holds")
	out, code = auditctl(t, "checkpoint", "delete", "--config", agent.cfg, "--receiver", "xsoaraudit")
	assert.Equal(t, 1, code, out)
	assert.Contains(t, out, "a running collector holds")
	agent.stop()

	// Rewind: exactly the last hour of CyberArk events comes again.
	rewindTo := time.Now().Add(-time.Hour).UTC().Truncate(time.Second)
	out, code = auditctl(t, "checkpoint", "set", "--config", agent.cfg, "--receiver", "cyberarkisp", "--time", rewindTo.Format(time.RFC3339))
	require.Zero(t, code, out)
	assert.Contains(t, out, "checkpoint moved from")
	hour, err := e.sim.IDsBetween(simulator.CyberArk, rewindTo.Add(time.Millisecond), time.Time{})
	require.NoError(t, err)
	require.NotEmpty(t, hour)
	before := len(received(t, e.out)["cyberarkisp"])
	agent.start()
	require.Eventually(t, func() bool { return len(received(t, e.out)["cyberarkisp"]) >= before+len(hour) }, time.Minute, 200*time.Millisecond)
	time.Sleep(3 * time.Second) // several polls: nothing more comes
	agent.stop()
	counts := map[string]int{}
	for _, id := range received(t, e.out)["cyberarkisp"] {
		counts[id]++
	}
	inHour := map[string]bool{}
	for _, id := range hour {
		inHour[id] = true
		assert.Equal(t, 2, counts[id], "an event of the rewound hour comes exactly once more")
	}
	for id, n := range counts {
		if !inHour[id] {
			assert.Equal(t, 1, n, "an event before the rewound hour is not repeated: %s", id)
		}
	}
	t.Logf("rewound by an hour: %d events delivered again, none else", len(hour))

	// Forward: a backlog that arrived while stopped is skipped; what comes after is delivered.
	skipped, err := e.sim.AddRecords(simulator.RecordsRequest{Vendor: simulator.XSOAR, Count: 200})
	require.NoError(t, err)
	time.Sleep(10 * time.Millisecond)
	out, code = auditctl(t, "checkpoint", "set", "--config", agent.cfg, "--receiver", "xsoaraudit", "--time", "now")
	require.Zero(t, code, out)
	time.Sleep(10 * time.Millisecond)
	later, err := e.sim.AddRecords(simulator.RecordsRequest{Vendor: simulator.XSOAR, Count: 50})
	require.NoError(t, err)
	agent.start()
	require.Eventually(t, func() bool {
		got := received(t, e.out)["xsoaraudit"]
		return compare(later, got).missing == 0
	}, time.Minute, 200*time.Millisecond, "the records after the new position arrive")
	time.Sleep(3 * time.Second)
	got := received(t, e.out)["xsoaraudit"]
	assert.Equal(t, len(skipped), compare(skipped, got).missing, "the skipped backlog is not delivered")
	assert.Zero(t, compare(later, got).dups)

	out, code = auditctl(t, "checkpoint", "show", "--config", agent.cfg, "--output", "json")
	require.Zero(t, code, out)
	assert.Equal(t, 2, strings.Count(out, `"current":true`), out)
}
