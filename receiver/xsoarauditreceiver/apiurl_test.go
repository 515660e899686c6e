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
		s := spec(cfg)
		_, err := s.NewSource(httpapi.New(httpapi.Settings{}), set)
		require.NoError(t, err)
		entries := logs.FilterField(zap.String("url", want)).All()
		assert.Len(t, entries, 1, "%s: logged %v", endpoint, logs.All())
	}
}
