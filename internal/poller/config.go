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
	// Retry has two uses, as contrib's receivers have no key for the second. API calls failing
	// with 429, 5xx or a network error are retried with this backoff, unless enabled is false,
	// and given up after max_elapsed_time: the poll ends and the next one starts again from the
	// checkpoint, so nothing is lost. A page the next consumer refuses with a retryable error is
	// re-delivered at the same intervals whatever enabled and max_elapsed_time say, until it is
	// accepted: the checkpoint cannot move past it, so giving up could only read it again.
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

// Accepted ranges: outside them a receiver would stop collecting (a poll interval of days, a
// rate of one request a week, a retry that never waits or waits for hours).
const (
	minPollInterval     = time.Second
	maxPollInterval     = 24 * time.Hour
	maxEventsPerPoll    = 1_000_000
	minRequestsPerSec   = 0.1
	maxRequestsPerSec   = 1000.0
	maxOverlap          = 24 * time.Hour
	minRetryInterval    = 10 * time.Millisecond
	maxInitialInterval  = 10 * time.Minute
	maxRetryInterval    = time.Hour
	maxRetryMultiplier  = 10
	retryKey            = "retry_on_failure::"
	earliestStartTime   = "1970-01-01T00:00:00Z"
	earliestStartReason = "the vendors' time filters start at the Unix epoch"
)

// Check checks the shared settings against now, naming each key as users write it. It is not
// a Validate method on purpose: confmap.Validate would call it through the squashed field and
// prefix its errors with the field's Go name ("poll::"), a key no user writes. Each receiver's
// Validate calls it.
func (c *Config) Check(now time.Time) error {
	var errs []error
	if start, err := starttime.Parse(c.StartTime); err != nil {
		errs = append(errs, fmt.Errorf("start_time %w", err))
	} else if err := checkStart(start.Resolve(now), now); err != nil {
		errs = append(errs, fmt.Errorf("start_time %q %w", c.StartTime, err))
	}
	if c.PollInterval < minPollInterval || c.PollInterval > maxPollInterval {
		errs = append(errs, fmt.Errorf("poll_interval must be between %s and %s, got %s", minPollInterval, maxPollInterval, c.PollInterval))
	}
	if c.MaxEventsPerPoll < 1 || c.MaxEventsPerPoll > maxEventsPerPoll {
		errs = append(errs, fmt.Errorf("max_events_per_poll must be between 1 and %d, got %d", maxEventsPerPoll, c.MaxEventsPerPoll))
	}
	if c.Overlap < 0 || c.Overlap > maxOverlap {
		errs = append(errs, fmt.Errorf("overlap must be between 0s and %s, got %s", maxOverlap, c.Overlap))
	}
	if r := c.RequestsPerSecond; r != 0 && !(r >= minRequestsPerSec && r <= maxRequestsPerSec) { // NaN fails both
		errs = append(errs, fmt.Errorf("requests_per_second must be 0 (no limit) or between %g and %g, got %g", minRequestsPerSec, maxRequestsPerSec, r))
	}
	return errors.Join(append(errs, checkRetry(&c.Retry)...)...)
}

// WithChecks adds Check's errors to err, an error of the receiver's Unmarshal. A nested
// setting's own Validate fails Unmarshal (configretry's says only "'max_elapsed_time' must not
// be less than 'initial_interval'" for an initial_interval of an hour), and the collector then
// never calls the receiver's Validate: Check's errors name the setting out of range.
func (c *Config) WithChecks(err error) error {
	if err == nil {
		return nil
	}
	return errors.Join(c.Check(time.Now()), err)
}

func checkStart(start, now time.Time) error {
	earliest, _ := time.Parse(time.RFC3339, earliestStartTime)
	switch {
	case start.After(now):
		return fmt.Errorf("is in the future (%s): the receiver would read nothing until then; use a time up to now", start.Format(time.RFC3339))
	case start.Before(earliest):
		return fmt.Errorf("is before %s: %s", earliestStartTime, earliestStartReason)
	}
	return nil
}

// checkRetry checks retry_on_failure. The intervals apply even with enabled: false, since
// they also pace the re-delivery of a page the next consumer refused.
func checkRetry(r *configretry.BackOffConfig) []error {
	var errs []error
	initialOK := r.InitialInterval >= minRetryInterval && r.InitialInterval <= maxInitialInterval
	if !initialOK {
		errs = append(errs, fmt.Errorf(retryKey+"initial_interval must be between %s and %s, got %s", minRetryInterval, maxInitialInterval, r.InitialInterval))
	}
	// Compared with initial_interval only when that is in range: else the one setting to fix
	// would show up as problems of the others.
	low := r.InitialInterval
	if !initialOK {
		low = minRetryInterval
	}
	if r.MaxInterval < low || r.MaxInterval > maxRetryInterval {
		errs = append(errs, fmt.Errorf(retryKey+"max_interval must be between initial_interval (%s) and %s, got %s", low, maxRetryInterval, r.MaxInterval))
	}
	if !(r.Multiplier >= 1 && r.Multiplier <= maxRetryMultiplier) { // below 1, waits shrink towards a busy loop
		errs = append(errs, fmt.Errorf(retryKey+"multiplier must be between 1 and %d, got %g", maxRetryMultiplier, r.Multiplier))
	}
	if !(r.RandomizationFactor >= 0 && r.RandomizationFactor <= 1) {
		errs = append(errs, fmt.Errorf(retryKey+"randomization_factor must be between 0 and 1, got %g", r.RandomizationFactor))
	}
	if initialOK && r.MaxElapsedTime != 0 && r.MaxElapsedTime < r.InitialInterval { // shorter: no call is ever retried
		errs = append(errs, fmt.Errorf(retryKey+"max_elapsed_time must be 0 (no limit) or at least initial_interval (%s), got %s", r.InitialInterval, r.MaxElapsedTime))
	}
	return errs
}
