//go:build e2e

package e2e

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/secaudit/otelcol-audit/internal/testsupport/logtest"
	"github.com/secaudit/otelcol-audit/internal/testsupport/simulator"
)

// freePort returns a loopback port nothing listens on.
func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// collector is one otelcol-audit process.
type collector struct {
	t    testing.TB
	name string
	cfg  string
	log  string
	cmd  *exec.Cmd
	// env is added to the test's environment: what the configuration reads with ${env:...}.
	env []string
	// overrides are more --config sources, merged over cfg.
	overrides []string
	done      chan error
	// exited is the state of the last process that ended: its rusage gives peak RSS and CPU time.
	exited *os.ProcessState
}

// startCollector writes cfg to a file and runs the built binary on it.
func startCollector(t testing.TB, dir, name, cfg string) *collector {
	t.Helper()
	c := &collector{t: t, name: name, cfg: filepath.Join(dir, name+".yaml"), log: filepath.Join(dir, name+".log")}
	require.NoError(t, os.WriteFile(c.cfg, []byte(cfg), 0o600))
	c.start()
	t.Cleanup(func() { c.stop() })
	return c
}

func (c *collector) start() {
	c.t.Helper()
	logFile, err := os.OpenFile(c.log, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	require.NoError(c.t, err)
	args := []string{"--config", c.cfg}
	for _, o := range c.overrides {
		args = append(args, "--config", o)
	}
	c.cmd = exec.Command(collectorBin(c.t), args...)
	c.cmd.Stdout, c.cmd.Stderr = logFile, logFile
	if c.env != nil {
		c.cmd.Env = append(os.Environ(), c.env...)
	}
	require.NoError(c.t, c.cmd.Start())
	c.done = make(chan error, 1)
	cmd := c.cmd
	go func() {
		err := cmd.Wait()
		logFile.Close()
		c.exited = cmd.ProcessState
		c.done <- err
	}()
}

func (c *collector) running() bool {
	select {
	case err := <-c.done:
		c.done <- err
		return false
	default:
		return true
	}
}

// kill ends the process at once, as a crash or an OOM kill would.
func (c *collector) kill() {
	if c.cmd != nil && c.running() {
		_ = c.cmd.Process.Signal(syscall.SIGKILL)
		<-c.done
	}
	c.cmd = nil
}

// stop asks the process to shut down cleanly, and kills it if it does not within 20 s.
func (c *collector) stop() {
	if c.cmd == nil || !c.running() {
		c.cmd = nil
		return
	}
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.done:
	case <-time.After(20 * time.Second):
		c.t.Errorf("%s did not stop within 20s of SIGTERM", c.name)
		c.kill()
	}
	c.cmd = nil
}

func (c *collector) logs() string {
	b, _ := os.ReadFile(c.log)
	return string(b)
}

// received reads the file exporter's output: the log.record.uid of every record, by stream
// (streamOf: the receiver type, and xsoaraudit/agents for the agents' reports).
func received(t testing.TB, path string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return out
	}
	require.NoError(t, err)
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<20)
	var u plog.JSONUnmarshaler
	for {
		line, err := r.ReadBytes('\n')
		if errors.Is(err, io.EOF) {
			break // a line without its newline is still being written
		}
		require.NoError(t, err)
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		ld, err := u.UnmarshalLogs(line)
		require.NoError(t, err, "the file exporter wrote a line that is not OTLP JSON")
		logtest.Each(ld, func(_ pcommon.Resource, scope pcommon.InstrumentationScope, lr plog.LogRecord) {
			kind := streamOf(scope.Name(), lr)
			out[kind] = append(out[kind], logtest.UID(lr))
		})
	}
	return out
}

// agentsStream keys the agents' audit reports, which xsoaraudit reads with the scope of its
// management log: the instance that reads them in agentConfig has this ID.
const agentsStream = "xsoaraudit/agents"

// streamOf is the stream a record belongs to: its receiver type, from the scope name, and for
// xsoaraudit the agents' reports apart, by their event names.
func streamOf(scope string, lr plog.LogRecord) string {
	kind := receiverOf(scope)
	if kind == "xsoaraudit" && strings.HasPrefix(lr.EventName(), "cortex.agent_report") {
		return agentsStream
	}
	return kind
}

func receiverOf(scope string) string {
	switch {
	case strings.Contains(scope, "cyberarkisp"):
		return "cyberarkisp"
	case strings.Contains(scope, "xsoaraudit"):
		return "xsoaraudit"
	}
	return scope
}

// delivery compares what arrived with the simulator's ground truth.
type delivery struct {
	want, got, missing, dups int
}

func (d delivery) String() string {
	return fmt.Sprintf("%d of %d records, %d missing, %d duplicates", d.got, d.want, d.missing, d.dups)
}

func compare(truth, got []string) delivery {
	seen := make(map[string]bool, len(got))
	for _, id := range got {
		seen[id] = true
	}
	d := delivery{want: len(truth), got: len(seen), dups: len(logtest.Duplicates(got))}
	for _, id := range truth {
		if !seen[id] {
			d.missing++
		}
	}
	return d
}

// env is one end-to-end set-up: the simulator, a backend collector that writes what it receives
// to a file, and the collector under test, which runs both receivers and exports to the backend.
type env struct {
	t       *testing.T
	dir     string
	sim     *simulator.Simulator
	backend *collector
	out     string
	otlp    int
	// agents adds a third receiver, xsoaraudit/agents, that reads the agents' audit reports of
	// the same tenant, to agentConfig and to the comparison with the ground truth.
	agents bool
}

// agentConfig renders the config of the collector under test. extra is appended to every receiver.
func (e *env) agentConfig(exporter, extra string) string {
	receivers := "cyberarkisp, xsoaraudit"
	agents := ""
	if e.agents {
		receivers += ", " + agentsStream
		agents = fmt.Sprintf(`
  %[1]s:
    log_type: agents_reports
    product: xsiam
    endpoint: %[2]s
    api_key_id: "%[3]s"
    api_key: %[4]s
    start_time: 3 hours ago
    poll_interval: 1s
    settle_delay: 1s
    requests_per_second: 9
    storage: file_storage
    retry_on_failure:
      initial_interval: 100ms
      max_interval: 1s
%[5]s`, agentsStream, e.sim.URL(), simulator.DefaultXSOARKeyID, simulator.DefaultXSOARKey, extra)
	}
	return fmt.Sprintf(`
extensions:
  file_storage:
    directory: %[1]s/storage
    create_directory: true
    fsync: true
receivers:
  cyberarkisp:
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
%[10]s
  xsoaraudit:
    endpoint: %[2]s
    api_key_id: "%[7]s"
    api_key: %[8]s
    security_level: advanced
    start_time: 3 hours ago
    poll_interval: 1s
    settle_delay: 1s
    requests_per_second: 9
    storage: file_storage
    retry_on_failure:
      initial_interval: 100ms
      max_interval: 1s
%[10]s%[11]s
exporters:
%[9]s
service:
  extensions: [file_storage]
  telemetry:
    metrics:
      level: none
  pipelines:
    logs:
      receivers: [%[12]s]
      exporters: [otlp_http]
`, e.dir, e.sim.URL(), simulator.DefaultWebAppID, simulator.DefaultClientID, simulator.DefaultClientSecret, simulator.DefaultAPIKey,
		simulator.DefaultXSOARKeyID, simulator.DefaultXSOARKey, exporter, extra, agents, receivers)
}

// syncExporter sends each page to the backend inside ConsumeLogs: the checkpoint moves only
// once the backend has the records.
func (e *env) syncExporter() string {
	return fmt.Sprintf(`  otlp_http:
    endpoint: http://127.0.0.1:%d
    sending_queue:
      enabled: false
    retry_on_failure:
      enabled: false`, e.otlp)
}

func newEnv(t *testing.T, opts simulator.Options) *env {
	t.Helper()
	e := &env{t: t, dir: t.TempDir(), otlp: freePort(t)}
	if opts.Seed == 0 {
		opts.Seed = 42
	}
	sim, err := simulator.New(opts)
	require.NoError(t, err)
	_, err = sim.Start()
	require.NoError(t, err)
	t.Cleanup(func() { _ = sim.Close() })
	e.sim = sim
	e.out = filepath.Join(e.dir, "received.jsonl")
	e.backend = startCollector(t, e.dir, "backend", fmt.Sprintf(`
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:%d
exporters:
  file:
    path: %s
    append: true # the backend restarts in the outage test
    flush_interval: 100ms
service:
  telemetry:
    metrics:
      level: none
  pipelines:
    logs:
      receivers: [otlp]
      exporters: [file]
`, e.otlp, e.out))
	return e
}

// waitExactlyOnce waits until every record the simulator holds arrived, then checks that none
// arrived twice. It returns the final comparison per receiver.
func (e *env) waitExactlyOnce(timeout time.Duration, agents ...*collector) map[string]delivery {
	return e.waitExactlyOnceUntil(time.Now(), timeout, agents...)
}

// waitExactlyOnceUntil is waitExactlyOnce for the records whose event time is at or before
// cutoff: the simulator may keep generating records after it.
func (e *env) waitExactlyOnceUntil(cutoff time.Time, timeout time.Duration, agents ...*collector) map[string]delivery {
	e.t.Helper()
	got := e.waitAllArrived(cutoff, timeout, agents...)
	for kind, d := range got {
		require.Zero(e.t, d.dups, "%s: %v", kind, d)
	}
	return got
}

// waitAllArrived waits until every record up to cutoff arrived, checks that none is missing,
// and returns the final comparison per receiver, duplicates included.
func (e *env) waitAllArrived(cutoff time.Time, timeout time.Duration, agents ...*collector) map[string]delivery {
	e.t.Helper()
	truth := map[string][]string{}
	var last map[string]delivery
	deadline := time.Now().Add(timeout)
	for {
		for kind, v := range e.streams() {
			ids, err := e.sim.IDsBetween(v, time.Time{}, cutoff)
			require.NoError(e.t, err)
			truth[kind] = ids
		}
		got := received(e.t, e.out)
		last = map[string]delivery{}
		done := true
		for kind := range truth {
			d := compare(truth[kind], got[kind])
			last[kind] = d
			done = done && d.missing == 0
		}
		if done {
			break
		}
		for _, a := range agents {
			require.True(e.t, a.running(), "%s exited:\n%s", a.name, tail(a.logs()))
		}
		if time.Now().After(deadline) {
			for kind := range truth {
				e.t.Logf("%s missing: %v", kind, missingIDs(truth[kind], got[kind]))
			}
			e.t.Fatalf("not everything arrived in %s: %v\nagent log:\n%s", timeout, last, tail(agentLogs(agents)))
		}
		time.Sleep(200 * time.Millisecond)
	}
	time.Sleep(1500 * time.Millisecond) // anything that would arrive twice arrives now
	got := received(e.t, e.out)
	for kind := range truth {
		d := compare(truth[kind], got[kind])
		if d.missing > 0 {
			e.t.Logf("%s missing: %v", kind, missingIDs(truth[kind], got[kind]))
		}
		last[kind] = d
		require.Zero(e.t, d.missing, "%s: %v", kind, d)
	}
	return last
}

// streams are the record feeds compared with the ground truth, by stream name.
func (e *env) streams() map[string]simulator.Vendor {
	m := map[string]simulator.Vendor{"cyberarkisp": simulator.CyberArk, "xsoaraudit": simulator.XSOAR}
	if e.agents {
		m[agentsStream] = simulator.XSOARAgents
	}
	return m
}

func missingIDs(truth, got []string) []string {
	seen := map[string]bool{}
	for _, id := range got {
		seen[id] = true
	}
	var out []string
	for _, id := range truth {
		if !seen[id] && len(out) < 50 {
			out = append(out, id)
		}
	}
	return out
}

func agentLogs(agents []*collector) string {
	var b strings.Builder
	for _, a := range agents {
		b.WriteString(a.logs())
	}
	return b.String()
}

func tail(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > 40 {
		lines = lines[len(lines)-40:]
	}
	return strings.Join(lines, "\n")
}
