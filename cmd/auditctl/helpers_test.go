package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/secaudit/otelcol-audit/internal/testsupport/logtest"
	"github.com/secaudit/otelcol-audit/internal/testsupport/simulator"
)

// fixture is a simulator of both APIs whose clock stands still, and the same clock for run, so
// that "3 days ago" means the same instant to auditctl and to the simulator's ground truth.
// The clock is a minute behind the real one: the xsoaraudit source bounds its queries by the
// real clock minus settle_delay, which then lies after every record.
type fixture struct {
	sim *simulator.Simulator
	url string
	now time.Time
	dir string
}

func newFixture(t *testing.T, opts simulator.Options) *fixture {
	t.Helper()
	now := time.Now().Add(-time.Minute).Truncate(time.Second).UTC()
	opts.Now = func() time.Time { return now }
	if opts.Seed == 0 {
		opts.Seed = 11
	}
	sim, err := simulator.New(opts)
	require.NoError(t, err)
	url, err := sim.Start()
	require.NoError(t, err)
	t.Cleanup(func() { _ = sim.Close() })
	return &fixture{sim: sim, url: url, now: now, dir: t.TempDir()}
}

// backfilled is a fixture with 120 records per vendor spread over the two days before now.
func backfilled(t *testing.T) *fixture {
	t.Helper()
	return newFixture(t, simulator.Options{CyberArkBackfill: 120, XSOARBackfill: 120, BackfillSpan: 48 * time.Hour})
}

// cyberark is a cyberarkisp receiver section for the simulator; extra lines override keys.
func (f *fixture) cyberark(name string, extra ...string) string {
	return section("cyberarkisp"+name, append([]string{
		"endpoint: " + f.url,
		"identity_url: " + f.url,
		"web_app_id: " + simulator.DefaultWebAppID,
		"client_id: " + simulator.DefaultClientID,
		"client_secret: " + simulator.DefaultClientSecret,
		"api_key: " + simulator.DefaultAPIKey,
		"storage: file_storage",
	}, extra...))
}

// xsoar is an xsoaraudit receiver section for the simulator; extra lines override keys.
func (f *fixture) xsoar(name string, extra ...string) string {
	return section("xsoaraudit"+name, append([]string{
		"endpoint: " + f.url,
		`api_key_id: "` + simulator.DefaultXSOARKeyID + `"`,
		"api_key: " + simulator.DefaultXSOARKey,
		"storage: file_storage",
	}, extra...))
}

// section renders one receiver; a later line for the same key replaces the earlier one.
func section(id string, lines []string) string {
	var keys []string
	values := map[string]string{}
	for _, l := range lines {
		k, _, _ := strings.Cut(l, ":")
		if _, ok := values[k]; !ok {
			keys = append(keys, k)
		}
		values[k] = l
	}
	var b strings.Builder
	fmt.Fprintf(&b, "  %s:\n", id)
	for _, k := range keys {
		for _, l := range strings.Split(values[k], "\n") {
			fmt.Fprintf(&b, "    %s\n", l)
		}
	}
	return b.String()
}

// config writes a collector configuration with these receiver sections, a file_storage
// extension that auditctl must leave alone, and a pipeline, and returns its path.
func (f *fixture) config(t *testing.T, receivers ...string) string {
	t.Helper()
	// create_directory: the collector (and check) would refuse a directory that does not exist.
	yaml := "extensions:\n  file_storage:\n    directory: " + f.storageDir() + "\n    create_directory: true\n" +
		"receivers:\n" + strings.Join(receivers, "") +
		"  otlp:\n    protocols:\n      http:\n" +
		"exporters:\n  debug:\n" +
		"service:\n  extensions: [file_storage]\n  pipelines:\n    logs:\n      receivers: [otlp]\n      exporters: [debug]\n"
	path := filepath.Join(f.dir, fmt.Sprintf("collector-%d.yaml", time.Now().UnixNano()))
	require.NoError(t, os.WriteFile(path, []byte(yaml), 0o600))
	return path
}

func (f *fixture) storageDir() string { return filepath.Join(f.dir, "storage") }

// result is what one auditctl run printed.
type result struct {
	code           int
	stdout, stderr string
}

// run runs auditctl in-process with the fixture's clock.
func (f *fixture) run(t *testing.T, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	code := run(args, &out, &errOut, environment{ctx: ctx, now: func() time.Time { return f.now }})
	return result{code: code, stdout: out.String(), stderr: errOut.String()}
}

// uids lists the log.record.uid of every record, in order.
func uids(t *testing.T, logs plog.Logs) []string {
	t.Helper()
	out := logtest.UIDs(logs)
	require.NotContains(t, out, "", "every record has a log.record.uid")
	return out
}

// otlp decodes the otlp-json output of get-events.
func otlp(t *testing.T, stdout string) plog.Logs {
	t.Helper()
	logs, err := (&plog.JSONUnmarshaler{}).UnmarshalLogs([]byte(stdout))
	require.NoError(t, err, stdout)
	return logs
}

// window is the simulator's ground truth for [from, to].
func (f *fixture) window(t *testing.T, v simulator.Vendor, from, to time.Time) []string {
	t.Helper()
	ids, err := f.sim.IDsBetween(v, from, to)
	require.NoError(t, err)
	return ids
}

// receiverCases are the two receivers, for tests that run against each.
var receiverCases = []struct {
	name   string
	vendor simulator.Vendor
	conf   func(f *fixture, name string, extra ...string) string
}{
	{"cyberarkisp", simulator.CyberArk, (*fixture).cyberark},
	{"xsoaraudit", simulator.XSOAR, (*fixture).xsoar},
}
