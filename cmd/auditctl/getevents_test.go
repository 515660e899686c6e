package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"

	"github.com/secaudit/otelcol-audit/cmd/auditctl/internal/fetch"
	"github.com/secaudit/otelcol-audit/internal/poller"
	"github.com/secaudit/otelcol-audit/internal/testsupport/logtest"
	"github.com/secaudit/otelcol-audit/internal/testsupport/simulator"
)

// receiverOutput runs the receiver itself (the poller, no storage) from start_time until it has
// delivered n records, and returns them.
func receiverOutput(t *testing.T, configPath string, id component.ID, n int) plog.Logs {
	t.Helper()
	conf, err := loadConfig(context.Background(), []string{configPath})
	require.NoError(t, err)
	sub, err := conf.Sub("receivers::" + id.String())
	require.NoError(t, err)
	k := kinds[id.Type()]
	cfg := k.factory.CreateDefaultConfig()
	require.NoError(t, sub.Unmarshal(&cfg))
	cfg.(poller.Configured).PollSettings().StorageID = nil // no checkpoint for this run
	sink := &consumertest.LogsSink{}
	rcv, err := k.factory.CreateLogs(context.Background(), fetch.Settings(id, nil, version), cfg, sink)
	require.NoError(t, err)
	require.NoError(t, rcv.Start(context.Background(), componenttest.NewNopHost()))
	defer func() { require.NoError(t, rcv.Shutdown(context.Background())) }()
	require.Eventually(t, func() bool { return sink.LogRecordCount() >= n }, 20*time.Second, 10*time.Millisecond)
	all := plog.NewLogs()
	for _, l := range sink.AllLogs() {
		for i := 0; i < l.ResourceLogs().Len(); i++ { // copied: the poller delivers read-only logs
			l.ResourceLogs().At(i).CopyTo(all.ResourceLogs().AppendEmpty())
		}
	}
	return all
}

// byUID indexes records by log.record.uid, with their resource and scope.
type located struct {
	res   map[string]any
	scope string
	lr    plog.LogRecord
}

func byUID(logs plog.Logs) map[string]located {
	out := map[string]located{}
	logtest.Each(logs, func(res pcommon.Resource, scope pcommon.InstrumentationScope, lr plog.LogRecord) {
		out[logtest.UID(lr)] = located{res.Attributes().AsRaw(), scope.Name() + "@" + scope.Version(), lr}
	})
	return out
}

func TestGetEventsPrintsTheRecordsTheReceiverDelivers(t *testing.T) {
	f := backfilled(t)
	for _, rc := range receiverCases {
		t.Run(rc.name, func(t *testing.T) {
			path := f.config(t, rc.conf(f, "", "start_time: 3 days ago"))
			r := f.run(t, "get-events", "--config", path, "--receiver", rc.name, "--from", "3 days ago", "--limit", "120", "--output", "otlp-json")
			require.Equal(t, 0, r.code, r.stderr)
			got := otlp(t, r.stdout)
			require.Equal(t, f.window(t, rc.vendor, time.Time{}, f.now), uids(t, got), "every record, oldest first")

			want := byUID(receiverOutput(t, path, component.MustNewID(rc.name), 120))
			for uid, g := range byUID(got) {
				w, ok := want[uid]
				require.True(t, ok, uid)
				assert.Equal(t, w.res, g.res, "resource of %s", uid)
				assert.Equal(t, w.scope, g.scope, "scope of %s", uid)
				assert.Equal(t, w.lr.Timestamp(), g.lr.Timestamp(), uid)
				assert.Equal(t, w.lr.SeverityNumber(), g.lr.SeverityNumber(), uid)
				assert.Equal(t, w.lr.SeverityText(), g.lr.SeverityText(), uid)
				assert.Equal(t, w.lr.EventName(), g.lr.EventName(), uid)
				assert.Equal(t, w.lr.Attributes().AsRaw(), g.lr.Attributes().AsRaw(), uid)
				assert.Equal(t, w.lr.Body().AsRaw(), g.lr.Body().AsRaw(), uid)
			}
		})
	}
}

func TestGetEventsRelativeAndAbsoluteDatesBoundTheWindow(t *testing.T) {
	f := backfilled(t)
	from, to := f.now.Add(-36*time.Hour), f.now.Add(-12*time.Hour)
	for _, rc := range receiverCases {
		t.Run(rc.name, func(t *testing.T) {
			path := f.config(t, rc.conf(f, ""))
			want := f.window(t, rc.vendor, from, to)
			require.NotEmpty(t, want)
			require.Less(t, len(want), len(f.window(t, rc.vendor, time.Time{}, f.now)), "the window leaves records out on both sides")
			for _, bounds := range [][2]string{
				{"36 hours ago", "12 hours ago"},
				{from.Format("2006-01-02 15:04:05"), to.Format(time.RFC3339)},
			} {
				r := f.run(t, "get-events", "--config", path, "--from", bounds[0], "--to", bounds[1], "--limit", "1000", "--output", "otlp-json")
				require.Equal(t, 0, r.code, r.stderr)
				assert.Equal(t, want, uids(t, otlp(t, r.stdout)), "--from %q --to %q", bounds[0], bounds[1])
			}
		})
	}
}

func TestGetEventsStopsAtTheLimit(t *testing.T) {
	f := backfilled(t)
	for _, rc := range receiverCases {
		t.Run(rc.name, func(t *testing.T) {
			path := f.config(t, rc.conf(f, ""))
			r := f.run(t, "get-events", "--config", path, "--from", "3 days ago", "--limit", "7", "--output", "otlp-json")
			require.Equal(t, 0, r.code, r.stderr)
			assert.Equal(t, f.window(t, rc.vendor, time.Time{}, f.now)[:7], uids(t, otlp(t, r.stdout)), "the 7 oldest")
			assert.Contains(t, r.stderr, "7 records between")
			assert.Contains(t, r.stderr, "stopped at --limit 7, more may match")
		})
	}
}

func TestGetEventsDefaultsToTheLastMinute(t *testing.T) {
	f := newFixture(t, simulator.Options{})
	for _, v := range []simulator.Vendor{simulator.CyberArk, simulator.XSOAR} {
		_, err := f.sim.AddRecords(simulator.RecordsRequest{Vendor: v, Count: 2, At: f.now.Add(-2 * time.Minute)})
		require.NoError(t, err)
		_, err = f.sim.AddRecords(simulator.RecordsRequest{Vendor: v, Count: 3, At: f.now.Add(-30 * time.Second)})
		require.NoError(t, err)
	}
	for _, rc := range receiverCases {
		t.Run(rc.name, func(t *testing.T) {
			r := f.run(t, "get-events", "--config", f.config(t, rc.conf(f, "")), "--output", "otlp-json")
			require.Equal(t, 0, r.code, r.stderr)
			want := f.window(t, rc.vendor, f.now.Add(-time.Minute), f.now)
			require.Len(t, want, 3)
			assert.Equal(t, want, uids(t, otlp(t, r.stdout)))
		})
	}
}

func TestGetEventsTable(t *testing.T) {
	f := backfilled(t)
	for _, rc := range receiverCases {
		t.Run(rc.name, func(t *testing.T) {
			r := f.run(t, "get-events", "--config", f.config(t, rc.conf(f, "")), "--from", "3 days ago", "--limit", "5")
			require.Equal(t, 0, r.code, r.stderr)
			lines := strings.Split(strings.TrimRight(r.stdout, "\n"), "\n")
			require.Len(t, lines, 6, r.stdout)
			assert.Regexp(t, `^TIME\s+SEVERITY\s+EVENT\s+USER\s+ID\s+DETAIL$`, lines[0])
			prefix := map[simulator.Vendor]string{simulator.CyberArk: "cyberark.audit", simulator.XSOAR: "xsoar.audit"}[rc.vendor]
			for i, id := range f.window(t, rc.vendor, time.Time{}, f.now)[:5] {
				assert.Regexp(t, `^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\s`, lines[i+1])
				assert.Contains(t, lines[i+1], " "+id+" ", "row %d holds record %s", i, id)
				assert.Contains(t, lines[i+1], prefix)
			}
		})
	}
}

func TestGetEventsJSONLines(t *testing.T) {
	f := backfilled(t)
	for _, rc := range receiverCases {
		t.Run(rc.name, func(t *testing.T) {
			r := f.run(t, "get-events", "--config", f.config(t, rc.conf(f, "/main")), "--receiver", rc.name+"/main",
				"--from", "3 days ago", "--limit", "4", "--output", "json")
			require.Equal(t, 0, r.code, r.stderr)
			var got []string
			sc := bufio.NewScanner(strings.NewReader(r.stdout))
			sc.Buffer(nil, 1<<20)
			for sc.Scan() {
				var rec jsonRecord
				require.NoError(t, json.Unmarshal(sc.Bytes(), &rec), sc.Text())
				assert.Equal(t, rc.name+"/main", rec.Receiver)
				assert.NotEmpty(t, rec.EventName)
				assert.NotEmpty(t, rec.Time)
				assert.NotEmpty(t, rec.Resource)
				assert.IsType(t, map[string]any{}, rec.Body, "the vendor record is the body")
				got = append(got, rec.Attributes["log.record.uid"].(string))
			}
			assert.Equal(t, f.window(t, rc.vendor, time.Time{}, f.now)[:4], got)
		})
	}
}

// otlpSink is an OTLP/HTTP logs endpoint that counts the records it receives.
type otlpSink struct {
	mu       sync.Mutex
	requests int
	uids     []string
	reject   int64
}

func (s *otlpSink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if r.URL.Path != "/v1/logs" || r.Header.Get("Content-Type") != "application/x-protobuf" {
		http.Error(w, "want protobuf on /v1/logs", http.StatusNotFound)
		return
	}
	req := plogotlp.NewExportRequest()
	if err := req.UnmarshalProto(body); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	s.requests++
	s.uids = append(s.uids, logtest.UIDs(req.Logs())...)
	s.mu.Unlock()
	resp := plogotlp.NewExportResponse()
	if s.reject > 0 {
		resp.PartialSuccess().SetRejectedLogRecords(s.reject)
		resp.PartialSuccess().SetErrorMessage("quota exceeded")
	}
	b, _ := resp.MarshalProto()
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(b)
}

func TestGetEventsPush(t *testing.T) {
	f := backfilled(t)
	for _, rc := range receiverCases {
		t.Run(rc.name, func(t *testing.T) {
			sink := &otlpSink{}
			srv := httptest.NewServer(sink)
			defer srv.Close()
			r := f.run(t, "get-events", "--config", f.config(t, rc.conf(f, "")), "--from", "3 days ago", "--limit", "9", "--push", srv.URL)
			require.Equal(t, 0, r.code, r.stderr)
			assert.Equal(t, 1, sink.requests, "one export request")
			assert.Equal(t, f.window(t, rc.vendor, time.Time{}, f.now)[:9], sink.uids)
			assert.Equal(t, "pushed 9 records from "+rc.name+" to "+srv.URL+"/v1/logs\n", r.stdout, "the records are sent, not printed")
			assert.Contains(t, r.stderr, "warning: a collector that runs receiver "+rc.name+" already sends these records")
			assert.Contains(t, r.stderr, "duplicate")
		})
	}
}

func TestGetEventsPushFailures(t *testing.T) {
	f := backfilled(t)
	path := f.config(t, f.cyberark(""))
	sink := &otlpSink{reject: 2}
	srv := httptest.NewServer(sink)
	defer srv.Close()

	r := f.run(t, "get-events", "--config", path, "--from", "3 days ago", "--limit", "3", "--push", srv.URL+"/")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "push failure")
	assert.Contains(t, r.stderr, "the endpoint rejected 2 records: quota exceeded")

	r = f.run(t, "get-events", "--config", path, "--from", "3 days ago", "--limit", "3", "--push", srv.URL+"/elsewhere")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "HTTP 404 Not Found: want protobuf on /v1/logs")
}

func TestGetEventsEmptyWindowIsNotAFailure(t *testing.T) {
	f := backfilled(t)
	r := f.run(t, "get-events", "--config", f.config(t, f.xsoar("")), "--from", "3 days ago", "--to", "50 hours ago")
	assert.Equal(t, 0, r.code, r.stderr)
	assert.Empty(t, r.stdout)
	assert.Contains(t, r.stderr, "xsoaraudit: no records between")
	assert.Contains(t, r.stderr, "hint:  The credentials work but nothing was logged in the window")
}

func TestGetEventsNeverTouchesTheCheckpoint(t *testing.T) {
	f := backfilled(t)
	r := f.run(t, "get-events", "--config", f.config(t, f.cyberark("")), "--from", "3 days ago", "--limit", "3")
	require.Equal(t, 0, r.code, r.stderr)
	_, err := os.Stat(f.storageDir())
	assert.True(t, os.IsNotExist(err), "the storage directory of the configured file_storage is not created")
}

// A --from in the future is said to be so, not reported as "--to is before --from".
func TestGetEventsFromTheFutureIsNamed(t *testing.T) {
	f := newFixture(t, simulator.Options{})
	r := f.run(t, "get-events", "--config", f.config(t, f.xsoar("")), "--from", "2099-01-01")
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, "--from (2099-01-01T00:00:00Z) is in the future")
	assert.NotContains(t, r.stderr, "--to")
}

func TestGetEventsReceiverSelection(t *testing.T) {
	f := backfilled(t)
	one := f.config(t, f.xsoar(""))
	r := f.run(t, "get-events", "--config", one, "--from", "3 days ago", "--limit", "1", "--output", "otlp-json")
	require.Equal(t, 0, r.code, "the only audit receiver needs no --receiver: %s", r.stderr)
	assert.Equal(t, f.window(t, simulator.XSOAR, time.Time{}, f.now)[:1], uids(t, otlp(t, r.stdout)))

	two := f.config(t, f.xsoar(""), f.cyberark("/b"))
	for _, tc := range []struct{ args, want []string }{
		{nil, []string{"--receiver is required", "cyberarkisp/b, xsoaraudit"}},
		{[]string{"--receiver", "otlp"}, []string{"auditctl reads cyberarkisp and xsoaraudit receivers"}},
		{[]string{"--receiver", "xsoaraudit/other"}, []string{"--receiver xsoaraudit/other is not configured"}},
	} {
		r := f.run(t, append([]string{"get-events", "--config", two}, tc.args...)...)
		assert.Equal(t, exitUsage, r.code, "a command-line mistake, as the docs say")
		assert.NotContains(t, r.stderr, "collector configuration", "nothing to fix in the configuration")
		for _, w := range tc.want {
			assert.Contains(t, r.stderr, w)
		}
	}
}

func TestGetEventsExpandsEnvironmentVariablesAsTheCollector(t *testing.T) {
	f := backfilled(t)
	t.Setenv("AUDITCTL_TEST_URL", f.url)
	t.Setenv("AUDITCTL_TEST_KEY", simulator.DefaultXSOARKey)
	path := f.config(t, section("xsoaraudit", []string{
		"endpoint: ${env:AUDITCTL_TEST_URL}",
		"api_key_id: ${env:AUDITCTL_TEST_KEY_ID:-7}", // unset: the default after :-
		"api_key: ${AUDITCTL_TEST_KEY}",              // env is the default scheme
	}))
	r := f.run(t, "get-events", "--config", path, "--from", "3 days ago", "--limit", "2", "--output", "otlp-json")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Len(t, uids(t, otlp(t, r.stdout)), 2)
}

func TestGetEventsUsageErrors(t *testing.T) {
	f := newFixture(t, simulator.Options{})
	path := f.config(t, f.xsoar(""))
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"get-events"}, "--config is required"},
		{[]string{"get-events", "--config", path, "--from", "yesterday"}, `--from "yesterday" is not a time; accepted forms`},
		{[]string{"get-events", "--config", path, "--from", "1 hour ago", "--to", "2 hours ago"}, "is before --from"},
		{[]string{"get-events", "--config", path, "--limit", "0"}, "--limit must be at least 1"},
		{[]string{"get-events", "--config", path, "--output", "yaml"}, "--output must be table, json or otlp-json"},
		{[]string{"get-events", "--config", path, "--push", "localhost:4318"}, "must be an http:// or https:// URL"},
		{[]string{"get-events", "--config", path, "--max-retry-time", "-1s"}, "must not be negative"},
		{[]string{"get-events", "--config", path, "extra"}, `unexpected argument "extra"`},
		{[]string{"get-events", "--bogus"}, "flag provided but not defined: -bogus"},
		{[]string{"fetch"}, `unknown command "fetch"`},
		{nil, "Usage:"},
	} {
		r := f.run(t, tc.args...)
		assert.Equal(t, 2, r.code, "%v", tc.args)
		assert.Contains(t, r.stderr, tc.want, "%v", tc.args)
		assert.Empty(t, r.stdout)
	}
	r := f.run(t, "get-events", "-h")
	assert.Equal(t, 0, r.code)
	assert.Contains(t, r.stderr, "-push URL")
	r = f.run(t, "help")
	assert.Equal(t, 0, r.code)
	assert.Contains(t, r.stdout, "auditctl check")
}
