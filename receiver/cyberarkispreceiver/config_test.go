package cyberarkispreceiver

import (
	"maps"
	"path/filepath"
	"strings"
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
	source, _ := cfg.CheckpointSource()
	assert.Equal(t, "example-domain.audit.cyberark.cloud", cfg.RateLimitKey())
	assert.Contains(t, source, "endpoint=example-domain.audit.cyberark.cloud")
	assert.Contains(t, source, "application_codes=IDP,PAM")
	for _, part := range source {
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

// validSection is a complete receiver section as a user writes it.
func validSection() map[string]any {
	return map[string]any{
		"endpoint":      "https://example-domain.audit.cyberark.cloud",
		"identity_url":  "https://abc1234.id.cyberark.cloud",
		"web_app_id":    "app",
		"client_id":     "svc",
		"client_secret": "client-secret-value",
		"api_key":       "api-key-value",
	}
}

// loadSection reads a receiver section as the collector does: the factory's default config,
// the section unmarshaled into it through the component.Config interface, then validated.
func loadSection(t *testing.T, section map[string]any) error {
	t.Helper()
	cfg := NewFactory().CreateDefaultConfig()
	if err := confmap.NewFromStringMap(section).Unmarshal(&cfg); err != nil {
		return err
	}
	return confmap.Validate(cfg)
}

func with(extra map[string]any) map[string]any {
	s := validSection()
	maps.Copy(s, extra)
	return s
}

func TestValidSectionLoads(t *testing.T) {
	err := loadSection(t, validSection())
	require.NoError(t, err)
}

// A misspelt key is an error naming its full path, at every level the receiver owns.
func TestTypoIsAnErrorNamingTheKey(t *testing.T) {
	tests := []struct {
		extra map[string]any
		want  string
	}{
		{map[string]any{"storag": "file_storage"}, "unknown key storag: this receiver has no such setting; did you mean storage?"},
		{map[string]any{"aplication_codes": []any{"PAM"}}, "unknown key aplication_codes: this receiver has no such setting; did you mean application_codes?"}, //nolint:misspell // the typo under test
		{map[string]any{"tls": map[string]any{"ca_fle": "/etc/ca.pem"}}, "unknown key tls::ca_fle: this receiver has no such setting; did you mean tls::ca_file?"},
		{map[string]any{"retry_on_failure": map[string]any{"max_elapsed_tme": 0}}, "unknown key retry_on_failure::max_elapsed_tme: this receiver has no such setting; did you mean retry_on_failure::max_elapsed_time?"},
		{map[string]any{"keepalive": map[string]any{"idle_timeout": "5s"}}, "unknown key keepalive::idle_timeout"},
		{map[string]any{"ca_file": "/etc/ca.pem"}, "unknown key ca_file: this receiver has no such setting; did you mean tls::ca_file?"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			err := loadSection(t, with(tt.extra))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			assert.NotContains(t, err.Error(), "cyberarkispreceiver.Config", "a Go type is not a key")
		})
	}
}

// Validation errors name the key the user writes, never a Go field (poll::, clientconfig::).
func TestValidationErrorsNameTheKeyAsWritten(t *testing.T) {
	tests := []struct {
		extra map[string]any
		want  string
	}{
		{map[string]any{"poll_interval": "10ms"}, "poll_interval must be between 1s and 24h0m0s, got 10ms"},
		{map[string]any{"retry_on_failure": map[string]any{"multiplier": -1}}, "retry_on_failure: multiplier value must be greater than or equal to 0"},
		{map[string]any{"retry_on_failure": map[string]any{"multiplier": 0.5}}, "retry_on_failure::multiplier must be between 1 and 10, got 0.5"},
		{map[string]any{"tls": map[string]any{"min_version": "1.9"}}, "tls: invalid TLS min_version"},
		{map[string]any{"headers": []any{map[string]any{"name": "X-A", "value": "1"}, map[string]any{"name": "X-A", "value": "2"}}}, "headers: duplicate keys"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			err := loadSection(t, with(tt.extra))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			for _, goName := range []string{"poll:", "clientconfig", "tls::config"} {
				assert.NotContains(t, err.Error(), goName)
			}
		})
	}
}

// The credentials never travel in cleartext: http:// is for a loopback host only.
func TestCleartextURLsAreRefusedUnlessLoopback(t *testing.T) {
	for key, url := range map[string]string{
		"endpoint":     "http://example-domain.audit.cyberark.cloud",
		"identity_url": "http://abc1234.id.cyberark.cloud",
	} {
		err := loadSection(t, with(map[string]any{key: url}))
		require.Error(t, err, key)
		assert.Contains(t, err.Error(), key+" (")
		assert.Contains(t, err.Error(), "uses http://, which would send the credentials in cleartext")
	}
	for _, url := range []string{"http://127.0.0.1:8080", "http://localhost:8080", "http://[::1]:8080", "http://127.0.0.2:9"} {
		err := loadSection(t, with(map[string]any{"endpoint": url, "identity_url": url}))
		assert.NoError(t, err, url)
	}
}

// Settings that would stop collection are refused, each naming its key and accepted range.
func TestSettingsThatWouldStopCollectionAreRefused(t *testing.T) {
	future := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	tests := []struct {
		extra map[string]any
		want  string
	}{
		{map[string]any{"start_time": future}, `start_time "` + future + `" is in the future`},
		{map[string]any{"timeout": "0s"}, "timeout must be between 1s and 10m0s, got 0s"},
		{map[string]any{"timeout": "-5s"}, "timeout must be between 1s and 10m0s, got -5s"},
		{map[string]any{"timeout": "24h"}, "timeout must be between 1s and 10m0s, got 24h0m0s"},
		{map[string]any{"requests_per_second": 0.0001}, "requests_per_second must be 0 (no limit) or between 0.1 and 1000"},
		{map[string]any{"poll_interval": "720h"}, "poll_interval must be between 1s and 24h0m0s"},
		{map[string]any{"retry_on_failure": map[string]any{"initial_interval": "0s"}}, "retry_on_failure::initial_interval must be between 10ms and 10m0s"},
		{map[string]any{"headers": map[string]any{"Authorization": "Bearer x"}}, "headers::Authorization must not be set: the receiver sets Authorization itself"},
		{map[string]any{"headers": map[string]any{"X-API-Key": "x"}}, "headers::X-API-Key must not be set"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			err := loadSection(t, with(tt.extra))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

// A secret pasted into another setting is not echoed by the error that names that setting;
// the required settings are listed in the same order at every run.
func TestSecretPastedIntoAnotherSettingIsNotEchoed(t *testing.T) {
	secret := strings.Repeat("Zq8", 30)
	for _, setting := range []string{"start_time", "poll_interval", "page_size"} {
		err := loadSection(t, with(map[string]any{"client_secret": secret, setting: secret}))
		require.Error(t, err, setting)
		assert.Contains(t, err.Error(), setting)
		assert.NotContains(t, err.Error(), secret[:20], setting)
	}
	for range 5 {
		err := loadSection(t, map[string]any{"endpoint": "https://example-domain.audit.cyberark.cloud", "identity_url": "https://abc1234.id.cyberark.cloud"})
		require.Error(t, err)
		assert.Contains(t, err.Error(), "web_app_id is required\nclient_id is required\nclient_secret is required\napi_key is required")
	}
}

func TestUnquotedTimesAreAccepted(t *testing.T) {
	require.NoError(t, loadSection(t, with(map[string]any{"start_time": time.Date(2025, 9, 15, 0, 0, 0, 0, time.UTC)})))
}

// configretry's own check fails the unmarshaling with a message about max_elapsed_time; the
// setting out of range is named too.
func TestRetryIntervalOutOfRangeIsNamed(t *testing.T) {
	err := loadSection(t, with(map[string]any{"retry_on_failure": map[string]any{"initial_interval": "20m"}}))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "retry_on_failure::initial_interval must be between 10ms and 10m0s, got 20m0s")
}
