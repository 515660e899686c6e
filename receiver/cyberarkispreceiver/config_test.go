package cyberarkispreceiver

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"

	"github.com/secaudit/otelcol-audit/receiver/cyberarkispreceiver/internal/metadata"
)

func loadConfig(t *testing.T, name string) *Config {
	t.Helper()
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)
	sub, err := cm.Sub(component.NewIDWithName(metadata.Type, name).String())
	require.NoError(t, err)
	cfg := NewFactory().CreateDefaultConfig().(*Config)
	require.NoError(t, sub.Unmarshal(cfg))
	return cfg
}

func TestLoadConfigDefaults(t *testing.T) {
	cfg := loadConfig(t, "defaults")
	require.NoError(t, confmap.Validate(cfg))

	assert.Equal(t, "https://example-domain.audit.cyberark.cloud", cfg.ClientConfig.Endpoint)
	assert.Equal(t, "1 minute ago", cfg.Poll.StartTime)
	assert.Equal(t, time.Minute, cfg.Poll.PollInterval)
	assert.Equal(t, 500, cfg.PageSize)
	assert.Equal(t, 10000, cfg.Poll.MaxEventsPerPoll)
	assert.Equal(t, 60*time.Second, cfg.ClientConfig.Timeout)
	assert.InDelta(t, 5.0, cfg.Poll.RequestsPerSecond, 0)
	assert.True(t, cfg.Poll.Retry.Enabled)
	assert.Nil(t, cfg.Poll.StorageID)
	assert.Empty(t, cfg.ApplicationCodes)
	assert.Equal(t, 10*time.Second, cfg.Poll.Overlap)
}

func TestLoadConfigEveryKey(t *testing.T) {
	cfg := loadConfig(t, "all")
	require.NoError(t, confmap.Validate(cfg))

	want := NewFactory().CreateDefaultConfig().(*Config)
	want.ClientConfig.Endpoint = "HTTPS://Example-Domain.Audit.CyberArk.Cloud/"
	want.IdentityURL = "https://ABC1234.id.cyberark.cloud/"
	want.WebAppID = "OtelAuditApp"
	want.ClientID = "otel-collector@cyberark.cloud.12345"
	want.ClientSecret = "client-secret-value"
	want.APIKey = "api-key-value"
	want.Poll.StartTime = "3 days ago"
	want.Poll.PollInterval = 2 * time.Minute
	want.PageSize = 250
	want.Poll.MaxEventsPerPoll = 2500
	want.ApplicationCodes = []string{"IDP", "PAM"}
	storage := component.MustNewIDWithName("file_storage", "cyberark")
	want.Poll.StorageID = &storage
	want.Poll.RequestsPerSecond = 2.5
	want.Poll.Overlap = 30 * time.Second
	want.ClientConfig.Timeout = 45 * time.Second
	want.ClientConfig.ProxyURL = "http://proxy.internal:3128"
	want.ClientConfig.TLS.InsecureSkipVerify = true
	want.ClientConfig.Headers = configopaque.MapList{{Name: "X-Forwarded-For-Collector", Value: "edge-01"}}
	want.Poll.Retry.Enabled = false
	want.Poll.Retry.InitialInterval = 2 * time.Second
	want.Poll.Retry.RandomizationFactor = 0.25
	want.Poll.Retry.Multiplier = 3
	want.Poll.Retry.MaxInterval = 45 * time.Second
	want.Poll.Retry.MaxElapsedTime = 10 * time.Minute
	assert.Equal(t, want, cfg)

	// The pasted URLs are normalised where they are used: lower-case host, no trailing slash.
	s := spec(cfg)
	assert.Equal(t, "example-domain.audit.cyberark.cloud", s.Tenant)
	assert.Contains(t, s.Source, "endpoint=example-domain.audit.cyberark.cloud")
	assert.Contains(t, s.Source, "application_codes=IDP,PAM")
	for _, part := range s.Source {
		assert.NotContains(t, part, "client-secret-value")
		assert.NotContains(t, part, "api-key-value")
	}
}

func TestSourceURLsFromPastedValues(t *testing.T) {
	cfg := loadConfig(t, "all")
	src, err := newSource(cfg, nil, receiverSettings(t, nil))
	require.NoError(t, err)
	s := src.(*source)
	assert.Equal(t, "https://example-domain.audit.cyberark.cloud/api/audits/stream/createQuery", s.createURL)
	assert.Equal(t, "https://example-domain.audit.cyberark.cloud/api/audits/stream/results", s.resultsURL)
	assert.Equal(t, "https://abc1234.id.cyberark.cloud/OAuth2/Token/OtelAuditApp", s.tokens.url)
}

func TestConfigValidateNamesTheKey(t *testing.T) {
	valid := func() *Config { return loadConfig(t, "defaults") }
	tests := []struct {
		name   string
		modify func(*Config)
		want   []string
	}{
		{"missing endpoint", func(c *Config) { c.ClientConfig.Endpoint = "" }, []string{"endpoint"}},
		{"endpoint with another scheme", func(c *Config) { c.ClientConfig.Endpoint = "ftp://example-domain.audit.cyberark.cloud" }, []string{"endpoint", "https"}},
		{"endpoint with a query", func(c *Config) { c.ClientConfig.Endpoint = "https://x.audit.cyberark.cloud/?a=1" }, []string{"endpoint"}},
		{"missing identity_url", func(c *Config) { c.IdentityURL = " " }, []string{"identity_url"}},
		{"identity_url with credentials", func(c *Config) { c.IdentityURL = "https://user:pw@abc.id.cyberark.cloud" }, []string{"identity_url"}},
		{"missing web_app_id", func(c *Config) { c.WebAppID = "" }, []string{"web_app_id"}},
		{"missing client_id", func(c *Config) { c.ClientID = "" }, []string{"client_id"}},
		{"missing client_secret", func(c *Config) { c.ClientSecret = "" }, []string{"client_secret"}},
		{"missing api_key", func(c *Config) { c.APIKey = "" }, []string{"api_key"}},
		{"page_size zero", func(c *Config) { c.PageSize = 0 }, []string{"page_size"}},
		{"page_size above 500", func(c *Config) { c.PageSize = 1000 }, []string{"page_size", "500"}},
		{"empty application code", func(c *Config) { c.ApplicationCodes = []string{"IDP", ""} }, []string{"application_codes"}},
		{"bad start_time", func(c *Config) { c.Poll.StartTime = "yesterday-ish" }, []string{"start_time"}},
		{"poll_interval too short", func(c *Config) { c.Poll.PollInterval = 10 * time.Millisecond }, []string{"poll_interval"}},
		{"max_events_per_poll zero", func(c *Config) { c.Poll.MaxEventsPerPoll = 0 }, []string{"max_events_per_poll"}},
		{"overlap above a day", func(c *Config) { c.Poll.Overlap = 48 * time.Hour }, []string{"overlap"}},
		{"negative requests_per_second", func(c *Config) { c.Poll.RequestsPerSecond = -1 }, []string{"requests_per_second"}},
		{"negative retry multiplier", func(c *Config) { c.Poll.Retry.Multiplier = -1 }, []string{"multiplier"}},
		{"two errors at once", func(c *Config) { c.WebAppID, c.APIKey = "", "" }, []string{"web_app_id", "api_key"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := valid()
			tt.modify(cfg)
			err := confmap.Validate(cfg)
			require.Error(t, err)
			for _, w := range tt.want {
				assert.Contains(t, err.Error(), w)
			}
			assert.NotContains(t, err.Error(), "client-secret-value")
			assert.NotContains(t, err.Error(), "api-key-value")
		})
	}
}
