package xsoarauditreceiver // import "github.com/secaudit/otelcol-audit/receiver/xsoarauditreceiver"

import (
	"go.opentelemetry.io/collector/component"

	"github.com/secaudit/otelcol-audit/internal/poller"
)

// PollerSpec returns what the receiver gives the pull engine: its HTTP client settings and the
// source that fetches and converts records. It exists for cmd/auditctl, which reads records with
// the receiver's own client code but without the engine and its checkpoint. cfg must be a
// *Config that passed Validate.
func PollerSpec(cfg component.Config) poller.Spec {
	return spec(cfg.(*Config))
}
