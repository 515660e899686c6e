package xsoarauditreceiver

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

	"github.com/secaudit/otelcol-audit/receiver/xsoarauditreceiver/internal/metadata"
)

func loadConfig(t *testing.T, name string) (*Config, error) {
	t.Helper()
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)
	sub, err := cm.Sub(component.NewIDWithName(metadata.Type, name).String())
	require.NoError(t, err)
	cfg := NewFactory().CreateDefaultConfig().(*Config)
	require.NoError(t, sub.Unmarshal(cfg))
	return cfg, confmap.Validate(cfg)
}

func TestLoadConfigReadsEveryKey(t *testing.T) {
	cfg, err := loadConfig(t, "all")
	require.NoError(t, err)

	want := NewFactory().CreateDefaultConfig().(*Config)
	want.ClientConfig.Endpoint = "https://mytenant.crtx.eu.paloaltonetworks.com/xsoar/public/v1/"
	want.ClientConfig.Timeout = 45 * time.Second
	want.ClientConfig.ProxyURL = "http://proxy.internal:3128"
	want.ClientConfig.TLS.InsecureSkipVerify = true
	want.ClientConfig.Headers = configopaque.MapList{{Name: "X-Request-Source", Value: "otelcol"}}
	want.APIKeyID = "42"
	want.APIKey = "0123456789abcdef"
	want.SecurityLevel = securityStandard
	want.PageSize = 50
	want.SettleDelay = 30 * time.Second
	want.Path = "/public_api/v1/audits/management_logs/"
	want.Product = "xpanse"
	want.Poll.StartTime = "3 days ago"
	want.Poll.PollInterval = 2 * time.Minute
	want.Poll.MaxEventsPerPoll = 2500
	want.Poll.RequestsPerSecond = 2.5
	want.Poll.Overlap = time.Minute
	storage := component.MustNewIDWithName("file_storage", "xsoar")
	want.Poll.StorageID = &storage
	want.Poll.Retry.Enabled = false
	want.Poll.Retry.InitialInterval = 2 * time.Second
	want.Poll.Retry.RandomizationFactor = 0.25
	want.Poll.Retry.Multiplier = 3
	want.Poll.Retry.MaxInterval = 40 * time.Second
	want.Poll.Retry.MaxElapsedTime = 10 * time.Minute
	assert.Equal(t, want, cfg)

	// Guard the guard: every value above differs from its default, or the test proves nothing.
	def := NewFactory().CreateDefaultConfig().(*Config)
	assert.NotEqual(t, def.ClientConfig.Timeout, cfg.ClientConfig.Timeout)
	assert.NotEqual(t, def.SecurityLevel, cfg.SecurityLevel)
	assert.NotEqual(t, def.PageSize, cfg.PageSize)
	assert.NotEqual(t, def.SettleDelay, cfg.SettleDelay)
	assert.NotEqual(t, def.Path, cfg.Path)
	assert.NotEqual(t, def.Product, cfg.Product)
	assert.NotEqual(t, def.Poll.StartTime, cfg.Poll.StartTime)
	assert.NotEqual(t, def.Poll.PollInterval, cfg.Poll.PollInterval)
	assert.NotEqual(t, def.Poll.MaxEventsPerPoll, cfg.Poll.MaxEventsPerPoll)
	assert.NotEqual(t, def.Poll.RequestsPerSecond, cfg.Poll.RequestsPerSecond)
	assert.NotEqual(t, def.Poll.Overlap, cfg.Poll.Overlap)
	assert.NotEqual(t, def.Poll.Retry, cfg.Poll.Retry)
}

func TestDefaults(t *testing.T) {
	cfg, err := loadConfig(t, "minimal")
	require.NoError(t, err)
	assert.Equal(t, securityAdvanced, cfg.SecurityLevel)
	assert.Equal(t, "1 minute ago", cfg.Poll.StartTime)
	assert.Equal(t, time.Minute, cfg.Poll.PollInterval)
	assert.Equal(t, 100, cfg.PageSize)
	assert.Equal(t, 10000, cfg.Poll.MaxEventsPerPoll)
	assert.InDelta(t, 5.0, cfg.Poll.RequestsPerSecond, 1e-9)
	assert.Nil(t, cfg.Poll.StorageID)
	assert.Equal(t, 5*time.Second, cfg.SettleDelay)
	assert.Equal(t, 10*time.Second, cfg.Poll.Overlap)
	assert.Equal(t, "/public_api/v1/audits/management_logs", cfg.Path)
	assert.Equal(t, 60*time.Second, cfg.ClientConfig.Timeout)
	assert.True(t, cfg.Poll.Retry.Enabled)
}

func TestInvalidConfigNamesTheKey(t *testing.T) {
	valid := func() *Config {
		cfg := NewFactory().CreateDefaultConfig().(*Config)
		cfg.ClientConfig.Endpoint = "mytenant.crtx.us.paloaltonetworks.com"
		cfg.APIKeyID = "7"
		cfg.APIKey = "k"
		return cfg
	}
	require.NoError(t, confmap.Validate(valid()))

	tests := []struct {
		name   string
		mutate func(*Config)
		want   string
	}{
		{"no endpoint", func(c *Config) { c.ClientConfig.Endpoint = "" }, "endpoint"},
		{"endpoint with a query", func(c *Config) { c.ClientConfig.Endpoint = "https://tenant.example.com/?x=1" }, "endpoint"},
		{"endpoint not http", func(c *Config) { c.ClientConfig.Endpoint = "ftp://tenant.example.com" }, "endpoint"},
		{"endpoint with credentials", func(c *Config) { c.ClientConfig.Endpoint = "https://user:pw@tenant.example.com" }, "endpoint"},
		{"no key id", func(c *Config) { c.APIKeyID = " " }, "api_key_id"},
		{"no key", func(c *Config) { c.APIKey = "" }, "api_key"},
		{"unknown security level", func(c *Config) { c.SecurityLevel = "high" }, "security_level"},
		{"page size 0", func(c *Config) { c.PageSize = 0 }, "page_size"},
		{"page size over 100", func(c *Config) { c.PageSize = 101 }, "page_size"},
		{"negative settle delay", func(c *Config) { c.SettleDelay = -time.Second }, "settle_delay"},
		{"relative path", func(c *Config) { c.Path = "public_api/v1/audits/management_logs" }, "path"},
		{"bad start time", func(c *Config) { c.Poll.StartTime = "last tuesday" }, "start_time"},
		{"poll interval too short", func(c *Config) { c.Poll.PollInterval = 10 * time.Millisecond }, "poll_interval"},
		{"max events 0", func(c *Config) { c.Poll.MaxEventsPerPoll = 0 }, "max_events_per_poll"},
		{"negative rate", func(c *Config) { c.Poll.RequestsPerSecond = -1 }, "requests_per_second"},
		{"negative overlap", func(c *Config) { c.Poll.Overlap = -time.Second }, "overlap"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := valid()
			tt.mutate(cfg)
			err := confmap.Validate(cfg)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			assert.NotContains(t, err.Error(), "0123456789abcdef")
		})
	}
}

func TestAPIOrigin(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"mytenant.crtx.us.paloaltonetworks.com", "https://api-mytenant.crtx.us.paloaltonetworks.com"},
		{"api-mytenant.crtx.us.paloaltonetworks.com", "https://api-mytenant.crtx.us.paloaltonetworks.com"},
		{"https://mytenant.crtx.us.paloaltonetworks.com", "https://api-mytenant.crtx.us.paloaltonetworks.com"},
		{"https://api-mytenant.crtx.us.paloaltonetworks.com/", "https://api-mytenant.crtx.us.paloaltonetworks.com"},
		{"https://mytenant.crtx.us.paloaltonetworks.com/xsoar/public/v1/", "https://api-mytenant.crtx.us.paloaltonetworks.com"},
		{"https://api-mytenant.crtx.us.paloaltonetworks.com/xsoar", "https://api-mytenant.crtx.us.paloaltonetworks.com"},
		{"https://api-mytenant.crtx.us.paloaltonetworks.com/public_api/v1", "https://api-mytenant.crtx.us.paloaltonetworks.com"},
		{"  HTTPS://MyTenant.CRTX.us.paloaltonetworks.com/  ", "https://api-mytenant.crtx.us.paloaltonetworks.com"},
		// Not a Cortex tenant's domain: used as written.
		{"xsoar.mycompany.com:8443", "https://xsoar.mycompany.com:8443"},
		{"https://xsoar-proxy.corp.example/", "https://xsoar-proxy.corp.example"},
		{"paloaltonetworks.com.evil.example", "https://paloaltonetworks.com.evil.example"},
		{"api-mytenant.crtx.us.paloaltonetworks.com:443", "https://api-mytenant.crtx.us.paloaltonetworks.com:443"},
		{"http://127.0.0.1:8080", "http://127.0.0.1:8080"},
		{"http://localhost:8080", "http://localhost:8080"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			u, err := apiOrigin(tt.in)
			require.NoError(t, err)
			assert.Equal(t, tt.want, u.String())
		})
	}
}

// validSection is a complete receiver section as a user writes it.
func validSection() map[string]any {
	return map[string]any{
		"endpoint":   "mytenant.crtx.us.paloaltonetworks.com",
		"api_key_id": "7",
		"api_key":    "0123456789abcdef",
	}
}

// loadSection reads a receiver section as the collector does: the factory's default config,
// the section unmarshaled into it through the component.Config interface, then validated.
func loadSection(t *testing.T, section map[string]any) (component.Config, error) {
	t.Helper()
	cfg := NewFactory().CreateDefaultConfig()
	if err := confmap.NewFromStringMap(section).Unmarshal(&cfg); err != nil {
		return cfg, err
	}
	return cfg, confmap.Validate(cfg)
}

func with(extra map[string]any) map[string]any {
	s := validSection()
	maps.Copy(s, extra)
	return s
}

func TestValidSectionLoads(t *testing.T) {
	_, err := loadSection(t, validSection())
	require.NoError(t, err)
}

// A misspelt key is an error naming its full path, at every level the receiver owns.
func TestTypoIsAnErrorNamingTheKey(t *testing.T) {
	tests := []struct {
		extra map[string]any
		want  string
	}{
		{map[string]any{"storag": "file_storage"}, "unknown key storag: this receiver has no such setting; did you mean storage?"},
		{map[string]any{"setle_delay": "1s"}, "unknown key setle_delay: this receiver has no such setting; did you mean settle_delay?"},
		{map[string]any{"tls": map[string]any{"ca_fle": "/etc/ca.pem"}}, "unknown key tls::ca_fle: this receiver has no such setting; did you mean tls::ca_file?"},
		{map[string]any{"retry_on_failure": map[string]any{"max_elapsed_tme": 0}}, "unknown key retry_on_failure::max_elapsed_tme: this receiver has no such setting; did you mean retry_on_failure::max_elapsed_time?"},
		{map[string]any{"auth": map[string]any{"authenticatr": "oauth2client"}}, "unknown key auth::authenticatr"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			_, err := loadSection(t, with(tt.extra))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			assert.NotContains(t, err.Error(), "xsoarauditreceiver.Config", "a Go type is not a key")
			assert.NotContains(t, err.Error(), "0123456789abcdef")
		})
	}
}

// Validation errors name the key the user writes, never a Go field (poll::, clientconfig::).
func TestValidationErrorsNameTheKeyAsWritten(t *testing.T) {
	tests := []struct {
		extra map[string]any
		want  string
	}{
		{map[string]any{"max_events_per_poll": 0}, "max_events_per_poll must be between 1 and 1000000, got 0"},
		{map[string]any{"retry_on_failure": map[string]any{"randomization_factor": 2}}, "retry_on_failure: randomization_factor value must be less than or equal to 1"},
		{map[string]any{"retry_on_failure": map[string]any{"max_interval": "1ms"}}, "retry_on_failure::max_interval must be between initial_interval (5s) and 1h0m0s, got 1ms"},
		{map[string]any{"tls": map[string]any{"cert_file": "/c.pem"}}, "tls: TLS configuration must include both certificate and key"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			_, err := loadSection(t, with(tt.extra))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			for _, goName := range []string{"poll:", "clientconfig", "tls::config"} {
				assert.NotContains(t, err.Error(), goName)
			}
		})
	}
}

// The API key never travels in cleartext: http:// is for a loopback host only.
func TestCleartextEndpointIsRefusedUnlessLoopback(t *testing.T) {
	for _, url := range []string{"http://mytenant.crtx.us.paloaltonetworks.com", "http://xsoar.corp.example:8080", "http://10.0.0.5"} {
		_, err := loadSection(t, with(map[string]any{"endpoint": url}))
		require.Error(t, err, url)
		assert.Contains(t, err.Error(), "endpoint (the tenant FQDN from Settings > API Keys)")
		assert.Contains(t, err.Error(), "uses http://, which would send the credentials in cleartext")
	}
	for _, url := range []string{"http://127.0.0.1:8080", "http://localhost:8080", "http://[::1]:8080"} {
		_, err := loadSection(t, with(map[string]any{"endpoint": url}))
		assert.NoError(t, err, url)
	}
}

// Settings that would stop collection are refused, each naming its key and accepted range.
func TestSettingsThatWouldStopCollectionAreRefused(t *testing.T) {
	future := time.Now().Add(24 * time.Hour).UTC().Format("2006-01-02 15:04:05")
	tests := []struct {
		extra map[string]any
		want  string
	}{
		{map[string]any{"start_time": future}, `start_time "` + future + `" is in the future`},
		{map[string]any{"settle_delay": "2h"}, "settle_delay must be between 0s and 1h0m0s, got 2h0m0s"},
		{map[string]any{"settle_delay": "-1s"}, "settle_delay must be between 0s and 1h0m0s, got -1s"},
		{map[string]any{"timeout": "0s"}, "timeout must be between 1s and 10m0s, got 0s"},
		{map[string]any{"api_key_id": "my-key"}, "api_key_id must be the number in the ID column of the API Keys page"},
		{map[string]any{"api_key_id": "0"}, "api_key_id must be the number in the ID column"},
		{map[string]any{"path": "/public_api/v1/audits/management_logs?x=1"}, "path must start with / and hold no query, fragment or space"},
		{map[string]any{"headers": map[string]any{"x-xdr-auth-id": "9"}}, "headers::x-xdr-auth-id must not be set: the receiver sets x-xdr-auth-id itself"},
		{map[string]any{"headers": map[string]any{"authorization": "k"}}, "headers::authorization must not be set"},
		{map[string]any{"overlap": "48h"}, "overlap must be between 0s and 24h0m0s"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			_, err := loadSection(t, with(tt.extra))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			assert.NotContains(t, err.Error(), "0123456789abcdef")
		})
	}
}

// A key pasted into the wrong setting is not echoed by the error that names that setting,
// whichever setting it is.
func TestSecretPastedIntoAnotherSettingIsNotEchoed(t *testing.T) {
	key := strings.Repeat("Zq8", 30)
	for _, setting := range []string{"security_level", "log_type", "product", "path", "start_time", "settle_delay", "page_size"} {
		_, err := loadSection(t, with(map[string]any{"api_key": key, setting: key}))
		require.Error(t, err, setting)
		assert.Contains(t, err.Error(), setting)
		assert.NotContains(t, err.Error(), key[:20], setting)
	}
	// A short wrong value is still quoted, to show the typo.
	_, err := loadSection(t, with(map[string]any{"security_level": "advancd"}))
	require.ErrorContains(t, err, `got "advancd"`)
}

// What YAML makes of the forms the docs show, unquoted.
func TestUnquotedNumbersAndTimesAreAccepted(t *testing.T) {
	cfg, err := loadSection(t, with(map[string]any{"api_key_id": 17, "start_time": time.Date(2025, 9, 15, 17, 10, 0, 0, time.UTC)}))
	require.NoError(t, err)
	assert.Equal(t, "17", cfg.(*Config).APIKeyID)
	assert.Equal(t, "2025-09-15T17:10:00Z", cfg.(*Config).Poll.StartTime)
}

// configretry's own check fails the unmarshaling with a message about max_elapsed_time; the
// setting out of range is named too.
func TestRetryIntervalOutOfRangeIsNamed(t *testing.T) {
	_, err := loadSection(t, with(map[string]any{"retry_on_failure": map[string]any{"initial_interval": "20m"}}))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "retry_on_failure::initial_interval must be between 10ms and 10m0s, got 20m0s")
}
