//go:build e2e

package e2e

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

// collectorBin is the otelcol-audit binary under test, built by `make build`.
func collectorBin(t testing.TB) string {
	t.Helper()
	bin := os.Getenv("OTELCOL_AUDIT_BIN")
	if bin == "" {
		t.Fatal("OTELCOL_AUDIT_BIN is not set: run the end-to-end tests through `make test`")
	}
	return bin
}

func TestDistributionListsItsComponents(t *testing.T) {
	out, err := exec.Command(collectorBin(t), "components").CombinedOutput()
	require.NoError(t, err, string(out))
	var got struct {
		Receivers  []struct{ Name string } `yaml:"receivers"`
		Processors []struct{ Name string } `yaml:"processors"`
		Exporters  []struct{ Name string } `yaml:"exporters"`
		Connectors []struct{ Name string } `yaml:"connectors"`
		Extensions []struct{ Name string } `yaml:"extensions"`
		Providers  []struct {
			Scheme string `yaml:"scheme"`
		} `yaml:"providers"`
	}
	require.NoError(t, yaml.Unmarshal(out, &got), string(out))
	names := func(list []struct{ Name string }) []string {
		var n []string
		for _, c := range list {
			n = append(n, c.Name)
		}
		return n
	}
	assert.ElementsMatch(t, []string{"cyberarkisp", "xsoaraudit", "otlp"}, names(got.Receivers))
	assert.ElementsMatch(t, []string{"batch", "memory_limiter", "filter", "transform", "attributes", "resource", "redaction",
		"groupbyattrs", "delta_to_cumulative"}, names(got.Processors))
	assert.ElementsMatch(t, []string{"debug", "file", "otlp_grpc", "otlp_http", "kafka", "awss3", "prometheus"}, names(got.Exporters))
	assert.ElementsMatch(t, []string{"count"}, names(got.Connectors))
	assert.ElementsMatch(t, []string{"file_storage", "health_check", "pprof", "zpages", "bearertokenauth"}, names(got.Extensions))
	var schemes []string
	for _, p := range got.Providers {
		schemes = append(schemes, p.Scheme)
	}
	assert.ElementsMatch(t, []string{"env", "file", "yaml"}, schemes)
}

func TestDemoConfigValidates(t *testing.T) {
	cmd := exec.Command(collectorBin(t), "validate", "--config", "../testdata/run/collector.yaml")
	cmd.Env = append(os.Environ(), "AUDIT_RUN_DIR="+t.TempDir(), "AUDITSIM_URL=http://127.0.0.1:1",
		"CYBERARK_CLIENT_SECRET=x", "CYBERARK_API_KEY=x", "XSOAR_API_KEY=x")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, string(out))
}

func TestInvalidConfigNamesTheField(t *testing.T) {
	cfg := `
receivers:
  cyberarkisp:
    endpoint: https://example-domain.audit.cyberark.cloud
    identity_url: https://abc1234.id.cyberark.cloud
    web_app_id: app
    client_id: svc
    client_secret: s
    api_key: k
    page_size: 1000
  xsoaraudit:
    endpoint: mytenant.crtx.us.paloaltonetworks.com
    api_key_id: "1"
    api_key: k
    security_level: medium
exporters:
  debug: {}
service:
  pipelines:
    logs:
      receivers: [cyberarkisp, xsoaraudit]
      exporters: [debug]
`
	out, err := exec.Command(collectorBin(t), "validate", "--config", "yaml:"+cfg).CombinedOutput()
	require.Error(t, err)
	assert.Contains(t, string(out), "page_size must be between 1 and 500")
	assert.Contains(t, string(out), "security_level")
	assert.NotContains(t, string(out), "client_secret: s", "secrets are not echoed")

	// A misspelt key, at the top or nested, is refused by its path, not silently ignored.
	typo := strings.Replace(cfg, "    page_size: 1000\n", "    storag: file_storage\n    tls:\n      ca_fle: /etc/ca.pem\n", 1)
	typo = strings.Replace(typo, "    security_level: medium\n", "", 1)
	out, err = exec.Command(collectorBin(t), "validate", "--config", "yaml:"+typo).CombinedOutput()
	require.Error(t, err)
	assert.Contains(t, string(out), "unknown key storag: this receiver has no such setting; did you mean storage?")
	assert.Contains(t, string(out), "unknown key tls::ca_fle: this receiver has no such setting; did you mean tls::ca_file?")

	// An http:// endpoint would send the API key in cleartext.
	cleartext := strings.Replace(cfg, "    page_size: 1000\n", "", 1)
	cleartext = strings.Replace(cleartext, "    security_level: medium\n", "", 1)
	cleartext = strings.Replace(cleartext, "endpoint: mytenant.crtx.us.paloaltonetworks.com", "endpoint: http://mytenant.crtx.us.paloaltonetworks.com", 1)
	out, err = exec.Command(collectorBin(t), "validate", "--config", "yaml:"+cleartext).CombinedOutput()
	require.Error(t, err)
	assert.Contains(t, string(out), "receivers::xsoaraudit: endpoint (the tenant FQDN from Settings > API Keys)")
	assert.Contains(t, string(out), "uses http://, which would send the credentials in cleartext")
}

// The complete examples users copy from the READMEs must be valid for the built binary.
func TestREADMEExamplesValidate(t *testing.T) {
	for _, readme := range []string{"../README.md", "../receiver/cyberarkispreceiver/README.md", "../receiver/xsoarauditreceiver/README.md"} {
		raw, err := os.ReadFile(readme)
		require.NoError(t, err)
		blocks := 0
		for _, part := range strings.Split(string(raw), "```yaml\n")[1:] {
			block, _, _ := strings.Cut(part, "```")
			if !strings.Contains(block, "service:") {
				continue // a fragment, not a whole configuration
			}
			blocks++
			cmd := exec.Command(collectorBin(t), "validate", "--config", "yaml:"+block)
			cmd.Env = append(os.Environ(), "CYBERARK_CLIENT_SECRET=x", "CYBERARK_API_KEY=x", "XSOAR_API_KEY=x")
			out, err := cmd.CombinedOutput()
			assert.NoError(t, err, "%s example does not validate:\n%s\n%s", readme, block, out)
		}
		assert.Positive(t, blocks, "%s has a complete example", readme)
	}
}
