package poller

import (
	"errors"
	"fmt"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configretry"

	"github.com/secaudit/otelcol-audit/internal/starttime"
)

// Config holds the polling settings both receivers share. Receivers include it as a named
// field with `mapstructure:",squash"`, so its keys sit at the top level of their configuration.
type Config struct {
	// StartTime is where to read from when no checkpoint exists: absolute or relative.
	StartTime string `mapstructure:"start_time"`
	// PollInterval is the pause between polls once caught up.
	PollInterval time.Duration `mapstructure:"poll_interval"`
	// MaxEventsPerPoll bounds one poll; a poll that reaches it continues at once.
	MaxEventsPerPoll int `mapstructure:"max_events_per_poll"`
	// RequestsPerSecond is the client-side rate limit, shared by every receiver on the same tenant.
	RequestsPerSecond float64 `mapstructure:"requests_per_second"`
	// Overlap makes every new query start this far before the checkpoint, to catch records the
	// vendor inserts late (with an event time already passed); re-read records are dropped by ID.
	Overlap time.Duration `mapstructure:"overlap"`
	// StorageID names the storage extension that keeps the checkpoint.
	StorageID *component.ID `mapstructure:"storage"`
	// Retry configures retries of failed API calls and of pages the next consumer refused.
	Retry configretry.BackOffConfig `mapstructure:"retry_on_failure"`
}

// NewDefaultConfig returns the defaults both receivers start from.
func NewDefaultConfig() Config {
	return Config{
		StartTime:        "1 minute ago",
		PollInterval:     time.Minute,
		MaxEventsPerPoll: 10000,
		// A few seconds of re-reading catch records that land behind ones already served
		// within the same moment, at the cost of re-reading a handful of records per poll.
		Overlap: 10 * time.Second,
		Retry:   configretry.NewDefaultBackOffConfig(),
	}
}

// Validate checks the shared settings, naming the key at fault.
func (c *Config) Validate() error {
	var errs []error
	if _, err := starttime.Parse(c.StartTime); err != nil {
		errs = append(errs, fmt.Errorf("start_time %w", err))
	}
	if c.PollInterval < time.Second {
		errs = append(errs, fmt.Errorf("poll_interval must be at least 1s, got %s", c.PollInterval))
	}
	if c.MaxEventsPerPoll < 1 {
		errs = append(errs, fmt.Errorf("max_events_per_poll must be at least 1, got %d", c.MaxEventsPerPoll))
	}
	if c.Overlap < 0 || c.Overlap > 24*time.Hour {
		errs = append(errs, fmt.Errorf("overlap must be between 0s and 24h, got %s", c.Overlap))
	}
	if c.RequestsPerSecond < 0 {
		errs = append(errs, fmt.Errorf("requests_per_second must not be negative, got %g", c.RequestsPerSecond))
	}
	return errors.Join(errs...)
}

// Settings turns the configuration into engine settings; source names the tenant and filters.
func (c *Config) Settings(granularity, retention time.Duration, source ...string) Settings {
	start, _ := starttime.Parse(c.StartTime) // checked by Validate
	return Settings{
		PollInterval:     c.PollInterval,
		MaxEventsPerPoll: c.MaxEventsPerPoll,
		Granularity:      granularity,
		Overlap:          c.Overlap,
		Start:            start,
		Retention:        retention,
		StorageID:        c.StorageID,
		Source:           source,
		Retry:            c.Retry,
	}
}
