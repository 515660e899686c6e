package xsoarauditreceiver // import "github.com/secaudit/otelcol-audit/receiver/xsoarauditreceiver"

import (
	"context"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/receiver"

	"github.com/secaudit/otelcol-audit/internal/poller"
	"github.com/secaudit/otelcol-audit/receiver/xsoarauditreceiver/internal/metadata"
)

// NewFactory returns the factory of the xsoaraudit receiver.
func NewFactory() receiver.Factory {
	return receiver.NewFactory(metadata.Type, createDefaultConfig,
		receiver.WithLogs(createLogsReceiver, metadata.LogsStability))
}

func createDefaultConfig() component.Config {
	http := confighttp.NewDefaultClientConfig()
	http.Timeout = 60 * time.Second
	poll := poller.NewDefaultConfig()
	poll.RequestsPerSecond = 5 // the tenant allows 10 per second for all its callers together
	return &Config{
		ClientConfig:  http,
		Poll:          poll,
		SecurityLevel: securityAdvanced,
		PageSize:      maxPageSize,
		SettleDelay:   5 * time.Second,
		Path:          defaultPath,
		LogType:       logTypeManagement,
	}
}

func createLogsReceiver(_ context.Context, set receiver.Settings, cfg component.Config, next consumer.Logs) (receiver.Logs, error) {
	return poller.NewReceiver(set, spec, cfg.(*Config), next), nil
}
