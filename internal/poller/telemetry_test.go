package poller

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/storage/storagetest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/secaudit/otelcol-audit/internal/checkpoint"
	"github.com/secaudit/otelcol-audit/internal/httpapi"
	"github.com/secaudit/otelcol-audit/internal/testsupport/statustest"
)

// sumOf returns the total of an int64 counter, or the last value of an int64 gauge.
func sumOf(t *testing.T, tt *componenttest.Telemetry, name string) int64 {
	t.Helper()
	m, err := tt.GetMetric(name)
	require.NoError(t, err, name)
	var total int64
	switch d := m.Data.(type) {
	case metricdata.Sum[int64]:
		for _, dp := range d.DataPoints {
			total += dp.Value
		}
	case metricdata.Gauge[int64]:
		require.NotEmpty(t, d.DataPoints)
		total = d.DataPoints[len(d.DataPoints)-1].Value
	default:
		t.Fatalf("%s has unexpected data %T", name, m.Data)
	}
	return total
}

// The engine's metrics are what an operator alerts on: they must count what really happened.
func TestTelemetryCountsWhatHappened(t *testing.T) {
	tt := componenttest.NewTelemetry()
	defer func() { require.NoError(t, tt.Shutdown(context.Background())) }()
	meter := tt.NewTelemetrySettings().MeterProvider.Meter("test")
	counter := func(name string) metric.Int64Counter {
		c, err := meter.Int64Counter(name)
		require.NoError(t, err)
		return c
	}
	lag, err := meter.Int64Gauge("lag")
	require.NoError(t, err)

	api := newFakeAPI(2, time.Second)
	// Five records, one of them twice in the same page.
	api.records = []checkpoint.Key{{ID: "a", Time: sec(1)}, {ID: "a", Time: sec(1)}, {ID: "b", Time: sec(2)}, {ID: "c", Time: sec(3)}, {ID: "d", Time: sec(4)}}
	h := newHarness(t, api)
	set := h.settings()
	set.Telemetry = Telemetry{Pages: counter("pages"), Records: counter("records"), Duplicates: counter("duplicates"),
		Retries: counter("retries"), CheckpointLag: lag}
	refused := 0
	s := &sink{fail: func(int) error {
		if refused < 2 {
			refused++
			return errors.New("backend busy")
		}
		return nil
	}}
	rs := rset()
	rs.TelemetrySettings = tt.NewTelemetrySettings()
	p, err := New(rs, set, api, s)
	require.NoError(t, err)
	require.NoError(t, p.Start(context.Background(), statustest.New(storagetest.NewStorageHost().WithFileBackedStorageExtension("fs", h.dir))))
	require.Eventually(t, func() bool { return len(s.ids()) == 4 }, 5*time.Second, time.Millisecond)
	require.Eventually(t, func() bool { _, err := tt.GetMetric("lag"); return err == nil }, 5*time.Second, time.Millisecond)
	stop(t, p)

	assert.EqualValues(t, 3, sumOf(t, tt, "pages"), "three full pages; the empty page ends the query")
	assert.EqualValues(t, 4, sumOf(t, tt, "records"))
	assert.EqualValues(t, 1, sumOf(t, tt, "duplicates"))
	assert.EqualValues(t, 2, sumOf(t, tt, "retries"), "two refusals by the consumer")
	assert.Positive(t, sumOf(t, tt, "lag"), "the checkpoint (2026-11-23 10:00:04) is in the past")
	assert.EqualValues(t, 4, sumOf(t, tt, "otelcol_receiver_accepted_log_records"), "ObsReport counts the accepted records")
}

func TestRequestCountsByOutcomeAndRetries(t *testing.T) {
	tt := componenttest.NewTelemetry()
	defer func() { require.NoError(t, tt.Shutdown(context.Background())) }()
	meter := tt.NewTelemetrySettings().MeterProvider.Meter("test")
	requests, err := meter.Int64Counter("requests")
	require.NoError(t, err)
	retries, err := meter.Int64Counter("retries")
	require.NoError(t, err)
	tel := Telemetry{Requests: requests, Retries: retries}
	ctx := context.Background()
	tel.Request(ctx, "results", 429, "retried")
	tel.Request(ctx, "results", 200, "success")
	tel.Request(ctx, "token", 401, "failed")

	m, err := tt.GetMetric("requests")
	require.NoError(t, err)
	dps := m.Data.(metricdata.Sum[int64]).DataPoints
	require.Len(t, dps, 3, "one series per call, outcome and status")
	for _, dp := range dps {
		outcome, _ := dp.Attributes.Value("outcome")
		status, _ := dp.Attributes.Value("http.response.status_code")
		assert.Contains(t, map[string]int64{"retried": 429, "success": 200, "failed": 401}, outcome.AsString())
		assert.Equal(t, map[string]int64{"retried": 429, "success": 200, "failed": 401}[outcome.AsString()], status.AsInt64())
	}
	assert.EqualValues(t, 1, sumOf(t, tt, "retries"))
}

// The status gauge follows each poll: an alert on a permanent error fires while the credentials
// are refused and resolves once a poll succeeds again.
func TestStatusGaugeFollowsEachPoll(t *testing.T) {
	tt := componenttest.NewTelemetry()
	defer func() { require.NoError(t, tt.Shutdown(context.Background())) }()
	status, err := tt.NewTelemetrySettings().MeterProvider.Meter("test").Int64Gauge("status")
	require.NoError(t, err)
	api := newFakeAPI(10, time.Second)
	api.add(sec(1), 1)
	var refuse atomic.Bool
	refuse.Store(true)
	api.fail = func(int) error {
		if refuse.Load() {
			return Permanent(errors.New("api_key refused"))
		}
		return nil
	}
	h := newHarness(t, api)
	set := h.settings()
	set.Telemetry = Telemetry{Status: status}
	p, _ := h.start(set, &sink{})
	require.Eventually(t, func() bool { return gaugeIs(tt, "status", 2) }, 5*time.Second, time.Millisecond, "permanent error")
	refuse.Store(false)
	require.Eventually(t, func() bool { return gaugeIs(tt, "status", 0) }, 5*time.Second, time.Millisecond, "OK again")
	stop(t, p)
}

func gaugeIs(tt *componenttest.Telemetry, name string, want int64) bool {
	m, err := tt.GetMetric(name)
	if err != nil {
		return false
	}
	g, ok := m.Data.(metricdata.Gauge[int64])
	return ok && len(g.DataPoints) > 0 && g.DataPoints[len(g.DataPoints)-1].Value == want
}

// Two instances of one receiver type (two tenants) must not add up in one series: every
// measurement carries receiver="<type>/<name>", as the collector's own receiver metrics do.
func TestMetricsNameTheReceiverInstance(t *testing.T) {
	tt := componenttest.NewTelemetry()
	defer func() { require.NoError(t, tt.Shutdown(context.Background())) }()
	records, err := tt.NewTelemetrySettings().MeterProvider.Meter("test").Int64Counter("records")
	require.NoError(t, err)
	base := Telemetry{Records: records}
	for name, n := range map[string]int64{"tenant-a": 3, "tenant-b": 5} {
		tel := base.ForReceiver(component.MustNewIDWithName("cyberarkisp", name)).ForReceiver(component.MustNewIDWithName("cyberarkisp", name))
		tel.Records.Add(context.Background(), n)
	}
	m, err := tt.GetMetric("records")
	require.NoError(t, err)
	got := map[string]int64{}
	for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
		v, _ := dp.Attributes.Value("receiver")
		got[v.AsString()] += dp.Value
		assert.Equal(t, 1, dp.Attributes.Len(), "labelled once, however often ForReceiver is applied")
	}
	assert.Equal(t, map[string]int64{"cyberarkisp/tenant-a": 3, "cyberarkisp/tenant-b": 5}, got)
}

// The metrics of issue-25 and issue-26 hazards count what happened: a stored checkpoint found
// in the future, the vendor clock's skew, and refused checkpoint saves.
func TestTelemetryCountsAFutureCheckpointTheSkewAndRefusedSaves(t *testing.T) {
	tt := componenttest.NewTelemetry()
	defer func() { require.NoError(t, tt.Shutdown(context.Background())) }()
	meter := tt.NewTelemetrySettings().MeterProvider.Meter("test")
	future, err := meter.Int64Counter("future_checkpoints")
	require.NoError(t, err)
	skew, err := meter.Int64Gauge("skew")
	require.NoError(t, err)
	saves, err := meter.Int64Counter("save_failures")
	require.NoError(t, err)

	api := newFakeAPI(10, time.Millisecond)
	h := newHarness(t, api)
	cp := checkpoint.New("test tenant", time.Now(), time.Millisecond, 0)
	cp.MoveTo(time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC))
	h.write(checkpoint.StorageKey("test", "tenant"), mustJSON(t, &cp))
	set := h.settings()
	set.Telemetry = Telemetry{FutureCheckpoints: future, ClockSkew: skew, SaveFailures: saves}
	clock := new(httpapi.VendorClock)
	now := time.Now()
	clock.Observe(http.Header{"Date": {now.Add(-90 * time.Second).UTC().Format(http.TimeFormat)}}, now)
	set.VendorClock = clock
	disk := &fullDisk{Extension: storagetest.NewFileBackedStorageExtension("fs", h.dir)}
	next := &sink{}
	p, err := New(rset(), set, api, next)
	require.NoError(t, err)
	require.NoError(t, p.Start(context.Background(), statustest.New(storagetest.NewStorageHost().WithExtension(h.storage, disk))))
	disk.full.Store(true)
	api.add(time.Now().Add(time.Second), 3) // after the checkpoint pulled back to now
	require.Eventually(t, func() bool { return len(next.ids()) == 3 }, 5*time.Second, time.Millisecond)
	require.Eventually(t, func() bool { return sumOf(t, tt, "save_failures") >= 1 }, 5*time.Second, time.Millisecond)
	stop(t, p)
	assert.Equal(t, int64(1), sumOf(t, tt, "future_checkpoints"))
	assert.InDelta(t, -90, sumOf(t, tt, "skew"), 1)
}
