package xsoarauditreceiver // import "github.com/secaudit/otelcol-audit/receiver/xsoarauditreceiver"

import (
	"net"
	"strings"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/confighttp"
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
var spec = poller.Spec{
	Granularity:      granularity,
	Retention:        retention,
	RecordBytes:      maxRecordBytes,
	MinResponseBytes: minResponseBytes,
	NewTelemetry:     newTelemetry,
	NewSource: func(cfg poller.Configured, api *httpapi.Client, set receiver.Settings) (poller.Source, error) {
		c := cfg.(*Config)
		origin, _ := apiOrigin(c.ClientConfig.Endpoint) // checked by Validate
		return newSource(c, origin, api, set)
	},
}

// The engine reads a validated Config through poller.Configured.

// PollSettings implements poller.Configured.
func (c *Config) PollSettings() *poller.Config { return &c.Poll }

// HTTPSettings implements poller.Configured.
func (c *Config) HTTPSettings() *confighttp.ClientConfig { return &c.ClientConfig }

// RateLimitKey implements poller.Configured: the API host.
func (c *Config) RateLimitKey() string {
	origin, _ := apiOrigin(c.ClientConfig.Endpoint) // checked by Validate
	return origin.Host
}

// CheckpointSource implements poller.Configured.
func (c *Config) CheckpointSource() ([]string, [][]string) {
	return checkpointSource(c), [][]string{legacyCheckpointSource(c)}
}

// RecordsPerPage implements poller.Configured.
func (c *Config) RecordsPerPage() int { return c.PageSize }

func newTelemetry(ts component.TelemetrySettings) (poller.Telemetry, func(), error) {
	tb, err := metadata.NewTelemetryBuilder(ts)
	if err != nil {
		return poller.Telemetry{}, nil, err
	}
	return poller.Telemetry{
		Requests:          tb.XsoarauditAPIRequests,
		Pages:             tb.XsoarauditPages,
		Records:           tb.XsoarauditRecords,
		Duplicates:        tb.XsoarauditDuplicates,
		Retries:           tb.XsoarauditRetries,
		CheckpointLag:     tb.XsoarauditCheckpointLag,
		FutureRecords:     tb.XsoarauditFutureRecords,
		Status:            tb.XsoarauditStatus,
		ClockSkew:         tb.XsoarauditVendorClockSkew,
		SaveFailures:      tb.XsoarauditCheckpointSaveFailures,
		FutureCheckpoints: tb.XsoarauditFutureCheckpoints,
	}, tb.Shutdown, nil
}

// PollerSpec returns what the pull engine knows of this vendor's API. With a validated *Config
// (a poller.Configured) it is all cmd/auditctl needs to read records with the receiver's own
// client code, without the engine and its checkpoint.
func PollerSpec() poller.Spec { return spec }

// checkpointSource names what selects the records: the API host and the path (with or without
// its trailing slash, in any case, it names the same records). The key ID is left out, so that
// rotating an expiring API key keeps the checkpoint.
func checkpointSource(c *Config) []string {
	origin, _ := apiOrigin(c.ClientConfig.Endpoint) // checked by Validate
	return []string{metadata.Type.String(), "endpoint=" + origin.Host, "path=" + canonicalPath(c.Path)}
}

func canonicalPath(path string) string {
	return strings.TrimRight(strings.ToLower(path), "/")
}

// legacyCheckpointSource is what releases up to 0.1 keyed the checkpoint with, so that an
// upgraded collector finds it (and moves it to checkpointSource's key). Those releases put
// "api-" before every host name, which is kept here as it was.
func legacyCheckpointSource(c *Config) []string {
	u, _ := httpapi.BaseURL(c.ClientConfig.Endpoint)
	host := u.Host
	if name := u.Hostname(); !strings.HasPrefix(name, "api-") && strings.Contains(name, ".") && net.ParseIP(name) == nil {
		host = "api-" + host
	}
	return []string{metadata.Type.String(), host, strings.TrimSpace(c.APIKeyID), canonicalPath(c.Path)}
}
