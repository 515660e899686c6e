package cyberarkispreceiver // import "github.com/secaudit/otelcol-audit/receiver/cyberarkispreceiver"

import (
	"slices"
	"strings"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/confighttp"
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
var spec = poller.Spec{
	Granularity:      granularity,
	Retention:        retention,
	RecordBytes:      maxEventBytes,
	MinResponseBytes: minResponseBytes,
	NewTelemetry:     newTelemetry,
	NewSource: func(cfg poller.Configured, api *httpapi.Client, set receiver.Settings) (poller.Source, error) {
		return newSource(cfg.(*Config), api, set)
	},
}

// The engine reads a validated Config through poller.Configured.

// PollSettings implements poller.Configured.
func (c *Config) PollSettings() *poller.Config { return &c.Poll }

// HTTPSettings implements poller.Configured.
func (c *Config) HTTPSettings() *confighttp.ClientConfig { return &c.ClientConfig }

// RateLimitKey implements poller.Configured: the Audit API host.
func (c *Config) RateLimitKey() string {
	audit, _ := httpapi.BaseURL(c.ClientConfig.Endpoint) // checked by Validate
	return audit.Host
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
		Requests:          tb.CyberarkispAPIRequests,
		Pages:             tb.CyberarkispPages,
		Records:           tb.CyberarkispRecords,
		Duplicates:        tb.CyberarkispDuplicates,
		Retries:           tb.CyberarkispRetries,
		CheckpointLag:     tb.CyberarkispCheckpointLag,
		FutureRecords:     tb.CyberarkispFutureRecords,
		Status:            tb.CyberarkispStatus,
		ClockSkew:         tb.CyberarkispVendorClockSkew,
		SaveFailures:      tb.CyberarkispCheckpointSaveFailures,
		FutureCheckpoints: tb.CyberarkispFutureCheckpoints,
	}, tb.Shutdown, nil
}

// PollerSpec returns what the pull engine knows of this vendor's API. With a validated *Config
// (a poller.Configured) it is all cmd/auditctl needs to read records with the receiver's own
// client code, without the engine and its checkpoint.
func PollerSpec() poller.Spec { return spec }

// checkpointSource names what selects the events: the Audit API tenant and the application
// filter, as a set (order and repeats do not change what is read). Who reads them (client_id,
// web_app_id, the Identity tenant) is left out, so that rotating a service user keeps the
// checkpoint.
func checkpointSource(c *Config) []string {
	audit, _ := httpapi.BaseURL(c.ClientConfig.Endpoint) // checked by Validate
	return []string{metadata.Type.String(), "endpoint=" + audit.Host, "application_codes=" + strings.Join(canonicalCodes(c.ApplicationCodes), ",")}
}

func canonicalCodes(codes []string) []string {
	out := make([]string, 0, len(codes))
	for _, code := range codes {
		out = append(out, strings.TrimSpace(code))
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// legacyCheckpointSource is what releases up to 0.1 keyed the checkpoint with, so that an
// upgraded collector finds it (and moves it to checkpointSource's key).
func legacyCheckpointSource(c *Config) []string {
	audit, _ := httpapi.BaseURL(c.ClientConfig.Endpoint)
	identity, _ := httpapi.BaseURL(c.IdentityURL)
	return []string{metadata.Type.String(), audit.Host, identity.Host, c.WebAppID, c.ClientID, strings.Join(c.ApplicationCodes, ",")}
}
