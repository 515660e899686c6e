package cyberarkispreceiver

import (
	"maps"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
)

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
		{map[string]any{"aplication_codes": []any{"PAM"}}, "unknown key aplication_codes: this receiver has no such setting; did you mean application_codes?"}, //nolint:misspell // the typo under test
		{map[string]any{"tls": map[string]any{"ca_fle": "/etc/ca.pem"}}, "unknown key tls::ca_fle: this receiver has no such setting; did you mean tls::ca_file?"},
		{map[string]any{"retry_on_failure": map[string]any{"max_elapsed_tme": 0}}, "unknown key retry_on_failure::max_elapsed_tme: this receiver has no such setting; did you mean retry_on_failure::max_elapsed_time?"},
		{map[string]any{"keepalive": map[string]any{"idle_timeout": "5s"}}, "unknown key keepalive::idle_timeout"},
		{map[string]any{"ca_file": "/etc/ca.pem"}, "unknown key ca_file: this receiver has no such setting; did you mean tls::ca_file?"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			_, err := loadSection(t, with(tt.extra))
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
			_, err := loadSection(t, with(tt.extra))
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
		_, err := loadSection(t, with(map[string]any{key: url}))
		require.Error(t, err, key)
		assert.Contains(t, err.Error(), key+" (")
		assert.Contains(t, err.Error(), "uses http://, which would send the credentials in cleartext")
	}
	for _, url := range []string{"http://127.0.0.1:8080", "http://localhost:8080", "http://[::1]:8080", "http://127.0.0.2:9"} {
		_, err := loadSection(t, with(map[string]any{"endpoint": url, "identity_url": url}))
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
			_, err := loadSection(t, with(tt.extra))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}
