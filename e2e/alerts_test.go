//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/secaudit/otelcol-audit/internal/testsupport/simulator"
)

// The shipped alerting rules, their promtool tests and the runbook, relative to this package.
const (
	alertRulesFile = "../deploy/prometheus/audit-alerts.rules.yml"
	alertTestsFile = "../deploy/prometheus/audit-alerts.test.yml"
	runbookFile    = "../docs/runbook.md"
	runbookURL     = "https://github.com/secaudit/otelcol-audit/blob/main/docs/runbook.md#"
)

// A real Prometheus server scrapes a running otelcol-audit with the shipped rules loaded. The
// vendor starts refusing the XSOAR key (the key is rotated at the tenant): the permanent-error
// alert fires for that receiver and no other. A restart with the new key resolves it.
func TestPermanentErrorAlertFiresAndResolves(t *testing.T) {
	const rotatedKey = "rotated-xsoar-key"
	e := newEnv(t, simulator.Options{CyberArkBackfill: 200, XSOARBackfill: 200, BackfillSpan: time.Hour})
	metrics := freePort(t)
	agent := startCollector(t, e.dir, "agent", alertsAgentConfig(e, simulator.DefaultXSOARKey, metrics))
	prom := startPrometheus(t, e.dir, metrics)

	// Healthy: both receivers' status reaches Prometheus as 0, and nothing fires.
	prom.waitFor(t, time.Minute, "both receivers scraped with status 0", func() bool {
		return prom.status(t, "cyberarkisp/tenant-a") == "0" && prom.status(t, "xsoaraudit/tenant-b") == "0"
	})
	require.Empty(t, prom.permanentErrorAlerts(t), "nothing is wrong yet")

	// The tenant stops accepting the key: a simulator on the same address with another key.
	addr := e.sim.Addr()
	refused := time.Now()
	require.NoError(t, e.sim.Close())
	rotated, err := simulator.New(simulator.Options{Listen: addr, XSOARKey: rotatedKey, Seed: 43, XSOARFirstID: 900001})
	require.NoError(t, err)
	_, err = rotated.Start()
	require.NoError(t, err)
	t.Cleanup(func() { _ = rotated.Close() })

	prom.waitFor(t, time.Minute, "AuditReceiverPermanentError firing for xsoaraudit/tenant-b", func() bool {
		for _, a := range prom.permanentErrorAlerts(t) {
			if a.State == "firing" && a.Labels["receiver"] == "xsoaraudit/tenant-b" {
				return true
			}
		}
		return false
	})
	t.Logf("firing %s after the tenant started refusing the key", time.Since(refused).Round(100*time.Millisecond))
	for _, a := range prom.permanentErrorAlerts(t) {
		assert.Equal(t, "xsoaraudit/tenant-b", a.Labels["receiver"], "only the receiver whose key is refused: %+v", a)
		assert.Equal(t, runbookURL+"auditreceiverpermanenterror", a.Annotations["runbook_url"])
		assert.Contains(t, a.Annotations["summary"], "xsoaraudit/tenant-b")
	}
	assert.Contains(t, agent.logs(), "Polling failed; fix the setting named below, then restart the collector",
		"the runbook's log line to look for")

	// Restart with the tenant's new key. The alert must resolve because the new process polls
	// successfully: while the collector is down its series go stale and the alert also leaves,
	// so the resolution only counts once the new process's status 0 is scraped, and it must hold.
	restarted := time.Now()
	agent.stop()
	require.NoError(t, os.WriteFile(agent.cfg, []byte(alertsAgentConfig(e, rotatedKey, metrics)), 0o600))
	agent.start()
	prom.waitFor(t, time.Minute, "xsoaraudit/tenant-b scraped with status 0 after the restart, no alert", func() bool {
		return prom.status(t, "xsoaraudit/tenant-b") == "0" && len(prom.permanentErrorAlerts(t)) == 0
	})
	t.Logf("resolved %s after the restart with the new key began", time.Since(restarted).Round(100*time.Millisecond))
	for range 5 { // several scrape and evaluation intervals
		time.Sleep(time.Second)
		require.Empty(t, prom.permanentErrorAlerts(t), "the alert stays resolved with the good key")
		require.Equal(t, "0", prom.status(t, "xsoaraudit/tenant-b"))
	}
	require.True(t, agent.running(), "agent exited:\n%s", tail(agent.logs()))
}

// Every alert of the shipped rules names its receiver, links to a section of the runbook that
// exists, and has promtool test cases where it fires and where it must not.
func TestAlertRulesHaveRunbookAndTests(t *testing.T) {
	var rules struct {
		Groups []struct {
			Rules []struct {
				Alert       string            `yaml:"alert"`
				Expr        string            `yaml:"expr"`
				Annotations map[string]string `yaml:"annotations"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	readYAML(t, alertRulesFile, &rules)
	var tests struct {
		Tests []struct {
			AlertRuleTest []struct {
				Alertname string           `yaml:"alertname"`
				ExpAlerts []map[string]any `yaml:"exp_alerts"`
			} `yaml:"alert_rule_test"`
		} `yaml:"tests"`
	}
	readYAML(t, alertTestsFile, &tests)
	runbook, err := os.ReadFile(runbookFile)
	require.NoError(t, err)
	anchors := markdownAnchors(string(runbook))

	var names []string
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			require.NotEmpty(t, r.Alert, "every rule is an alert: %q", r.Expr)
			names = append(names, r.Alert)
			link := r.Annotations["runbook_url"]
			require.True(t, strings.HasPrefix(link, runbookURL), "%s: runbook_url %q points into docs/runbook.md", r.Alert, link)
			assert.Contains(t, anchors, strings.TrimPrefix(link, runbookURL), "%s: docs/runbook.md has the section %q links to", r.Alert, link)
			if r.Alert == "AuditCollectorNeverScraped" { // no receiver of it was ever seen: the target is named
				assert.Contains(t, r.Annotations["summary"], "{{ $labels.instance }}", "%s: the summary names the target", r.Alert)
			} else {
				assert.Contains(t, r.Annotations["summary"], "{{ $labels.receiver }}", "%s: the summary names the receiver", r.Alert)
			}
			assert.NotEmpty(t, r.Annotations["description"], r.Alert)
			fires, quiet := false, false
			for _, tc := range tests.Tests {
				for _, a := range tc.AlertRuleTest {
					if a.Alertname == r.Alert {
						fires = fires || len(a.ExpAlerts) > 0
						quiet = quiet || len(a.ExpAlerts) == 0
					}
				}
			}
			assert.True(t, fires, "%s: a promtool case where it fires", r.Alert)
			assert.True(t, quiet, "%s: a promtool case where it does not fire", r.Alert)
		}
	}
	require.Contains(t, names, "AuditReceiverPermanentError")
	for _, n := range names {
		assert.Equal(t, 1, strings.Count(string(runbook), "\n## "+n+"\n"), "docs/runbook.md has one section titled %s", n)
	}
}

func readYAML(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	require.NoError(t, yaml.Unmarshal(b, v), path)
}

// markdownAnchors returns the anchors GitHub gives the headings of a Markdown text: lower case,
// punctuation other than - and _ removed, spaces as -.
func markdownAnchors(md string) []string {
	var out []string
	drop := regexp.MustCompile(`[^\p{L}\p{N} _-]`)
	for line := range strings.SplitSeq(md, "\n") {
		if h := strings.TrimLeft(line, "#"); h != line && strings.HasPrefix(h, " ") {
			out = append(out, strings.ReplaceAll(drop.ReplaceAllString(strings.ToLower(strings.TrimSpace(h)), ""), " ", "-"))
		}
	}
	return out
}

// alertsAgentConfig runs one receiver of each type, under instance names, with the collector's
// metrics served on 127.0.0.1:metrics for Prometheus.
func alertsAgentConfig(e *env, xsoarKey string, metrics int) string {
	return fmt.Sprintf(`
extensions:
  file_storage:
    directory: %[1]s/storage
    create_directory: true
receivers:
  cyberarkisp/tenant-a:
    endpoint: %[2]s
    identity_url: %[2]s
    web_app_id: %[3]s
    client_id: %[4]s
    client_secret: %[5]s
    api_key: %[6]s
    start_time: 3 hours ago
    poll_interval: 1s
    storage: file_storage
    retry_on_failure:
      initial_interval: 100ms
      max_interval: 1s
  xsoaraudit/tenant-b:
    endpoint: %[2]s
    api_key_id: "%[7]s"
    api_key: %[8]s
    start_time: 3 hours ago
    poll_interval: 1s
    settle_delay: 1s
    storage: file_storage
    retry_on_failure:
      initial_interval: 100ms
      max_interval: 1s
exporters:
%[9]s
service:
  extensions: [file_storage]
  telemetry:
    metrics:
      readers:
        - pull:
            exporter:
              prometheus:
                host: 127.0.0.1
                port: %[10]d
  pipelines:
    logs:
      receivers: [cyberarkisp/tenant-a, xsoaraudit/tenant-b]
      exporters: [otlp_http]
`, e.dir, e.sim.URL(), simulator.DefaultWebAppID, simulator.DefaultClientID, simulator.DefaultClientSecret, simulator.DefaultAPIKey,
		simulator.DefaultXSOARKeyID, xsoarKey, e.syncExporter(), metrics)
}

// prometheus is a Prometheus server (Debian's prometheus package) on a loopback port.
type prometheus struct {
	url  string
	log  string
	cmd  *exec.Cmd
	done chan error
}

// startPrometheus runs Prometheus on 127.0.0.1, scraping 127.0.0.1:target every second and
// evaluating the shipped rules every second. The rules are copied with every for: set to 1s so
// that an alert fires within the test; their expressions are the shipped ones, byte for byte.
// Prometheus is stopped when the test ends.
func startPrometheus(t *testing.T, dir string, target int) *prometheus {
	t.Helper()
	return startPrometheusAt(t, dir, fmt.Sprintf("127.0.0.1:%d", target))
}

// startPrometheusAt is startPrometheus scraping target, a host:port.
func startPrometheusAt(t *testing.T, dir, target string) *prometheus {
	t.Helper()
	bin, err := exec.LookPath("prometheus")
	require.NoError(t, err, "the prometheus server is missing: `make alerts-test` installs Debian's prometheus package")
	rules, err := os.ReadFile(alertRulesFile)
	require.NoError(t, err)
	forLine := regexp.MustCompile(`(?m)^(\s+for:) \S+$`)
	require.True(t, forLine.Match(rules), "the shipped rules hold for: durations")
	rulesCopy := filepath.Join(dir, "audit-alerts.rules.yml")
	require.NoError(t, os.WriteFile(rulesCopy, forLine.ReplaceAll(rules, []byte("$1 1s")), 0o600))

	port := freePort(t)
	cfg := filepath.Join(dir, "prometheus.yml")
	require.NoError(t, os.WriteFile(cfg, fmt.Appendf(nil, `
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
rule_files: [%q]
scrape_configs:
  - job_name: otelcol-audit
    static_configs:
      - targets: [%q]
`, rulesCopy, target), 0o600))
	p := &prometheus{url: fmt.Sprintf("http://127.0.0.1:%d", port), log: filepath.Join(dir, "prometheus.log"), done: make(chan error, 1)}
	logFile, err := os.Create(p.log)
	require.NoError(t, err)
	p.cmd = exec.Command(bin, "--config.file="+cfg, "--storage.tsdb.path="+filepath.Join(dir, "prometheus-data"),
		fmt.Sprintf("--web.listen-address=127.0.0.1:%d", port), "--log.level=warn")
	p.cmd.Stdout, p.cmd.Stderr = logFile, logFile
	require.NoError(t, p.cmd.Start())
	go func() {
		p.done <- p.cmd.Wait()
		logFile.Close()
	}()
	t.Cleanup(p.stop)
	p.waitFor(t, 30*time.Second, "Prometheus ready", func() bool {
		resp, err := http.Get(p.url + "/-/ready")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	return p
}

// stop ends Prometheus with SIGTERM, and kills it if it has not stopped within 10 s.
func (p *prometheus) stop() {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

func (p *prometheus) waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		select {
		case err := <-p.done:
			p.done <- err
			b, _ := os.ReadFile(p.log)
			t.Fatalf("prometheus exited (%v) while waiting for %s:\n%s", err, what, tail(string(b)))
		default:
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(p.log)
			t.Fatalf("no %s within %s; alerts: %+v\nprometheus log:\n%s", what, timeout, p.alerts(t), tail(string(b)))
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// get decodes the data member of a Prometheus HTTP API answer.
func (p *prometheus) get(t *testing.T, path string, data any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.url+path, http.NoBody)
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var body struct {
		Status string          `json:"status"`
		Data   json.RawMessage `json:"data"`
		Error  string          `json:"error"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
	require.Equal(t, "success", body.Status, "%s: %s", path, body.Error)
	require.NoError(t, json.Unmarshal(body.Data, data))
}

type promAlert struct {
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
	State       string            `json:"state"` // pending or firing; resolved alerts are not listed
}

func (p *prometheus) alerts(t *testing.T) []promAlert {
	t.Helper()
	var data struct {
		Alerts []promAlert `json:"alerts"`
	}
	p.get(t, "/api/v1/alerts", &data)
	return data.Alerts
}

func (p *prometheus) permanentErrorAlerts(t *testing.T) []promAlert {
	t.Helper()
	return slices.DeleteFunc(p.alerts(t), func(a promAlert) bool { return a.Labels["alertname"] != "AuditReceiverPermanentError" })
}

// status is the receiver's status gauge as Prometheus has it now, "" when it has none.
func (p *prometheus) status(t *testing.T, receiver string) string {
	t.Helper()
	kind, _, _ := strings.Cut(receiver, "/")
	var data struct {
		Result []struct {
			Value [2]any `json:"value"`
		} `json:"result"`
	}
	p.get(t, "/api/v1/query?query="+url.QueryEscape(fmt.Sprintf(`otelcol_%s_status{receiver=%q}`, kind, receiver)), &data)
	if len(data.Result) != 1 {
		return ""
	}
	v, _ := data.Result[0].Value[1].(string)
	return v
}

// The vendor's clock runs two minutes ahead of the collector's: both receivers export the skew,
// a real Prometheus scrapes it, and the shipped rule fires for each of them.
func TestVendorClockSkewAlertFires(t *testing.T) {
	const skew = 2 * time.Minute
	e := newEnv(t, simulator.Options{CyberArkBackfill: 100, XSOARBackfill: 100, BackfillSpan: time.Hour,
		Now: func() time.Time { return time.Now().Add(skew) }})
	metrics := freePort(t)
	agent := startCollector(t, e.dir, "agent", alertsAgentConfig(e, simulator.DefaultXSOARKey, metrics))
	prom := startPrometheus(t, e.dir, metrics)
	firing := func(receiver string) bool {
		for _, a := range prom.alerts(t) {
			if a.Labels["alertname"] == "AuditVendorClockSkewed" && a.State == "firing" && a.Labels["receiver"] == receiver {
				return true
			}
		}
		return false
	}
	prom.waitFor(t, time.Minute, "AuditVendorClockSkewed firing for both receivers", func() bool {
		return firing("cyberarkisp/tenant-a") && firing("xsoaraudit/tenant-b")
	})
	var data struct {
		Result []struct {
			Value [2]any `json:"value"`
		} `json:"result"`
	}
	prom.get(t, "/api/v1/query?query="+url.QueryEscape(`otelcol_cyberarkisp_vendor_clock_skew`), &data)
	require.Len(t, data.Result, 1)
	assert.Contains(t, []string{"119", "120"}, data.Result[0].Value[1], "seconds the vendor is ahead")
	assert.Contains(t, agent.logs(), "The vendor's clock differs from ours")
}
