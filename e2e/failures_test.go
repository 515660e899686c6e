//go:build e2e

package e2e

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secaudit/otelcol-audit/internal/testsupport/simulator"
)

// 4. Wrong credentials: the collector keeps running, reports a permanent error that names the
// setting, and fixing the config resumes collection.
func TestWrongCredentialsThenFixed(t *testing.T) {
	e := newEnv(t, simulator.Options{CyberArkBackfill: 500, XSOARBackfill: 500, BackfillSpan: time.Hour})
	good := e.agentConfig(e.syncExporter(), "")
	bad := strings.Replace(good, "client_secret: "+simulator.DefaultClientSecret, "client_secret: not-the-secret", 1)
	bad = strings.Replace(bad, "api_key: "+simulator.DefaultXSOARKey, "api_key: not-the-key", 1)
	require.NotEqual(t, good, bad)
	agent := startCollector(t, e.dir, "agent", bad)
	require.Eventually(t, func() bool {
		l := agent.logs()
		return strings.Contains(l, "client_secret") && strings.Contains(l, "security_level")
	}, time.Minute, 200*time.Millisecond, "the log names the settings to fix:\n%s", tail(agent.logs()))
	time.Sleep(3 * time.Second) // several poll intervals
	require.True(t, agent.running(), "the collector keeps running")
	logs := agent.logs()
	assert.Contains(t, logs, "fix the setting")
	assert.NotContains(t, logs, "not-the-secret", "secrets never reach the log")
	assert.NotContains(t, logs, "not-the-key")
	assert.Empty(t, received(t, e.out)["cyberarkisp"])

	agent.stop()
	require.NoError(t, os.WriteFile(agent.cfg, []byte(good), 0o600))
	agent.start()
	got := e.waitExactlyOnce(time.Minute, agent)
	t.Logf("after fixing the credentials: %v", got)
}

// 5. A downstream outage with a persistent sending queue on file_storage: exactly once after recovery.
func TestDownstreamOutageExactlyOnce(t *testing.T) {
	e := newEnv(t, simulator.Options{CyberArkBackfill: 10000, XSOARBackfill: 10000, BackfillSpan: time.Hour})
	exporter := fmt.Sprintf(`  otlp_http:
    endpoint: http://127.0.0.1:%d
    sending_queue:
      storage: file_storage
    retry_on_failure:
      initial_interval: 200ms
      max_interval: 1s
      max_elapsed_time: 0`, e.otlp)
	agent := startCollector(t, e.dir, "agent", e.agentConfig(exporter, ""))
	require.Eventually(t, func() bool { return len(received(t, e.out)["xsoaraudit"]) > 500 }, time.Minute, 100*time.Millisecond)
	e.backend.stop()
	time.Sleep(5 * time.Second) // the backend is down; the receivers keep reading into the queue
	e.backend.start()
	got := e.waitExactlyOnce(3*time.Minute, agent)
	t.Logf("after a 5 s backend outage: %v", got)
	assert.NotContains(t, agent.logs(), "keeps its sending queue in memory", "this pipeline is safe: no delivery warning")
}

// The delivery check warns at start when a pipeline can lose checkpointed records.
func TestUnsafePipelineWarnsAtStart(t *testing.T) {
	e := newEnv(t, simulator.Options{})
	exporter := fmt.Sprintf("  otlp_http:\n    endpoint: http://127.0.0.1:%d", e.otlp)
	agent := startCollector(t, e.dir, "agent", e.agentConfig(exporter, ""))
	require.Eventually(t, func() bool { return strings.Contains(agent.logs(), "Everything is ready") }, 30*time.Second, 100*time.Millisecond)
	assert.Contains(t, agent.logs(), "exporter otlp_http keeps its sending queue in memory")
}
