//go:build e2e

package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secaudit/otelcol-audit/internal/testsupport/simulator"
)

// Production does not stop while faults happen. Both receivers in one collector read steady live
// traffic, 5% of it up to 6 s late (overlap 15 s), while the collector is reloaded (SIGHUP),
// frozen (SIGSTOP) for longer than the token lives, cut off from its backend, left without disk
// space for its checkpoints (a small tmpfs, when run as root), and killed (SIGKILL). Every
// record arrives exactly once, with the vendor's clock 90 s ahead of ours, 90 s behind, or equal.
func TestSteadyTrafficThroughFaultsExactlyOnce(t *testing.T) {
	for _, tc := range []struct {
		name string
		skew time.Duration
	}{{"vendor clock equal", 0}, {"vendor clock 90s ahead", 90 * time.Second}, {"vendor clock 90s behind", -90 * time.Second}} {
		t.Run(tc.name, func(t *testing.T) { steadyTrafficThroughFaults(t, tc.skew) })
	}
}

func steadyTrafficThroughFaults(t *testing.T, skew time.Duration) {
	t.Helper()
	e := newEnv(t, simulator.Options{
		Rate: 20, LateShare: 0.05, LateMax: 6 * time.Second, TokenTTL: 4 * time.Second,
		Now: func() time.Time { return time.Now().Add(skew) },
	})
	storage := filepath.Join(e.dir, "storage")
	fullDisk := mountSmallDisk(t, storage)
	agent := startCollector(t, e.dir, "agent", e.agentConfig(e.syncExporter(), "    overlap: 15s\n"))
	step := func(what string, wait time.Duration) {
		t.Logf("%s; then %s of traffic", what, wait)
		time.Sleep(wait)
		require.True(t, agent.running(), "the collector exited after %s:\n%s", what, tail(agent.logs()))
	}
	step("started", 6*time.Second)

	require.NoError(t, agent.cmd.Process.Signal(syscall.SIGHUP))
	step("reloaded", 4*time.Second)

	require.NoError(t, agent.cmd.Process.Signal(syscall.SIGSTOP))
	time.Sleep(6 * time.Second) // longer than the 4 s token
	require.NoError(t, agent.cmd.Process.Signal(syscall.SIGCONT))
	step("frozen for 6 s", 4*time.Second)

	e.backend.stop()
	time.Sleep(5 * time.Second)
	e.backend.start()
	step("backend down for 5 s", 4*time.Second)

	if fullDisk != nil {
		fullDisk(5*time.Second, func() {
			// A burst in one second grows the checkpoint's re-read window, so the storage file
			// must grow while the disk is full.
			_, err := e.sim.Burst(simulator.CyberArk, 3000)
			require.NoError(t, err)
		})
		step("storage disk full for 5 s, with a burst", 4*time.Second)
	}

	agent.kill()
	agent.start()
	step("killed and restarted", 8*time.Second)

	// Every record up to the vendor's now: record times are its clock.
	cutoff := time.Now().Add(skew)
	waited := time.Now()
	got := e.waitExactlyOnceUntil(cutoff, 90*time.Second, agent)
	t.Logf("vendor clock %+v: %v, all there %s after the last fault", skew, got, time.Since(waited).Round(100*time.Millisecond))
	st := e.sim.Stats()
	calls := func(labels ...string) (n int64) {
		for _, l := range labels {
			for _, c := range st.Requests[l] {
				n += c
			}
		}
		return n
	}
	for _, c := range []struct {
		stream string
		calls  int64
	}{{"cyberarkisp", calls("cyberark.createQuery", "cyberark.results")}, {"xsoaraudit", calls("xsoar.management_logs")}} {
		t.Logf("%s: %d API calls, %.1f per 1,000 records delivered", c.stream, c.calls, float64(c.calls)*1000/float64(got[c.stream].got))
	}

	logs := agent.logs()
	if skew != 0 {
		assert.Positive(t, strings.Count(logs, "The vendor's clock differs from ours"), "the skew is logged")
	}
	assert.Zero(t, strings.Count(logs, "Records are dated in the future"), "a vendor clock ahead is not a record from the future")
	// bbolt reuses the pages it freed, so a full disk fails a save only when the file must grow,
	// as the burst makes it: said once, with its cause, and its end said too.
	failed := strings.Count(logs, "Saving the checkpoint failed")
	t.Logf("checkpoint saves reported failing while the disk was full: %d", failed)
	assert.LessOrEqual(t, failed, 2, "once per receiver, not per page")
	if fullDisk != nil {
		assert.Positive(t, failed, "the full disk is reported")
		assert.Positive(t, strings.Count(logs, "no space left on device"), "with its cause")
		assert.Equal(t, failed, strings.Count(logs, "Saving the checkpoint works again"), "and its end")
	}
}

// mountSmallDisk mounts a 4 MiB tmpfs at dir, where file_storage keeps the checkpoints, and
// returns a function that fills it, runs during, waits d and frees it again. Without root it returns nil:
// the scenario then runs without the full disk.
func mountSmallDisk(t *testing.T, dir string) func(d time.Duration, during func()) {
	t.Helper()
	require.NoError(t, os.MkdirAll(dir, 0o700))
	if os.Geteuid() != 0 {
		t.Log("not root: the full-disk step is skipped")
		return nil
	}
	out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=4m,mode=0700", "tmpfs", dir).CombinedOutput()
	require.NoError(t, err, "mount tmpfs: %s", out)
	t.Cleanup(func() { _ = exec.Command("umount", "-l", dir).Run() })
	return func(d time.Duration, during func()) {
		filler := filepath.Join(dir, "filler")
		f, err := os.Create(filler)
		require.NoError(t, err)
		chunk := make([]byte, 64<<10)
		for {
			if _, err := f.Write(chunk); err != nil {
				break // ENOSPC: the disk is full
			}
		}
		_ = f.Close()
		during()
		time.Sleep(d)
		require.NoError(t, os.Remove(filler))
	}
}
