package poller

import (
	"context"
	"fmt"
	"net/http"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/receiver"

	"github.com/secaudit/otelcol-audit/internal/httpapi"
)

// OpenSource builds the API client of cfg and the vendor source on it: the HTTP client from
// the receiver's client settings (with the host's extensions; host may be nil outside a
// collector, so that a configuration needing an extension fails here), the tenant's shared
// rate limit, the retry settings and the secrets to scrub. The receiver calls it at Start,
// auditctl to read records outside a collector. Each of wrap (nil ones are skipped) wraps the
// client's transport, innermost first. release gives back the hold on the tenant's rate
// limiter. vendorClock, when set, is measured from every response. Nothing is sent before the
// first query.
func OpenSource(ctx context.Context, spec Spec, cfg Configured, set receiver.Settings, host component.Host, obs httpapi.Observer,
	vendorClock *httpapi.VendorClock, wrap ...func(http.RoundTripper) http.RoundTripper,
) (src Source, release func(), err error) {
	var extensions map[component.ID]component.Component
	if host != nil {
		extensions = host.GetExtensions()
	}
	hc, err := cfg.HTTPSettings().ToClient(ctx, extensions, set.TelemetrySettings)
	if err != nil {
		return nil, nil, fmt.Errorf("creating HTTP client: %w", err)
	}
	for _, w := range wrap {
		if w != nil {
			hc.Transport = w(hc.Transport)
		}
	}
	limiter, release := httpapi.AcquireLimiter(cfg.RateLimitKey(), cfg.PollSettings().RequestsPerSecond)
	api := httpapi.New(httpapi.Settings{
		HTTP:             hc,
		Retry:            cfg.PollSettings().Retry,
		Limiter:          limiter,
		Secrets:          httpapi.NewSecrets(SecretValues(cfg)...),
		Observer:         obs,
		MaxResponseBytes: spec.MaxResponseBytes(cfg),
		Logger:           set.Logger,
		VendorClock:      vendorClock,
	})
	src, err = spec.NewSource(cfg, api, set)
	if err != nil {
		release()
		return nil, nil, err
	}
	return src, release, nil
}
