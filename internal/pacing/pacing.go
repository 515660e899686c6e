// Package pacing holds the waits both the HTTP client and the poll loop make: the exponential
// backoff that retry_on_failure describes, and a sleep that ends with its context. It exists so
// that neither imports the other for them.
package pacing // import "github.com/secaudit/otelcol-audit/internal/pacing"

import (
	"context"
	"time"

	"github.com/cenkalti/backoff/v5"
	"github.com/jonboulle/clockwork"
	"go.opentelemetry.io/collector/config/configretry"
)

// NewBackOff returns the capped exponential backoff with jitter that retry_on_failure
// describes. Callers enforce max_elapsed_time themselves (or, for refused pages, never give up).
func NewBackOff(cfg configretry.BackOffConfig) *backoff.ExponentialBackOff {
	bo := backoff.NewExponentialBackOff()
	bo.InitialInterval = cfg.InitialInterval
	bo.RandomizationFactor = cfg.RandomizationFactor
	bo.Multiplier = cfg.Multiplier
	bo.MaxInterval = cfg.MaxInterval
	bo.Reset()
	return bo
}

// Sleep waits for d on clock, returning early with the context's error when ctx ends.
func Sleep(ctx context.Context, clock clockwork.Clock, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := clock.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.Chan():
		return nil
	}
}
