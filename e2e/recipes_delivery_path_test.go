//go:build e2e

package e2e

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/secaudit/otelcol-audit/internal/testsupport/simulator"
)

// deliveryPaths are the two exporter set-ups deploy/config.yaml chose between: a sending queue
// on file_storage with the exporter retrying without end, or the shipped one: no queue and no
// exporter retry, the export happening inside the receiver's ConsumeLogs and the receiver
// retrying the page without end.
var deliveryPaths = map[string]string{
	"persistent queue": `
    sending_queue:
      enabled: true
      storage: file_storage
      batch: {}
    retry_on_failure:
      initial_interval: 200ms
      max_interval: 1s
      max_elapsed_time: 0`,
	"no queue": `
    sending_queue:
      enabled: false
    retry_on_failure:
      enabled: false`,
}

// The delivery path under backend outages during which the collector is stopped with SIGTERM and
// killed with SIGKILL, both receivers reading live traffic: nothing is lost, at most one page per
// receiver and kill comes twice. AUDIT_DELIVERY_ROUNDS and AUDIT_DELIVERY_OUTAGE make it the long
// measurement behind deploy/config.yaml's choice (docs/runbook.md, "Delivery path"); the default
// is one short round of each.
func TestRecipeDeliveryPathOutagesAndRestarts(t *testing.T) {
	rounds, outage := 1, 4*time.Second
	if v := os.Getenv("AUDIT_DELIVERY_ROUNDS"); v != "" {
		n, err := strconv.Atoi(v)
		require.NoError(t, err)
		rounds = n
	}
	if v := os.Getenv("AUDIT_DELIVERY_OUTAGE"); v != "" {
		d, err := time.ParseDuration(v)
		require.NoError(t, err)
		outage = d
	}
	for name, queue := range deliveryPaths {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, simulator.Options{CyberArkBackfill: 3000, XSOARBackfill: 1500, BackfillSpan: time.Hour, Rate: 5})
			exporter := fmt.Sprintf(`  otlp_http:
    endpoint: http://127.0.0.1:%d%s`, e.otlp, queue)
			agent := startCollector(t, e.dir, "agent", e.agentConfig(exporter, ""))
			start := time.Now()
			for round := range rounds {
				require.Eventually(t, func() bool { return len(received(t, e.out)["cyberarkisp"]) > 0 }, time.Minute, 100*time.Millisecond)
				e.backend.stop()
				time.Sleep(outage / 3)
				stopped := time.Now()
				agent.stop() // SIGTERM while the backend is down
				t.Logf("round %d: SIGTERM took %s", round+1, time.Since(stopped).Round(time.Millisecond))
				agent.start()
				time.Sleep(outage / 3)
				agent.kill()
				agent.start()
				time.Sleep(outage / 3)
				e.backend.start()
				time.Sleep(time.Second)
			}
			got := e.waitAllArrived(time.Now(), 3*time.Minute, agent)
			dropping := strings.Count(agent.logs(), "Exporting failed. Dropping data.")
			t.Logf("%s, %d rounds of a %s outage with a SIGTERM and a SIGKILL, %s: %v; %d \"Dropping data\" log lines",
				name, rounds, outage, time.Since(start).Round(time.Second), got, dropping)
			for kind, d := range got {
				require.LessOrEqual(t, d.dups, rounds*map[string]int{"cyberarkisp": 500, "xsoaraudit": 100}[kind], "%s: %v", kind, d)
			}
		})
	}
}
