package cyberarkispreceiver

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/storage/storagetest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/receivertest"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/secaudit/otelcol-audit/internal/testsupport/logtest"
	"github.com/secaudit/otelcol-audit/internal/testsupport/simulator"
	"github.com/secaudit/otelcol-audit/internal/testsupport/statustest"
	"github.com/secaudit/otelcol-audit/receiver/cyberarkispreceiver/internal/metadata"
)

const waitFor = 10 * time.Second

func receiverSettings(t testing.TB, logger *zap.Logger) receiver.Settings {
	t.Helper()
	set := receivertest.NewNopSettings(metadata.Type)
	// A fixed ID: file storage names its file after it, and a restart must find the same file.
	set.ID = component.NewIDWithName(metadata.Type, "test")
	if logger != nil {
		set.Logger = logger
	}
	set.BuildInfo.Version = "v0.0.1-test"
	return set
}

type harness struct {
	cfg    *Config
	sink   *consumertest.LogsSink
	host   *statustest.Host
	logs   *observer.ObservedLogs
	stop   func()
	logger *zap.Logger
}

// testConfig points a receiver at the fake, with fast polls and retries.
func testConfig(s *fakeISP) *Config {
	cfg := NewFactory().CreateDefaultConfig().(*Config)
	cfg.ClientConfig.Endpoint = s.URL()
	cfg.IdentityURL = s.URL() + "/"
	cfg.WebAppID = s.webAppID
	cfg.ClientID = s.clientID
	cfg.ClientSecret = "Sup3r-Secret-Passw0rd"
	cfg.APIKey = "ak-9f8e7d6c5b4a"
	cfg.Poll.StartTime = "2 hours ago"
	cfg.Poll.PollInterval = 50 * time.Millisecond
	cfg.Poll.RequestsPerSecond = 0
	cfg.Poll.Overlap = 0 // the tests check the boundary second itself; one test sets an overlap
	cfg.Poll.Retry.InitialInterval = 5 * time.Millisecond
	cfg.Poll.Retry.MaxInterval = 20 * time.Millisecond
	cfg.Poll.Retry.MaxElapsedTime = 5 * time.Second
	id := storagetest.NewStorageID("test")
	cfg.Poll.StorageID = &id
	return cfg
}

// start builds the real receiver through the factory over file-backed storage in dir.
func start(t testing.TB, cfg *Config, dir string) *harness {
	t.Helper()
	core, logs := observer.New(zapcore.DebugLevel)
	logger := zap.New(core)
	h := &harness{cfg: cfg, sink: new(consumertest.LogsSink), logs: logs, logger: logger,
		host: statustest.New(storagetest.NewStorageHost().WithFileBackedStorageExtension("test", dir))}
	r, err := NewFactory().CreateLogs(context.Background(), receiverSettings(t, logger), cfg, h.sink)
	require.NoError(t, err)
	require.NoError(t, r.Start(context.Background(), h.host))
	var once sync.Once
	h.stop = func() { once.Do(func() { require.NoError(t, r.Shutdown(context.Background())) }) }
	t.Cleanup(h.stop)
	return h
}

// uids returns how many times each log.record.uid was delivered.
func (h *harness) uids() map[string]int {
	out := map[string]int{}
	for _, uid := range logtest.UIDs(h.sink.AllLogs()...) {
		out[uid]++
	}
	return out
}

// requireExactlyOnce waits until every event was delivered, then checks none was delivered twice.
func (h *harness) requireExactlyOnce(t *testing.T, events []fakeEvent) {
	t.Helper()
	require.Eventually(t, func() bool { return h.sink.LogRecordCount() >= len(events) }, waitFor, 10*time.Millisecond,
		"delivered %d of %d", h.sink.LogRecordCount(), len(events))
	got := h.uids()
	for _, e := range events {
		assert.Equal(t, 1, got[e.raw["uuid"].(string)], "event %s", e.raw["uuid"])
	}
	assert.Len(t, got, len(events))
	assert.Equal(t, len(events), h.sink.LogRecordCount())
}

func (h *harness) logText() string {
	var b strings.Builder
	for _, e := range h.logs.All() {
		b.WriteString(e.Message)
		for k, v := range e.ContextMap() {
			b.WriteString(" " + k + "=")
			b.WriteString(strings.ReplaceAll(strings.TrimSpace(toString(v)), "\n", " "))
		}
		b.WriteString("\n")
	}
	return b.String()
}

func toString(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	if e, ok := v.(error); ok {
		return e.Error()
	}
	return strings.TrimSpace(strings.ReplaceAll(fmtAny(v), "\n", " "))
}

func fmtAny(v any) string { return fmt.Sprint(v) }

// startSimulator starts sim and returns a configuration pointed at it with its demo credentials.
func startSimulator(t testing.TB, sim *simulator.Simulator) *Config {
	t.Helper()
	url, err := sim.Start()
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, sim.Close()) })
	cfg := NewFactory().CreateDefaultConfig().(*Config)
	cfg.ClientConfig.Endpoint = url
	cfg.IdentityURL = url
	cfg.WebAppID = simulator.DefaultWebAppID
	cfg.ClientID = simulator.DefaultClientID
	cfg.ClientSecret = simulator.DefaultClientSecret
	cfg.APIKey = simulator.DefaultAPIKey
	return cfg
}
