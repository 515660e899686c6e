package cyberarkispreceiver

import (
	"fmt"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/storage/storagetest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secaudit/otelcol-audit/internal/testsupport/simulator"
)

// steadyRun is one run of live traffic that never stops, some of it late, against the simulator.
type steadyRun struct {
	rate    float64       // events per second
	late    time.Duration // the latest an event may arrive after its time (5% of them do)
	overlap time.Duration
	skew    time.Duration // the vendor's clock minus ours
	latency time.Duration
	runFor  time.Duration
	// pollInterval defaults to 300 ms.
	pollInterval time.Duration
	pageSize     int
	maxPerRun    int // max_events_per_poll; 0 keeps the default
}

// run starts the simulator and the receiver, lets traffic flow for runFor, then checks that every
// event the vendor held at that moment was delivered exactly once (traffic goes on meanwhile).
// It returns the events checked and the API calls made, per 1,000 events.
func (r steadyRun) run(t testing.TB) (events int, callsPer1000 float64) {
	t.Helper()
	skew := r.skew
	sim, err := simulator.New(simulator.Options{
		Rate: r.rate, LateShare: 0.05, LateMax: r.late, Latency: r.latency, Seed: 11,
		Now: func() time.Time { return time.Now().Add(skew) },
	})
	require.NoError(t, err)
	cfg := startSimulator(t, sim)
	cfg.Poll.StartTime = "1 minute ago"
	cfg.Poll.PollInterval = 300 * time.Millisecond
	if r.pollInterval > 0 {
		cfg.Poll.PollInterval = r.pollInterval
	}
	cfg.Poll.Overlap = r.overlap
	cfg.Poll.RequestsPerSecond = 0
	if r.pageSize > 0 {
		cfg.PageSize = r.pageSize
	}
	if r.maxPerRun > 0 {
		cfg.Poll.MaxEventsPerPoll = r.maxPerRun
	}
	id := storagetest.NewStorageID("test")
	cfg.Poll.StorageID = &id
	h := start(t, cfg, t.TempDir())

	time.Sleep(r.runFor)
	want, err := sim.IDs(simulator.CyberArk)
	require.NoError(t, err)
	require.NotEmpty(t, want)
	// Every event the vendor held then must arrive; the poll that reads the newest of them can
	// come up to a poll interval later, and late ones up to the overlap later.
	deadline := time.Now().Add(r.overlap + cfg.Poll.PollInterval + 5*time.Second)
	for time.Now().Before(deadline) {
		if missing(h.uids(), want) == 0 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	h.stop()
	st := sim.Stats()
	got := h.uids()
	assert.Zero(t, missing(got, want), "events the vendor held but the receiver never delivered, of %d", len(want))
	for uid, n := range got {
		assert.Equal(t, 1, n, "event %s delivered %d times", uid, n)
	}
	calls := 0
	for _, label := range []string{"cyberark.createQuery", "cyberark.results"} {
		for _, n := range st.Requests[label] {
			calls += int(n)
		}
	}
	per1000 := float64(calls) * 1000 / float64(len(got))
	t.Logf("%d events held by the vendor, %d never delivered; %d API calls, %.1f per 1,000 events delivered",
		len(want), missing(got, want), calls, per1000)
	return len(want), per1000
}

func missing(got map[string]int, want []string) (n int) {
	for _, uid := range want {
		if got[uid] == 0 {
			n++
		}
	}
	return n
}

// Live traffic that never pauses, 5% of it up to half the overlap late: an open-ended query whose
// pages are never empty must not tail the trail for ever, or the events inserted behind its
// cursor are never asked for and the checkpoint moves more than overlap past them.
func TestSteadyTrafficWithLateEventsLosesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("runs live traffic for seconds")
	}
	for _, tc := range []struct {
		name string
		run  steadyRun
	}{
		{"tailing", steadyRun{rate: 200, late: time.Second, overlap: 2 * time.Second, latency: 30 * time.Millisecond, runFor: 8 * time.Second}},
		{"poll cut by max_events_per_poll", steadyRun{rate: 200, late: time.Second, overlap: 2 * time.Second, latency: 30 * time.Millisecond, runFor: 8 * time.Second, pageSize: 20, maxPerRun: 40}},
		{"vendor clock behind", steadyRun{rate: 200, late: time.Second, overlap: 2 * time.Second, skew: -3 * time.Second, latency: 30 * time.Millisecond, runFor: 8 * time.Second}},
		{"vendor clock ahead", steadyRun{rate: 200, late: time.Second, overlap: 2 * time.Second, skew: 3 * time.Second, latency: 30 * time.Millisecond, runFor: 8 * time.Second}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.run.run(t)
		})
	}
}

// BenchmarkSteadyTrafficAPICalls reports the API calls per 1,000 events of live traffic at 20
// and 200 events per second, with time scaled down tenfold from a 1 minute poll interval, a
// 2 minute overlap and events up to 60 s late, and 100 ms per API call. Each case takes about a
// minute: run it with -benchtime 1x.
func BenchmarkSteadyTrafficAPICalls(b *testing.B) {
	for _, rate := range []float64{20, 200} {
		b.Run(fmt.Sprintf("rate=%g", rate), func(b *testing.B) {
			for b.Loop() {
				r := steadyRun{rate: rate, late: 6 * time.Second, overlap: 12 * time.Second, latency: 100 * time.Millisecond,
					runFor: 60 * time.Second, pollInterval: 6 * time.Second}
				events, calls := r.run(b)
				b.ReportMetric(calls, "calls/1000events")
				b.ReportMetric(float64(events), "events")
			}
		})
	}
}
