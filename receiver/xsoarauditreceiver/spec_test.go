package xsoarauditreceiver

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/receiver/receivertest"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/secaudit/otelcol-audit/internal/httpapi"
	"github.com/secaudit/otelcol-audit/receiver/xsoarauditreceiver/internal/metadata"
)

// The checkpoint follows the data, not the reader: a rotated key keeps it.
func TestCheckpointSourceIsWhatSelectsTheData(t *testing.T) {
	base := createDefaultConfig().(*Config)
	base.ClientConfig.Endpoint = "https://api-acme.xdr.us.paloaltonetworks.com"
	base.APIKeyID, base.APIKey = "7", "key-7"
	key := func(mutate func(*Config)) []string {
		c := *base
		mutate(&c)
		source, _ := c.CheckpointSource()
		return source
	}
	same := map[string]func(*Config){
		"rotated key":        func(c *Config) { c.APIKeyID, c.APIKey = "8", "key-8" },
		"other level":        func(c *Config) { c.SecurityLevel = securityStandard },
		"path with a slash":  func(c *Config) { c.Path = defaultPath + "/" },
		"path in upper case": func(c *Config) { c.Path = "/PUBLIC_API/v1/audits/management_logs" },
	}
	for name, mutate := range same {
		assert.Equal(t, key(func(*Config) {}), key(mutate), name)
	}
	assert.NotEqual(t, key(func(*Config) {}), key(func(c *Config) { c.ClientConfig.Endpoint = "https://api-other.xdr.us.paloaltonetworks.com" }))
}

// An upgraded collector finds the checkpoint the previous release wrote, including on hosts the
// previous release prefixed with "api-".
func TestLegacyCheckpointSourceIsThePreviousReleasesKey(t *testing.T) {
	c := createDefaultConfig().(*Config)
	c.APIKeyID = " 7 "
	c.Path = defaultPath + "/"
	for endpoint, host := range map[string]string{
		"acme.xdr.us.paloaltonetworks.com":             "api-acme.xdr.us.paloaltonetworks.com",
		"https://api-acme.xdr.us.paloaltonetworks.com": "api-acme.xdr.us.paloaltonetworks.com",
		"xsoar.corp.example:8443":                      "api-xsoar.corp.example:8443",
		"http://127.0.0.1:9000":                        "127.0.0.1:9000",
		"http://localhost:9000":                        "localhost:9000",
	} {
		c.ClientConfig.Endpoint = endpoint
		assert.Equal(t, []string{"xsoaraudit", host, "7", defaultPath}, legacyCheckpointSource(c), endpoint)
	}
}

// The API URL the receiver derives from endpoint is logged when its source is built, so that a
// user sees where requests go: api- is added only for a Cortex tenant's console host.
func TestEffectiveAPIURLIsLogged(t *testing.T) {
	for endpoint, want := range map[string]string{
		"mytenant.crtx.eu.paloaltonetworks.com":     "https://api-mytenant.crtx.eu.paloaltonetworks.com/public_api/v1/audits/management_logs",
		"https://xsoar-gw.corp.example:8443/":       "https://xsoar-gw.corp.example:8443/public_api/v1/audits/management_logs",
		"https://api-t.xdr.us.paloaltonetworks.com": "https://api-t.xdr.us.paloaltonetworks.com/public_api/v1/audits/management_logs",
	} {
		cfg := NewFactory().CreateDefaultConfig().(*Config)
		cfg.ClientConfig.Endpoint, cfg.APIKeyID, cfg.APIKey = endpoint, "7", "k"
		core, logs := observer.New(zapcore.InfoLevel)
		set := receivertest.NewNopSettings(metadata.Type)
		set.Logger = zap.New(core)
		_, err := spec.NewSource(cfg, httpapi.New(httpapi.Settings{}), set)
		require.NoError(t, err)
		entries := logs.FilterField(zap.String("url", want)).All()
		assert.Len(t, entries, 1, "%s: logged %v", endpoint, logs.All())
	}
}

func TestResponseCapFollowsPageSize(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	cfg.ClientConfig.Endpoint = "https://api-mytenant.xdr.eu.paloaltonetworks.com"
	cfg.PageSize = maxPageSize
	assert.Equal(t, int64(100*64<<10), spec.MaxResponseBytes(cfg), "a full page of 100 records, 64 KiB each")
	cfg.PageSize = 10
	assert.Equal(t, int64(minResponseBytes), spec.MaxResponseBytes(cfg), "a page of few records still fits a large one")
}
