package cyberarkispreceiver // import "github.com/secaudit/otelcol-audit/receiver/cyberarkispreceiver"

import (
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/receiver"

	"github.com/secaudit/otelcol-audit/internal/httpapi"
	"github.com/secaudit/otelcol-audit/internal/poller"
	"github.com/secaudit/otelcol-audit/receiver/cyberarkispreceiver/internal/metadata"
)

const (
	// granularity: the createQuery date filter ignores anything below a second.
	granularity = time.Second
	// retention: the Audit service keeps about seven days of events.
	retention = 7 * 24 * time.Hour
	// maxEventBytes is what one event may take of a results page, for the cap on responses: an
	// event is about 2 KiB (a 500-event page about 1 MiB), and eight times that leaves room for
	// long messages and customData. A full page of 500 events is capped at 7.8 MiB.
	maxEventBytes = 16 << 10
	// minResponseBytes caps the pages of few events, so that one unusually large event still fits.
	minResponseBytes = 4 << 20
)

// spec describes this vendor to the shared pull engine.
func spec(c *Config) poller.Spec {
	audit, _ := httpapi.BaseURL(c.ClientConfig.Endpoint) // checked by Validate
	return poller.Spec{
		HTTP:          &c.ClientConfig,
		Poll:          &c.Poll,
		Tenant:        audit.Host,
		Secrets:       append(httpapi.OpaqueValues(c), httpapi.ProxyPasswords(c.ClientConfig.ProxyURL)...),
		Granularity:   granularity,
		Retention:     retention,
		Source:        checkpointSource(c),
		LegacySources: [][]string{legacyCheckpointSource(c)},
		NewTelemetry:  newTelemetry,
		NewSource: func(api *httpapi.Client, set receiver.Settings) (poller.Source, error) {
			return newSource(c, api, set)
		},
		MaxResponseBytes: max(minResponseBytes, int64(c.PageSize)*maxEventBytes),
	}
}

func newTelemetry(ts component.TelemetrySettings) (poller.Telemetry, func(), error) {
	tb, err := metadata.NewTelemetryBuilder(ts)
	if err != nil {
		return poller.Telemetry{}, nil, err
	}
	return poller.Telemetry{
		Requests:      tb.CyberarkispAPIRequests,
		Pages:         tb.CyberarkispPages,
		Records:       tb.CyberarkispRecords,
		Duplicates:    tb.CyberarkispDuplicates,
		Retries:       tb.CyberarkispRetries,
		CheckpointLag: tb.CyberarkispCheckpointLag,
		FutureRecords: tb.CyberarkispFutureRecords,
		Status:        tb.CyberarkispStatus,
	}, tb.Shutdown, nil
}
