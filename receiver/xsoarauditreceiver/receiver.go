package xsoarauditreceiver // import "github.com/secaudit/otelcol-audit/receiver/xsoarauditreceiver"

import (
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/receiver"

	"github.com/secaudit/otelcol-audit/internal/httpapi"
	"github.com/secaudit/otelcol-audit/internal/poller"
	"github.com/secaudit/otelcol-audit/receiver/xsoarauditreceiver/internal/metadata"
)

const (
	// granularity: the timestamp filter works on epoch milliseconds.
	granularity = time.Millisecond
	// retention is not published for XSOAR 8 management audit logs; no clamp.
	retention = 0
	// maxRecordBytes is what one record may take of a reply, for the cap on responses. Records
	// are about 1 KiB, but AUDIT_ASSET_JSON and AUDIT_ADDITIONAL_INFORMATION can carry the
	// changed object (a playbook, an integration's settings), so each gets 64 KiB: a full page
	// of 100 records is capped at 6.25 MiB.
	maxRecordBytes = 64 << 10
	// minResponseBytes caps the pages of few records, so that one unusually large record still fits.
	minResponseBytes = 4 << 20
)

// spec describes this vendor to the shared pull engine.
func spec(c *Config) poller.Spec {
	origin, _ := apiOrigin(c.ClientConfig.Endpoint) // checked by Validate
	return poller.Spec{
		HTTP:          &c.ClientConfig,
		Poll:          &c.Poll,
		Tenant:        origin.Host,
		Secrets:       append(httpapi.OpaqueValues(c), httpapi.ProxyPasswords(c.ClientConfig.ProxyURL)...),
		Granularity:   granularity,
		Retention:     retention,
		Source:        checkpointSource(c),
		LegacySources: [][]string{legacyCheckpointSource(c)},
		NewTelemetry:  newTelemetry,
		NewSource: func(api *httpapi.Client, set receiver.Settings) (poller.Source, error) {
			return newSource(c, origin, api, set)
		},
		MaxResponseBytes: max(minResponseBytes, int64(c.PageSize)*maxRecordBytes),
	}
}

func newTelemetry(ts component.TelemetrySettings) (poller.Telemetry, func(), error) {
	tb, err := metadata.NewTelemetryBuilder(ts)
	if err != nil {
		return poller.Telemetry{}, nil, err
	}
	return poller.Telemetry{
		Requests:      tb.XsoarauditAPIRequests,
		Pages:         tb.XsoarauditPages,
		Records:       tb.XsoarauditRecords,
		Duplicates:    tb.XsoarauditDuplicates,
		Retries:       tb.XsoarauditRetries,
		CheckpointLag: tb.XsoarauditCheckpointLag,
		FutureRecords: tb.XsoarauditFutureRecords,
		Status:        tb.XsoarauditStatus,
	}, tb.Shutdown, nil
}
