package xsoarauditreceiver

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/secaudit/otelcol-audit/internal/checkpoint"
	"github.com/secaudit/otelcol-audit/internal/testsupport/logtest"
	"github.com/secaudit/otelcol-audit/internal/testsupport/statustest"

	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/storage/storagetest"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/receivertest"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/secaudit/otelcol-audit/receiver/xsoarauditreceiver/internal/metadata"
)

const (
	waitFor = 15 * time.Second
	tick    = 5 * time.Millisecond
)

// run is one receiver instance started through the factory, like the collector does it.
type run struct {
	t       *testing.T
	rcv     receiver.Logs
	sink    *consumertest.LogsSink
	host    *statustest.Host
	logs    *observer.ObservedLogs
	stopped bool
}

// testConfig points the default configuration at the fake tenant, with fast polls and retries.
func testConfig(t *testing.T, f *fakeXSOAR, startMs int64) *Config {
	t.Helper()
	cfg := NewFactory().CreateDefaultConfig().(*Config)
	cfg.ClientConfig.Endpoint = f.url()
	cfg.APIKeyID = testKeyID
	cfg.APIKey = testKey
	if !f.advanced {
		cfg.SecurityLevel = securityStandard
	}
	cfg.SettleDelay = 0
	cfg.Poll.Overlap = 0 // exact request windows in assertions; the overlap tests set their own
	cfg.Poll.StartTime = time.UnixMilli(startMs).UTC().Format(time.RFC3339Nano)
	cfg.Poll.PollInterval = 30 * time.Millisecond
	cfg.Poll.RequestsPerSecond = 0
	cfg.Poll.Retry.InitialInterval = time.Millisecond
	cfg.Poll.Retry.MaxInterval = 5 * time.Millisecond
	cfg.Poll.Retry.MaxElapsedTime = 2 * time.Second
	id := storagetest.NewStorageID("test")
	cfg.Poll.StorageID = &id
	// The fast polls and retries above are below what users may configure; the rest must be valid.
	valid := *cfg
	valid.Poll = NewFactory().CreateDefaultConfig().(*Config).Poll
	require.NoError(t, valid.Validate())
	return cfg
}

// startReceiver starts a receiver over file-backed storage in dir, logging at debug level.
func startReceiver(t *testing.T, cfg *Config, dir string) *run {
	t.Helper()
	core, logs := observer.New(zapcore.DebugLevel)
	set := receivertest.NewNopSettings(metadata.Type)
	// NewNopSettings names each instance with a fresh UUID; a restarted collector keeps its
	// receiver's ID, and the storage client is keyed by it.
	set.ID = component.NewIDWithName(metadata.Type, "test")
	set.Logger = zap.New(core)
	set.BuildInfo.Version = "test"
	sink := new(consumertest.LogsSink)
	rcv, err := NewFactory().CreateLogs(t.Context(), set, cfg, sink)
	require.NoError(t, err)
	host := statustest.New(storagetest.NewStorageHost().WithFileBackedStorageExtension("test", dir))
	require.NoError(t, rcv.Start(t.Context(), host))
	r := &run{t: t, rcv: rcv, sink: sink, host: host, logs: logs}
	t.Cleanup(r.stop)
	return r
}

func (r *run) stop() {
	if r.stopped {
		return
	}
	r.stopped = true
	// Not t.Context itself: it is cancelled before the cleanups run, and stop is one of them.
	require.NoError(r.t, r.rcv.Shutdown(context.WithoutCancel(r.t.Context())))
}

// uids returns log.record.uid of every record delivered, in delivery order.
func (r *run) uids() []string { return logtest.UIDs(r.sink.AllLogs()...) }

// waitRecords waits until n records were delivered.
func (r *run) waitRecords(n int) {
	r.t.Helper()
	require.Eventually(r.t, func() bool { return r.sink.LogRecordCount() >= n }, waitFor, tick,
		"want %d records", n)
}

// waitStatus waits for an error status event and returns its error.
func (r *run) waitStatus(st componentstatus.Status) error {
	r.t.Helper()
	var err error
	require.Eventually(r.t, func() bool {
		err = r.host.LastErr(st)
		return err != nil
	}, waitFor, tick, "want a %v status", st)
	return err
}

// requireExactlyOnce checks that the delivered IDs are exactly want, each once. It reports
// the differences only, so that a failure over thousands of records stays readable.
func requireExactlyOnce(t *testing.T, got []string, want []string) {
	t.Helper()
	dups := logtest.Duplicates(got)
	seen := map[string]bool{}
	for _, id := range got {
		seen[id] = true
	}
	wanted := map[string]bool{}
	var missing, extra []string
	for _, id := range want {
		wanted[id] = true
		if !seen[id] {
			missing = append(missing, id)
		}
	}
	for id := range seen {
		if !wanted[id] {
			extra = append(extra, id)
		}
	}
	require.Empty(t, dups, "delivered more than once (of %d delivered)", len(got))
	require.Empty(t, missing, "never delivered (of %d wanted, %d delivered)", len(want), len(got))
	require.Empty(t, extra, "delivered but not expected")
}

// idRange returns the decimal IDs first..first+n-1.
func idRange(first int64, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = strconv.FormatInt(first+int64(i), 10)
	}
	return out
}

// spaced returns n insert times from start, step ms apart.
func spaced(start int64, n int, step int64) []int64 {
	out := make([]int64, n)
	for i := range out {
		out[i] = start + int64(i)*step
	}
	return out
}

// same returns n copies of ms.
func same(ms int64, n int) []int64 {
	out := make([]int64, n)
	for i := range out {
		out[i] = ms
	}
	return out
}

// pastMs is a base insert time safely behind every query's upper bound.
func pastMs() int64 { return time.Now().Add(-time.Hour).UnixMilli() }

func toString(v any) string {
	if e, ok := v.(error); ok {
		return e.Error()
	}
	return fmt.Sprint(v)
}

// agentsConfig is testConfig reading the agents' audit reports.
func agentsConfig(t *testing.T, f *fakeXSOAR, startMs int64) *Config {
	t.Helper()
	cfg := testConfig(t, f, startMs)
	cfg.LogType, cfg.Path = logTypeAgentsReports, agentsReportsPath
	require.NoError(t, cfg.checkLogTypeErr())
	return cfg
}

func (c *Config) checkLogTypeErr() error {
	if errs := c.checkLogType(); len(errs) > 0 {
		return errs[0]
	}
	return nil
}

// reportTimes returns n report times in epoch microseconds from startMs: every third shares a
// millisecond with the one before, and most carry a fraction of a millisecond.
func reportTimes(startMs int64, n int) []int64 {
	out := make([]int64, n)
	us := startMs * 1000
	for i := range out {
		if i%3 != 2 {
			us += 1337
		} else {
			us += 1
		}
		out[i] = us
	}
	return out
}

// rewriteStored changes the receiver's stored checkpoint while no receiver runs, as another
// build would have written it, and returns what change reports.
func rewriteStored(t *testing.T, cfg *Config, dir string, change func(*checkpoint.Checkpoint) int) int {
	t.Helper()
	ctx := context.Background()
	host := storagetest.NewStorageHost().WithFileBackedStorageExtension("test", dir)
	client, err := checkpoint.Client(ctx, host, cfg.Poll.StorageID, component.NewIDWithName(metadata.Type, "test"))
	require.NoError(t, err)
	store := checkpoint.NewStore(client, checkpoint.StorageKey(checkpointSource(cfg)...), "test")
	defer func() { require.NoError(t, store.Close(ctx)) }()
	loaded, err := store.Load(ctx, PollerSpec().Granularity, cfg.Poll.Overlap)
	require.NoError(t, err)
	require.True(t, loaded.Found, "no checkpoint stored under the receiver's key")
	n := change(&loaded.Checkpoint)
	require.NoError(t, store.Save(ctx, &loaded.Checkpoint))
	return n
}
