// Package fetch reads records once, the way a receiver reads them, but outside a collector: no
// poll loop, no checkpoint, no pipeline. It builds the HTTP client and the vendor source from
// the receiver's own poller.Spec, so that what it returns is exactly what the receiver would
// hand to its pipeline. It lives under cmd/auditctl, its only user, which shows records with it
// before a pipeline is wired; the collector binary never links it.
package fetch // import "github.com/secaudit/otelcol-audit/cmd/auditctl/internal/fetch"

import (
	"context"
	"net/http"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/receiver"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	tracenoop "go.opentelemetry.io/otel/trace/noop"
	"go.uber.org/zap"

	"github.com/secaudit/otelcol-audit/internal/poller"
)

// Settings returns receiver settings for a receiver run outside a collector: logs go to logger,
// metrics and traces nowhere. version becomes the scope version of the records, as the
// collector's build version does in a distribution.
func Settings(id component.ID, logger *zap.Logger, version string) receiver.Settings {
	if logger == nil {
		logger = zap.NewNop()
	}
	return receiver.Settings{
		ID: id,
		TelemetrySettings: component.TelemetrySettings{
			Logger:         logger,
			TracerProvider: tracenoop.NewTracerProvider(),
			MeterProvider:  metricnoop.NewMeterProvider(),
			Resource:       pcommon.NewResource(),
		},
		BuildInfo: component.BuildInfo{Command: "auditctl", Description: "otelcol-audit receiver check", Version: version},
	}
}

// Open builds the receiver's API client and vendor source as poller.Receiver.Start does, with
// poller.OpenSource, but with no collector host: the client gets no extensions, so a config
// that needs one (auth, middlewares) fails here. Nothing is sent before the first query. Each
// of wrap (nil ones are skipped) wraps the client's transport, innermost first: auditctl
// records the exchanges for --trace so.
func Open(ctx context.Context, spec poller.Spec, cfg poller.Configured, set receiver.Settings, wrap ...func(http.RoundTripper) http.RoundTripper) (poller.Source, error) {
	// auditctl reads and exits: its hold on the tenant's budget, shared by the probes it runs at
	// once, ends with the process.
	src, _, err := poller.OpenSource(ctx, spec, cfg, set, nil, nil, nil, wrap...)
	return src, err
}
