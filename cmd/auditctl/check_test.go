package main

import (
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"

	"github.com/secaudit/otelcol-audit/internal/testsupport/simulator"
)

// probeJSON is one receiver in check's JSON report.
type probeJSON struct {
	Receiver string `json:"receiver"`
	OK       bool   `json:"ok"`
	Records  int    `json:"records"`
	Group    group  `json:"group"`
	Error    string `json:"error"`
	Hint     string `json:"hint"`
}

// checkJSON runs check --output json and returns its report by receiver.
func checkJSON(t *testing.T, f *fixture, path string, args ...string) (int, map[string]probeJSON, result) {
	t.Helper()
	r := f.run(t, append([]string{"check", "--config", path, "--output", "json", "--max-retry-time", "0"}, args...)...)
	var report struct {
		OK        bool        `json:"ok"`
		Receivers []probeJSON `json:"receivers"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &report), "stdout: %s\nstderr: %s", r.stdout, r.stderr)
	assert.Equal(t, r.code == 0, report.OK)
	out := map[string]probeJSON{}
	for _, p := range report.Receivers {
		out[p.Receiver] = p
	}
	return r.code, out, r
}

// recent adds n records per vendor ten minutes before now, inside check's default hour.
func recent(t *testing.T, f *fixture, n int) {
	t.Helper()
	for _, v := range []simulator.Vendor{simulator.CyberArk, simulator.XSOAR} {
		_, err := f.sim.AddRecords(simulator.RecordsRequest{Vendor: v, Count: n, At: f.now.Add(-10 * time.Minute)})
		require.NoError(t, err)
	}
}

func TestCheckOK(t *testing.T) {
	f := backfilled(t)
	recent(t, f, 3)
	path := f.config(t, f.cyberark(""), f.xsoar("/prod"))
	r := f.run(t, "check", "--config", path)
	require.Equal(t, 0, r.code, r.stdout+r.stderr)
	hourAgo := stamp(f.now.Add(-time.Hour))
	for _, rc := range []struct{ id, vendor string }{{"cyberarkisp", "cyberark"}, {"xsoaraudit/prod", "xsoar"}} {
		n := len(f.window(t, simulator.Vendor(rc.vendor), f.now.Add(-time.Hour), f.now))
		require.GreaterOrEqual(t, n, 3)
		assert.Regexp(t, `(?m)^`+rc.id+`\s+OK\s+credentials accepted; first page since `+hourAgo+`: `+records(n)+`$`, r.stdout)
	}
	assert.Contains(t, r.stdout, "all 2 receivers OK")
}

func TestCheckCountsOnlyTheFirstPage(t *testing.T) {
	f := newFixture(t, simulator.Options{})
	recent(t, f, 12)
	code, report, _ := checkJSON(t, f, f.config(t, f.xsoar("", "page_size: 5")))
	require.Equal(t, 0, code)
	assert.Equal(t, 5, report["xsoaraudit"].Records, "one page of page_size records out of 12")
}

func TestCheckFailureClasses(t *testing.T) {
	f := backfilled(t)
	recent(t, f, 2)
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	wrongPort := "http://" + closed.Addr().String()
	require.NoError(t, closed.Close()) // nothing listens there any more: connection refused

	path := f.config(t,
		f.cyberark("/ok"),
		f.cyberark("/wrongsecret", "client_secret: not-the-secret-0001"),
		f.cyberark("/wrongkey", "api_key: not-the-api-key-0002"),
		f.cyberark("/wrongapp", "web_app_id: OtelAudit"),
		f.cyberark("/wrongport", "endpoint: "+wrongPort, "identity_url: "+wrongPort),
		f.cyberark("/badconfig", "page_size: 1000"),
		f.xsoar("/ok"),
		f.xsoar("/wrongkey", "api_key: not-the-xsoar-key-0003"),
		f.xsoar("/wronglevel", "security_level: standard"),
		f.xsoar("/wrongport", "endpoint: "+wrongPort),
		f.xsoar("/wrongpath", "path: /xsoar/public/v1/audits/management_logs"),
	)
	code, report, r := checkJSON(t, f, path)
	assert.Equal(t, 1, code)
	for id, want := range map[string]struct {
		group group
		says  string // the receiver's own words, kept as they are
	}{
		"cyberarkisp/wrongsecret": {groupAuth, "CyberArk Identity refused the token request (HTTP 401: invalid_client"},
		"cyberarkisp/wrongkey":    {groupAuth, "the Audit API refused the API key (createQuery: HTTP 403 Forbidden"},
		"cyberarkisp/wrongapp":    {groupAuth, "check web_app_id: it must equal the Application ID"},
		"cyberarkisp/wrongport":   {groupConn, "connection refused"},
		"cyberarkisp/badconfig":   {groupConfig, "invalid configuration: receivers::cyberarkisp/badconfig: page_size must be between 1 and 500, got 1000"},
		"xsoaraudit/wrongkey":     {groupAuth, `HTTP 401 Unauthorized ("Public API request unauthorized"): the API refused the credentials`},
		"xsoaraudit/wronglevel":   {groupAuth, `that security_level ("standard") matches`},
		"xsoaraudit/wrongport":    {groupConn, "connection refused"},
		"xsoaraudit/wrongpath":    {groupConn, "HTTP 500 Internal Server Error"},
	} {
		p, ok := report[id]
		require.True(t, ok, id)
		assert.False(t, p.OK, id)
		require.NotEmpty(t, p.Group, id)
		assert.Equal(t, want.group, p.Group, "%s: %s", id, p.Error)
		assert.Contains(t, p.Error, want.says, id)
		assert.Equal(t, kinds[componentType(id)].hint(want.group), p.Hint, id)
	}
	for _, id := range []string{"cyberarkisp/ok", "xsoaraudit/ok"} {
		assert.True(t, report[id].OK, "%s beside failing receivers: %+v", id, report[id])
	}
	assert.Empty(t, r.stderr)
}

func componentType(id string) (typ component.Type) {
	name, _, _ := strings.Cut(id, "/")
	for k := range kinds {
		if k.String() == name {
			return k
		}
	}
	return
}

func TestCheckXSOARLicenceAndPermissionFaults(t *testing.T) {
	for kind, status := range map[simulator.FaultKind]string{simulator.FaultLicense: "HTTP 402 Payment Required", simulator.FaultForbidden: "HTTP 403 Forbidden"} {
		t.Run(string(kind), func(t *testing.T) {
			f := newFixture(t, simulator.Options{})
			recent(t, f, 1)
			_, err := f.sim.InjectFault(simulator.Fault{Kind: kind, Vendor: simulator.XSOAR})
			require.NoError(t, err)
			code, report, _ := checkJSON(t, f, f.config(t, f.xsoar("")))
			assert.Equal(t, 1, code)
			p := report["xsoaraudit"]
			require.NotEmpty(t, p.Group)
			assert.Equal(t, groupAuth, p.Group)
			assert.Contains(t, p.Error, status)
		})
	}
}

func TestCheckProxyPageIsAConnectionFailure(t *testing.T) {
	for _, rc := range receiverCases {
		t.Run(rc.name, func(t *testing.T) {
			f := newFixture(t, simulator.Options{})
			recent(t, f, 1)
			_, err := f.sim.InjectFault(simulator.Fault{Kind: simulator.FaultHTML, Vendor: rc.vendor})
			require.NoError(t, err)
			code, report, _ := checkJSON(t, f, f.config(t, rc.conf(f, "")))
			assert.Equal(t, 1, code)
			p := report[rc.name]
			require.NotEmpty(t, p.Group)
			assert.Equal(t, groupConn, p.Group, p.Error)
			assert.Contains(t, p.Error, "HTML")
		})
	}
}

func TestCheckEmptyHourIsMissingData(t *testing.T) {
	f := newFixture(t, simulator.Options{})
	for _, v := range []simulator.Vendor{simulator.CyberArk, simulator.XSOAR} {
		_, err := f.sim.AddRecords(simulator.RecordsRequest{Vendor: v, Count: 2, At: f.now.Add(-2 * time.Hour)})
		require.NoError(t, err)
	}
	path := f.config(t, f.cyberark(""), f.xsoar(""))
	code, report, _ := checkJSON(t, f, path)
	assert.Equal(t, 1, code)
	for _, rc := range receiverCases {
		p := report[rc.name]
		require.NotEmpty(t, p.Group, rc.name)
		assert.Equal(t, groupMissing, p.Group)
		assert.Contains(t, p.Error, "returned no records between "+stamp(f.now.Add(-time.Hour))+" and "+stamp(f.now))
		assert.Equal(t, kinds[componentType(rc.name)].hints[groupMissing], p.Hint)
	}

	code, report, _ = checkJSON(t, f, path, "--from", "3 hours ago")
	assert.Equal(t, 0, code, "a wider --from finds the records: %+v", report)

	r := f.run(t, "check", "--config", path)
	assert.Equal(t, 1, r.code)
	assert.Regexp(t, `(?m)^xsoaraudit\s+FAIL\s+missing data$`, r.stdout)
	assert.Contains(t, r.stdout, "hint:  The credentials work but nothing was logged in the window")
	assert.Contains(t, r.stdout, "2 of 2 receivers failed")
}

func TestCheckWithoutAuditReceivers(t *testing.T) {
	f := newFixture(t, simulator.Options{})
	path := f.config(t)
	r := f.run(t, "check", "--config", path)
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "configuration failure")
	assert.Contains(t, r.stderr, "has no cyberarkisp or xsoaraudit receiver")

	r = f.run(t, "check", "--config", f.dir+"/missing.yaml")
	assert.Equal(t, exitUsage, r.code, "a --config that cannot be read is a command-line mistake")
	assert.Contains(t, r.stderr, "no such file or directory")
	assert.NotContains(t, r.stderr, "in the collector configuration")
}

// check refuses, with the collector's own message and before any credential is tried, what the
// collector refuses at start.
func TestCheckRefusesWhatTheCollectorRefuses(t *testing.T) {
	f := newFixture(t, simulator.Options{})
	valid := f.config(t, f.xsoar(""))
	raw, err := os.ReadFile(valid)
	require.NoError(t, err)
	for name, tc := range map[string]struct{ from, to, want string }{
		"misspelled receiver type": {"  xsoaraudit:\n", "  xsoaraudt:\n", `'receivers' unknown type: "xsoaraudt" for id: "xsoaraudt"`},
		"pipeline names an unconfigured receiver": {"receivers: [otlp]", "receivers: [otlp, cyberarkisp]",
			`service::pipelines::logs: references receiver "cyberarkisp" which is not configured`},
		"storage names a missing extension": {"receivers: [otlp]\n", "receivers: [otlp, xsoaraudit]\n",
			`receivers::xsoaraudit::storage: extension "file_storage/typo" is not configured`},
	} {
		t.Run(name, func(t *testing.T) {
			yaml := strings.Replace(string(raw), tc.from, tc.to, 1)
			if strings.Contains(name, "storage") {
				yaml = strings.Replace(yaml, "    storage: file_storage\n", "    storage: file_storage/typo\n", 1)
			}
			path := filepath.Join(f.dir, strings.ReplaceAll(name, " ", "-")+".yaml")
			require.NoError(t, os.WriteFile(path, []byte(yaml), 0o600))
			r := f.run(t, "check", "--config", path)
			assert.Equal(t, exitFailed, r.code)
			assert.Contains(t, r.stderr, tc.want)
			assert.NotContains(t, r.stdout, "OK")
		})
	}
}

func TestCheckAClientThatNeedsACollector(t *testing.T) {
	f := newFixture(t, simulator.Options{})
	path := f.config(t, f.xsoar("", "auth:\n  authenticator: bearertokenauth"))
	code, report, _ := checkJSON(t, f, path)
	assert.Equal(t, 1, code)
	p := report["xsoaraudit"]
	assert.Equal(t, groupConfig, p.Group)
	assert.Contains(t, p.Error, "creating HTTP client: ")
	assert.Equal(t, clientHint, p.Hint)
}

// As the collector does, auditctl warns about an environment variable the configuration
// references but the environment lacks: it expands to nothing.
func TestUnsetEnvironmentVariableIsWarnedAbout(t *testing.T) {
	f := newFixture(t, simulator.Options{})
	path := f.config(t, f.xsoar("", "api_key: ${env:AUDITCTL_TEST_NEVER_SET}"))
	r := f.run(t, "check", "--config", path)
	assert.Equal(t, exitFailed, r.code)
	assert.Contains(t, r.stderr, "Configuration references unset environment variable")
	assert.Contains(t, r.stderr, "AUDITCTL_TEST_NEVER_SET")
}
