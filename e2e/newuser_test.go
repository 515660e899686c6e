//go:build e2e

package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/secaudit/otelcol-audit/internal/testsupport/simulator"
)

// validConfig is a configuration both binaries accept, before auditctl tries the credentials.
const validConfig = `
extensions:
  file_storage:
    directory: %s
receivers:
  xsoaraudit:
    endpoint: http://127.0.0.1:1
    api_key_id: 7
    api_key: k
    start_time: 2025-09-15 17:10:00
    storage: file_storage
exporters:
  debug: {}
service:
  extensions: [file_storage]
  pipelines:
    logs:
      receivers: [xsoaraudit]
      exporters: [debug]
`

// The mistakes a new user makes that the collector refuses at start: auditctl check, the
// documented gate, refuses each with the collector's own message before it tries a credential,
// and `validate` refuses each too.
func TestCheckAndValidateRefuseWhatTheCollectorRefuses(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.Mkdir(filepath.Join(dir, "storage"), 0o700))
	valid := fmt.Sprintf(validConfig, filepath.Join(dir, "storage"))
	for name, tc := range map[string]struct{ from, to, want string }{
		"misspelled receiver type": {"  xsoaraudit:\n    endpoint", "  xsoaraudt:\n    endpoint", `unknown type: "xsoaraudt"`},
		"pipeline names an unconfigured receiver": {"receivers: [xsoaraudit]", "receivers: [xsoaraudit, cyberarkisp]",
			`references receiver "cyberarkisp" which is not configured`},
		"storage names a missing extension": {"    storage: file_storage\n", "    storage: file_storage/typo\n",
			`receivers::xsoaraudit::storage: extension "file_storage/typo" is not configured`},
		"storage directory missing": {"/storage\n", "/missing\n", "directory must exist"},
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(name, " ", "-")+".yaml")
			require.NoError(t, os.WriteFile(path, []byte(strings.Replace(valid, tc.from, tc.to, 1)), 0o600))
			out, err := exec.Command(collectorBin(t), "validate", "--config", path).CombinedOutput()
			require.Error(t, err, "the collector refuses it: %s", out)
			assert.Contains(t, string(out), tc.want)
			got, code := auditctl(t, "check", "--config", path)
			assert.Equal(t, 1, code, got)
			assert.Contains(t, got, tc.want)
			assert.NotContains(t, got, "OK")
		})
	}
	path := filepath.Join(dir, "valid.yaml")
	require.NoError(t, os.WriteFile(path, []byte(valid), 0o600))
	out, err := exec.Command(collectorBin(t), "validate", "--config", path).CombinedOutput()
	require.NoError(t, err, "unquoted start_time and api_key_id: %s", out)
	got, _ := auditctl(t, "check", "--config", path, "--max-retry-time", "0")
	assert.Contains(t, got, "FAIL  connection", "the gate passes it on to the probe: %s", got)
}

// auditctl's list of the distribution's component types holds every type the distribution
// lists, so that check never refuses a configuration the collector runs.
func TestCheckKnowsEveryComponentOfTheDistribution(t *testing.T) {
	out, err := exec.Command(collectorBin(t), "components").CombinedOutput()
	require.NoError(t, err, string(out))
	var got map[string]any
	require.NoError(t, yaml.Unmarshal(out, &got), string(out))
	var b strings.Builder
	for _, section := range []string{"receivers", "processors", "exporters", "extensions", "connectors"} {
		list, _ := got[section].([]any)
		fmt.Fprintf(&b, "%s:\n", section)
		for _, c := range list {
			fmt.Fprintf(&b, "  %v: {}\n", c.(map[string]any)["name"])
		}
	}
	path := filepath.Join(t.TempDir(), "all.yaml")
	require.NoError(t, os.WriteFile(path, []byte(b.String()), 0o600))
	res, _ := auditctl(t, "check", "--config", path)
	assert.NotContains(t, res, "unknown type", "auditctl knows every type `components` lists:\n%s", b.String())
	assert.Contains(t, res, "service must have at least one pipeline", "the gate ran")
}

// The demo logs no warning or error on a normal start, and its lines stay short.
func TestDemoStartsQuietly(t *testing.T) {
	sim, err := simulator.New(simulator.Options{Seed: 3, CyberArkBackfill: 200, XSOARBackfill: 200, BackfillSpan: 30 * time.Minute})
	require.NoError(t, err)
	url, err := sim.Start()
	require.NoError(t, err)
	t.Cleanup(func() { _ = sim.Close() })
	raw, err := os.ReadFile("../testdata/run/collector.yaml")
	require.NoError(t, err)
	dir := t.TempDir()
	cfg := strings.NewReplacer(
		"${env:AUDIT_RUN_DIR}", dir, "${env:AUDITSIM_URL}", url,
		"${env:CYBERARK_CLIENT_SECRET}", simulator.DefaultClientSecret, "${env:CYBERARK_API_KEY}", simulator.DefaultAPIKey,
		"${env:XSOAR_API_KEY}", simulator.DefaultXSOARKey,
		"127.0.0.1:13133", fmt.Sprintf("127.0.0.1:%d", freePort(t)),
		// The demo's own metrics port may be taken by another collector on this machine.
		"${env:METRICS_PORT:-8888}", strconv.Itoa(freePort(t)),
	).Replace(string(raw))
	demo := startCollector(t, dir, "demo", cfg)
	require.Eventually(t, func() bool { return strings.Count(demo.logs(), `"log records"`) >= 2 }, time.Minute, 100*time.Millisecond, demo.logs())
	time.Sleep(2 * time.Second) // a few polls
	demo.stop()
	lines := strings.Split(strings.TrimSpace(demo.logs()), "\n")
	total := 0
	for _, l := range lines {
		total += len(l)
		assert.NotRegexp(t, `\t(warn|error)\t`, l, "a normal start of the demo is quiet")
		assert.NotContains(t, l, `"resource":`, "the resource block does not repeat on every line")
	}
	t.Logf("demo: %d log lines, %d characters on average", len(lines), total/len(lines))
}
