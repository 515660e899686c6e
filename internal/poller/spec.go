package poller

import (
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/receiver"

	"github.com/secaudit/otelcol-audit/internal/httpapi"
)

// Spec is what is true of a vendor's API whatever the configuration: one per receiver type.
type Spec struct {
	// Granularity is the resolution of the API's time filter (CyberArk: 1s, XSOAR: 1ms).
	Granularity time.Duration
	// Retention is how far back the vendor keeps records; older start points are clamped. 0: unknown.
	Retention time.Duration
	// RecordBytes is what one record may take of a page, and MinResponseBytes the least a
	// response may take: together with the configured page size they cap every response body,
	// so that a hostile or broken API cannot exhaust memory.
	RecordBytes, MinResponseBytes int64
	// NewTelemetry builds the receiver's instruments (from its generated TelemetryBuilder) and
	// returns the function that releases them.
	NewTelemetry func(component.TelemetrySettings) (Telemetry, func(), error)
	// NewSource builds the vendor source of a validated configuration on the API client.
	NewSource func(cfg Configured, api *httpapi.Client, set receiver.Settings) (Source, error)
}

// Configured is a validated receiver configuration as the engine reads it. Both receivers'
// Config implement it; the engine, auditctl and the checkpoint commands read nothing else.
type Configured interface {
	component.Config
	// PollSettings are the polling settings both receivers share.
	PollSettings() *Config
	// HTTPSettings are the API client's settings (endpoint, TLS, proxy, timeout, headers).
	HTTPSettings() *confighttp.ClientConfig
	// RateLimitKey names the tenant: running receivers with the same key share one request budget.
	RateLimitKey() string
	// CheckpointSource names what selects the data (see Settings.Source), and the names
	// earlier releases gave it (Settings.LegacySources).
	CheckpointSource() (source []string, legacy [][]string)
	// RecordsPerPage is the page size the receiver asks for.
	RecordsPerPage() int
}

// SecretValues are the values of cfg to scrub, in every form, from every error text of the
// HTTP client and from the receiver's own messages (httpapi.Secrets): every configopaque
// setting, and the passwords of the proxies it may use.
func SecretValues(cfg Configured) []string {
	return append(httpapi.OpaqueValues(cfg), httpapi.ProxyPasswords(cfg.HTTPSettings().ProxyURL)...)
}

// MaxResponseBytes is the cap on a response body of cfg's API.
func (s Spec) MaxResponseBytes(cfg Configured) int64 {
	return max(s.MinResponseBytes, int64(cfg.RecordsPerPage())*s.RecordBytes)
}

// settings are the poller's settings for cfg.
func (s Spec) settings(cfg Configured, tel Telemetry) Settings {
	source, legacy := cfg.CheckpointSource()
	return Settings{
		Config:        *cfg.PollSettings(),
		Granularity:   s.Granularity,
		Retention:     s.Retention,
		Source:        source,
		LegacySources: legacy,
		PageSize:      cfg.RecordsPerPage(),
		Telemetry:     tel,
	}
}
