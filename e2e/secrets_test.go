//go:build e2e

package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secaudit/otelcol-audit/internal/testsupport/secrettest"
)

// secretsConfig is a configuration of both receivers whose secrets change under URL-encoding
// and JSON-escaping, with a configured header; proxy is appended to both receivers.
func secretsConfig(t *testing.T, proxy string) string {
	t.Helper()
	cfg := `
extensions:
  file_storage:
    directory: ` + t.TempDir() + `
receivers:
  cyberarkisp:
    endpoint: https://example-domain.audit.cyberark.cloud
    identity_url: https://abc1234.id.cyberark.cloud
    web_app_id: OtelApp
    client_id: svc-otel
    client_secret: 'cs-` + secrettest.Tricky + `'
    api_key: 'ak<&>"/+key-2'
    storage: file_storage
    headers:
      X-Tenant-Token: 'hdr"<&>/+tok-3'
` + proxy + `
  xsoaraudit:
    endpoint: mytenant.crtx.us.paloaltonetworks.com
    api_key_id: "7"
    api_key: 'xk-` + secrettest.Tricky + `'
    storage: file_storage
` + proxy + `
exporters:
  debug: {}
service:
  extensions: [file_storage]
  pipelines:
    logs:
      receivers: [cyberarkisp, xsoaraudit]
      exporters: [debug]
`
	path := filepath.Join(t.TempDir(), "collector.yaml")
	require.NoError(t, os.WriteFile(path, []byte(cfg), 0o600))
	return path
}

var configSecrets = []string{"cs-" + secrettest.Tricky, `ak<&>"/+key-2`, `hdr"<&>/+tok-3`, "xk-" + secrettest.Tricky}

// print-config (v0.165: redacted by default) shows every configopaque value, headers
// included, as [REDACTED], in YAML and in JSON.
func TestPrintConfigShowsNoSecret(t *testing.T) {
	path := secretsConfig(t, "")
	for _, format := range []string{"yaml", "json"} {
		out, err := exec.Command(collectorBin(t), "print-config", "--config", path, "--format", format).CombinedOutput()
		require.NoError(t, err, string(out))
		assert.Equal(t, 4, strings.Count(string(out), "[REDACTED]"), "%s:\n%s", format, out)
		secrettest.AssertHidden(t, string(out), configSecrets...)
	}
}

// proxy_url is a plain string that print-config prints as written: a password in it is refused
// by validation, which print-config, validate and the collector itself run, without quoting it.
func TestProxyURLWithAPasswordIsRefused(t *testing.T) {
	path := secretsConfig(t, "    proxy_url: http://svc:Pr0xy-Pass-77@127.0.0.1:3128")
	for _, args := range [][]string{{"print-config"}, {"print-config", "--format", "json"}, {"validate"}, {}} {
		out, err := exec.Command(collectorBin(t), append(args, "--config", path)...).CombinedOutput()
		require.Error(t, err, "%v:\n%s", args, out)
		assert.Contains(t, string(out), "proxy_url must not hold a user name or password", "%v", args)
		assert.Contains(t, string(out), "HTTPS_PROXY", "%v", args)
		assert.NotContains(t, string(out), "Pr0xy-Pass-77", "%v", args)
		secrettest.AssertHidden(t, string(out), configSecrets...)
	}
}
