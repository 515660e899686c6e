package xsoarauditreceiver

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

func TestLogTypeChoosesThePath(t *testing.T) {
	cfg, err := loadConfig(t, "agents")
	require.NoError(t, err)
	assert.Equal(t, logTypeAgentsReports, cfg.LogType)
	assert.Equal(t, agentsReportsPath, cfg.Path, "path follows log_type")
	assert.Equal(t, productXSIAM, cfg.Product)

	cfg, err = loadConfig(t, "agents_path")
	require.NoError(t, err)
	assert.Equal(t, "/gateway/public_api/v1/audits/agents_reports/", cfg.Path, "a path written is kept")

	cfg, err = loadConfig(t, "minimal")
	require.NoError(t, err)
	assert.Equal(t, logTypeManagement, cfg.LogType)
	assert.Equal(t, defaultPath, cfg.Path)
	assert.Empty(t, cfg.Product)

	loaded, err := loadSection(t, with(map[string]any{"log_type": "AGENTS_REPORTS"}))
	require.NoError(t, err, "any letter case, as security_level")
	assert.Equal(t, agentsReportsPath, loaded.(*Config).Path)
}

func TestLogTypeAndProductErrorsNameTheKey(t *testing.T) {
	tests := []struct {
		extra map[string]any
		want  string
	}{
		{map[string]any{"log_type": "agents"}, `log_type must be "management" or "agents_reports", got "agents"`},
		{map[string]any{"product": "xsoar6"}, `product must be one of xsoar, xdr, xsiam, xpanse, or left out, got "xsoar6"`},
		{map[string]any{"log_type": "agents_reports", "product": "xsoar"},
			`log_type "agents_reports" is served by Cortex XDR and XSIAM tenants only, but product is "xsoar"`},
		{map[string]any{"log_type": "agents_reports", "product": "Xpanse"}, `but product is "Xpanse"`},
		{map[string]any{"log_type": "agents_reports", "path": "/public_api/v1/audits/management_logs/"},
			`path "/public_api/v1/audits/management_logs/" is where the management audit logs are served, but log_type is "agents_reports": leave path out (it follows log_type) or set log_type: management`},
		{map[string]any{"path": "/public_api/v1/audits/Agents_Reports"},
			`is where the agents' audit reports are served, but log_type is "management"`},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			_, err := loadSection(t, with(tt.extra))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
	for _, ok := range []map[string]any{
		{"log_type": "agents_reports", "product": "xdr"},
		{"log_type": "management", "product": "XSIAM"},
		{"product": "xpanse"},
		{"log_type": "agents_reports", "path": "/public_api/v1/audits/agents_reports/"},
	} {
		_, err := loadSection(t, with(ok))
		assert.NoError(t, err, "%v", ok)
	}
	// A configuration made in code with the agents' type but the management path.
	cfg := createDefaultConfig().(*Config)
	cfg.ClientConfig.Endpoint, cfg.APIKeyID, cfg.APIKey = "acme.xdr.us.paloaltonetworks.com", "7", "k"
	cfg.LogType = logTypeAgentsReports
	assert.ErrorContains(t, cfg.Validate(), "path")
}

func TestHostProducts(t *testing.T) {
	for host, want := range map[string][]string{
		"api-acme.xdr.us.paloaltonetworks.com":   {productXDR, productXSIAM},
		"acme.XDR.eu.paloaltonetworks.com":       {productXDR, productXSIAM},
		"api-acme.crtx.de.paloaltonetworks.com":  {productXSOAR, productXpanse},
		"api-xdr.example.com":                    nil,
		"api-acme.paloaltonetworks.com":          nil,
		"127.0.0.1":                              nil,
		"api-crtx.xdr.fake.paloaltonetworks.com": {productXDR, productXSIAM},
	} {
		assert.Equal(t, want, hostProducts(host), host)
	}
}

func TestStartLogsWhatTheHostSaysOfTheProduct(t *testing.T) {
	tests := []struct {
		kind          *logKind
		product, host string
		level         zapcore.Level
		want          string
	}{
		{managementKind, "", "api-acme.xdr.us.paloaltonetworks.com", zapcore.InfoLevel, "Cortex XDR and XSIAM tenant's; set product"},
		{managementKind, productXSOAR, "api-acme.xdr.us.paloaltonetworks.com", zapcore.WarnLevel, "does not match the tenant's API host"},
		{agentsReportsKind, "", "api-acme.crtx.us.paloaltonetworks.com", zapcore.WarnLevel, "do not serve this log type"},
	}
	for _, tt := range tests {
		core, logs := observer.New(zapcore.InfoLevel)
		checkProduct(zap.New(core), tt.kind, tt.product, tt.host)
		found := logs.FilterMessageSnippet(tt.want).All()
		if assert.Len(t, found, 1, tt.want) {
			assert.Equal(t, tt.level, found[0].Level)
		}
	}
	// A stated product that matches, on a host that names its family: nothing to say.
	core, logs := observer.New(zapcore.InfoLevel)
	checkProduct(zap.New(core), agentsReportsKind, productXSIAM, "api-acme.xdr.us.paloaltonetworks.com")
	checkProduct(zap.New(core), managementKind, "", "127.0.0.1")
	assert.Zero(t, logs.Len())
}
