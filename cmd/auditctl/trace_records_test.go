package main

import (
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secaudit/otelcol-audit/internal/testsupport/simulator"
)

// personalValues returns the user names, e-mail and IP addresses of the records in the JSON
// bodies the simulator served: the string values, inside the arrays that hold records, that are
// an address (not a loopback one: the simulator's own is in every URL) or the value of a member
// naming a user.
func personalValues(t *testing.T, bodies [][]byte) []string {
	t.Helper()
	var out []string
	var walk func(v any, key string, inArray bool)
	walk = func(v any, key string, inArray bool) {
		switch v := v.(type) {
		case map[string]any:
			for k, e := range v {
				walk(e, k, inArray)
			}
		case []any:
			for _, e := range v {
				walk(e, key, true)
			}
		case string:
			k := strings.ToLower(key)
			if inArray && len(v) >= 4 && (strings.Contains(v, "@") || (net.ParseIP(v) != nil && !net.ParseIP(v).IsLoopback()) ||
				strings.Contains(k, "username") || strings.Contains(k, "owner_name") || strings.Contains(k, "email")) {
				out = append(out, v)
			}
		}
	}
	for _, b := range bodies {
		var doc any
		if json.Unmarshal(b, &doc) == nil {
			walk(doc, "", false)
		}
	}
	return out
}

// A default trace, for a bug report, holds no user name, e-mail or IP address of the records
// the simulator served, however many pages; --trace-records keeps them, with a warning.
func TestATraceHoldsNoPersonalDataOfTheRecords(t *testing.T) {
	for _, rc := range receiverCases {
		t.Run(rc.name, func(t *testing.T) {
			f := backfilled(t)
			tap := tapped(t, f)
			path := f.config(t, rc.conf(f, "", "start_time: 3 days ago", "page_size: 25"))
			trace := filepath.Join(f.dir, "trace.har")
			r := f.run(t, "get-events", "--config", path, "--from", "3 days ago", "--limit", "5", "--trace", trace)
			require.Equal(t, 0, r.code, r.stderr)
			entries, data := readTrace(t, trace, tap)
			require.NotEmpty(t, entries)
			tap.mu.Lock()
			personal := personalValues(t, tap.bodies)
			tap.mu.Unlock()
			require.GreaterOrEqual(t, len(personal), 10, "the served records hold user names, e-mail or IP addresses")
			for _, v := range personal {
				require.False(t, strings.Contains(data, v) || strings.Contains(data, strings.Trim(mustJSON(t, v), `"`)),
					"the record value %q is in the trace", v)
			}
			assert.Contains(t, data, `[redacted: `, "the records' shape is kept")
			assert.NotContains(t, r.stderr, "warning")

			r = f.run(t, "get-events", "--config", path, "--from", "3 days ago", "--limit", "5", "--trace", trace, "--trace-records")
			require.Equal(t, 0, r.code, r.stderr)
			assert.Contains(t, r.stderr, "auditctl: warning: --trace-records: "+trace+" will hold the audit records as the vendor sent them")
			full, err := os.ReadFile(trace)
			require.NoError(t, err)
			assert.Contains(t, string(full), strings.Trim(mustJSON(t, personal[0]), `"`), "--trace-records keeps the records")
		})
	}
}

func TestTraceRecordsNeedsATrace(t *testing.T) {
	f := newFixture(t, simulator.Options{})
	r := f.run(t, "get-events", "--config", f.config(t, f.xsoar("")), "--trace-records")
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, "--trace-records needs --trace FILE.har")
}

// A symbolic link at the trace's path is not followed: what it points to is left as it was.
func TestATraceDoesNotFollowASymlink(t *testing.T) {
	f := newFixture(t, simulator.Options{})
	target := filepath.Join(f.dir, "precious")
	require.NoError(t, os.WriteFile(target, []byte("keep me"), 0o644))
	link := filepath.Join(f.dir, "trace.har")
	require.NoError(t, os.Symlink(target, link))
	r := f.run(t, "get-events", "--config", f.config(t, f.xsoar("")), "--trace", link)
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, "is a symbolic link, which is not followed")
	b, err := os.ReadFile(target)
	require.NoError(t, err)
	assert.Equal(t, "keep me", string(b))
	st, err := os.Stat(target)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o644), st.Mode().Perm())
	assert.Zero(t, simRequests(f))
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}
