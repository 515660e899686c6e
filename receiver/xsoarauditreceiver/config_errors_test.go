package xsoarauditreceiver

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
