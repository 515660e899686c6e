package poller

import (
	"errors"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/receiver/receivertest"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

func TestCheckRefusesSettingsThatWouldStopCollection(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		modify func(*Config)
		want   string
	}{
		{"start_time in the future", func(c *Config) { c.StartTime = "2026-03-01T13:00:00Z" }, `start_time "2026-03-01T13:00:00Z" is in the future`},
		{"start_time before the epoch", func(c *Config) { c.StartTime = "1969-12-31" }, "is before 1970-01-01T00:00:00Z"},
		{"relative start_time before the epoch", func(c *Config) { c.StartTime = "5000 weeks ago" }, `start_time "5000 weeks ago" is before 1970-01-01T00:00:00Z`},
		{"poll_interval too short", func(c *Config) { c.PollInterval = 10 * time.Millisecond }, "poll_interval must be between 1s and 24h0m0s, got 10ms"},
		{"poll_interval of days", func(c *Config) { c.PollInterval = 48 * time.Hour }, "poll_interval must be between 1s and 24h0m0s"},
		{"max_events_per_poll zero", func(c *Config) { c.MaxEventsPerPoll = 0 }, "max_events_per_poll must be between 1 and 1000000, got 0"},
		{"max_events_per_poll huge", func(c *Config) { c.MaxEventsPerPoll = 2_000_000 }, "max_events_per_poll must be between 1 and 1000000"},
		{"overlap negative", func(c *Config) { c.Overlap = -time.Second }, "overlap must be between 0s and 24h0m0s, got -1s"},
		{"requests_per_second negative", func(c *Config) { c.RequestsPerSecond = -1 }, "requests_per_second must be 0 (no limit) or between 0.1 and 1000, got -1"},
		{"requests_per_second starves", func(c *Config) { c.RequestsPerSecond = 1e-6 }, "requests_per_second must be 0 (no limit) or between 0.1 and 1000"},
		{"requests_per_second NaN", func(c *Config) { c.RequestsPerSecond = math.NaN() }, "requests_per_second must be 0 (no limit)"},
		{"initial_interval zero", func(c *Config) { c.Retry.InitialInterval = 0 }, "retry_on_failure::initial_interval must be between 10ms and 10m0s, got 0s"},
		{"max_interval below initial_interval", func(c *Config) { c.Retry.MaxInterval = time.Second }, "retry_on_failure::max_interval must be between initial_interval (5s) and 1h0m0s, got 1s"},
		{"max_interval of days", func(c *Config) { c.Retry.MaxInterval = 72 * time.Hour }, "retry_on_failure::max_interval must be between"},
		{"multiplier below 1", func(c *Config) { c.Retry.Multiplier = 0.5 }, "retry_on_failure::multiplier must be between 1 and 10, got 0.5"},
		{"multiplier NaN", func(c *Config) { c.Retry.Multiplier = math.NaN() }, "retry_on_failure::multiplier must be between 1 and 10"},
		{"randomization_factor above 1", func(c *Config) { c.Retry.RandomizationFactor = 1.5 }, "retry_on_failure::randomization_factor must be between 0 and 1, got 1.5"},
		{"max_elapsed_time below initial_interval", func(c *Config) { c.Retry.MaxElapsedTime = time.Second }, "retry_on_failure::max_elapsed_time must be 0 (no limit) or at least initial_interval (5s), got 1s"},
		{"max_elapsed_time negative", func(c *Config) { c.Retry.MaxElapsedTime = -time.Second }, "retry_on_failure::max_elapsed_time must be 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := NewDefaultConfig()
			tt.modify(&c)
			err := c.Check(now)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestCheckAcceptsTheBoundsAndTheDefaults(t *testing.T) {
	now := time.Now()
	c := NewDefaultConfig()
	require.NoError(t, c.Check(now))
	for _, start := range []string{"now", "1970-01-01", now.UTC().Format(time.RFC3339Nano), "100 weeks ago"} {
		c.StartTime = start
		assert.NoError(t, c.Check(now), start)
	}
	c.PollInterval, c.MaxEventsPerPoll, c.Overlap, c.RequestsPerSecond = 24*time.Hour, 1_000_000, 24*time.Hour, 0.1
	c.Retry.InitialInterval, c.Retry.MaxInterval, c.Retry.Multiplier, c.Retry.RandomizationFactor = 10*time.Millisecond, time.Hour, 1, 0
	c.Retry.MaxElapsedTime = 0
	assert.NoError(t, c.Check(now))
	c.Retry.Enabled = false // the intervals still pace re-deliveries to a refusing consumer
	c.Retry.Multiplier = 0
	assert.Error(t, c.Check(now))
}

func TestInsecureSkipVerifyWarnsAtStart(t *testing.T) {
	for _, insecure := range []bool{true, false} {
		core, logs := observer.New(zap.WarnLevel)
		set := receivertest.NewNopSettings(receivertest.NopType)
		set.Logger = zap.New(core)
		cfg := newTestConfig()
		cfg.http.TLS.InsecureSkipVerify = insecure
		stop := errors.New("stop here")
		r := NewReceiver(set, Spec{NewTelemetry: func(component.TelemetrySettings) (Telemetry, func(), error) {
			return Telemetry{}, nil, stop
		}}, cfg, nil)
		require.ErrorIs(t, r.Start(t.Context(), componenttest.NewNopHost()), stop)
		warned := logs.FilterMessageSnippet("tls.insecure_skip_verify is true").Len() == 1
		assert.Equal(t, insecure, warned, "insecure_skip_verify=%v", insecure)
		require.NoError(t, r.Shutdown(t.Context()))
	}
}

// One setting out of range is reported as itself, not as problems of the settings compared with it.
func TestRetryIntervalOutOfRangeIsNamedAlone(t *testing.T) {
	c := NewDefaultConfig()
	c.Retry.InitialInterval = 20 * time.Minute
	err := c.Check(time.Now())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "retry_on_failure::initial_interval must be between 10ms and 10m0s, got 20m0s")
	assert.NotContains(t, err.Error(), "max_elapsed_time")
	assert.NotContains(t, err.Error(), "max_interval")
}
