package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secaudit/otelcol-audit/internal/hartrace/hartest"
	"github.com/secaudit/otelcol-audit/internal/testsupport/secrettest"
	"github.com/secaudit/otelcol-audit/internal/testsupport/simulator"
)

// tenantToken is a configured header value: a configopaque secret that an inner transport of
// the receiver's client adds to each request.
const tenantToken = "TenantToken-8c7d6e5f"

// simTap stands in front of the simulator and keeps what crossed the wire: each request, and
// every credential that cannot be known from the configuration (tokens issued, signatures,
// nonces), for the test to look for in the trace.
type simTap struct {
	next http.Handler

	mu          sync.Mutex
	requests    []string // "METHOD /path"
	credentials []string
	bodies      [][]byte // the responses' bodies
}

func (t *simTap) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec := httptest.NewRecorder()
	t.next.ServeHTTP(rec, r)
	t.mu.Lock()
	t.requests = append(t.requests, r.Method+" "+r.URL.Path)
	t.bodies = append(t.bodies, bytes.Clone(rec.Body.Bytes()))
	for _, h := range []string{"Authorization", "X-Xdr-Nonce"} {
		if v := r.Header.Get(h); v != "" {
			t.credentials = append(t.credentials, v, strings.TrimPrefix(v, "Bearer "))
		}
	}
	var token struct {
		AccessToken string `json:"access_token"`
	}
	if json.Unmarshal(rec.Body.Bytes(), &token) == nil && token.AccessToken != "" {
		t.credentials = append(t.credentials, token.AccessToken)
	}
	t.mu.Unlock()
	for k, vs := range rec.Header() {
		w.Header()[k] = vs
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
}

// tapped puts a simTap in front of the fixture's simulator; the receivers configured after
// this call go through it.
func tapped(t *testing.T, f *fixture) *simTap {
	t.Helper()
	tap := &simTap{next: f.sim.Handler()}
	srv := httptest.NewServer(tap)
	t.Cleanup(srv.Close)
	f.url = srv.URL
	return tap
}

// simRequests is how many vendor requests the simulator counted.
func simRequests(f *fixture) int {
	n := 0
	for _, byStatus := range f.sim.Stats().Requests {
		for _, k := range byStatus {
			n += int(k)
		}
	}
	return n
}

// readTrace checks that the trace is a HAR 1.2 file only its owner can read, holding no
// configured secret and no credential the tap saw, and returns its entries.
func readTrace(t *testing.T, path string, tap *simTap) ([]hartest.Entry, string) {
	t.Helper()
	st, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm())
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	entries := hartest.Check(t, data)
	tap.mu.Lock()
	defer tap.mu.Unlock()
	require.NotEmpty(t, tap.credentials)
	secrettest.AssertHidden(t, string(data), append([]string{
		simulator.DefaultClientSecret, simulator.DefaultAPIKey, simulator.DefaultXSOARKey, tenantToken,
	}, tap.credentials...)...)

	var got []string
	for _, e := range entries {
		u, err := url.Parse(e.URL)
		require.NoError(t, err)
		got = append(got, e.Method+" "+u.Path)
	}
	slices.Sort(got)
	want := slices.Sorted(slices.Values(tap.requests))
	assert.Equal(t, want, got, "every request, once")
	return entries, string(data)
}

func TestGetEventsTraceIsARedactedHARWithEveryRequest(t *testing.T) {
	for _, rc := range receiverCases {
		t.Run(rc.name, func(t *testing.T) {
			f := backfilled(t)
			tap := tapped(t, f)
			extra := []string{"start_time: 3 days ago", "page_size: 25", "headers:\n  X-Tenant-Token: " + tenantToken}
			if rc.vendor == simulator.XSOAR {
				extra = append(extra, "security_level: advanced")
			}
			trace := filepath.Join(f.dir, "trace.har")
			r := f.run(t, "get-events", "--config", f.config(t, rc.conf(f, "", extra...)), "--from", "3 days ago",
				"--limit", "100", "--output", "json", "--trace", trace)
			require.Equal(t, 0, r.code, r.stderr)
			assert.Contains(t, r.stderr, "auditctl: HTTP trace written to "+trace+" (HAR 1.2, secrets redacted, records' values replaced by their shape)\n")

			entries, _ := readTrace(t, trace, tap)
			require.Len(t, entries, simRequests(f), "as many entries as the simulator counted requests")
			require.GreaterOrEqual(t, len(entries), 4, "several pages")
			for _, e := range entries {
				assert.Equal(t, rc.name, e.Comment)
				assert.Equal(t, 200, e.Status)
				assert.Equal(t, []string{"[REDACTED]"}, hartest.Header(e.Request, "X-Tenant-Token"), "headers as sent, configured ones included")
				assert.NotEmpty(t, e.Response["content"].(map[string]any)["text"])
			}
			calls := entries
			if rc.vendor == simulator.CyberArk {
				token := entries[0]
				assert.Contains(t, token.URL, "/OAuth2/Token/")
				assert.Contains(t, token.Request["postData"].(map[string]any)["text"], "client_secret=[REDACTED]")
				assert.Contains(t, token.Response["content"].(map[string]any)["text"], `"access_token":"[REDACTED]"`)
				calls = entries[1:]
			}
			for _, e := range calls {
				assert.Equal(t, []string{"[REDACTED]"}, hartest.Header(e.Request, "Authorization"), "the bearer token or the signature")
				if rc.vendor == simulator.CyberArk {
					assert.Equal(t, []string{"[REDACTED]"}, hartest.Header(e.Request, "X-Api-Key"))
					continue
				}
				assert.Equal(t, []string{"[REDACTED]"}, hartest.Header(e.Request, "X-Xdr-Nonce"))
				assert.Equal(t, []string{simulator.DefaultXSOARKeyID}, hartest.Header(e.Request, "X-Xdr-Auth-Id"))
				ts := hartest.Header(e.Request, "X-Xdr-Timestamp")
				require.Len(t, ts, 1)
				assert.Regexp(t, `^\d{13}$`, ts[0], "the timestamp is kept")
			}
		})
	}
}

// check probes both receivers side by side into one trace, each entry naming its receiver. A
// trace file that existed is replaced, and only its owner may read it.
func TestCheckTraceHoldsBothReceivers(t *testing.T) {
	f := backfilled(t)
	tap := tapped(t, f)
	trace := filepath.Join(f.dir, "check.har")
	require.NoError(t, os.WriteFile(trace, []byte(strings.Repeat("old ", 1000)), 0o644))
	path := f.config(t, f.cyberark(""), f.xsoar(""))
	r := f.run(t, "check", "--config", path, "--from", "3 days ago", "--trace", trace)
	require.Equal(t, 0, r.code, r.stdout+r.stderr)

	entries, _ := readTrace(t, trace, tap)
	require.Len(t, entries, simRequests(f))
	count := map[string]int{}
	for _, e := range entries {
		count[e.Comment]++
	}
	assert.Equal(t, map[string]int{"cyberarkisp": 3, "xsoaraudit": 1}, count, "token, createQuery, results; one page")
}

// A command that fails still writes its trace: it is what a bug report needs.
func TestTraceOfAFailedCommand(t *testing.T) {
	const wrong = "wrong-secret-1f2e3d"
	f := newFixture(t, simulator.Options{})
	tap := tapped(t, f)
	trace := filepath.Join(f.dir, "failed.har")
	r := f.run(t, "get-events", "--config", f.config(t, f.cyberark("", "client_secret: "+wrong)), "--trace", trace)
	require.Equal(t, 1, r.code, r.stderr)
	entries, data := readTrace(t, trace, &simTap{credentials: []string{wrong}, requests: tap.requests})
	require.Len(t, entries, 1)
	assert.Equal(t, 401, entries[0].Status)
	assert.Contains(t, entries[0].Request["postData"].(map[string]any)["text"], "client_secret=[REDACTED]")
	assert.NotContains(t, data, wrong)
}

// A trace that cannot be written stops the command before it sends anything.
func TestAnUnwritableTraceIsAUsageError(t *testing.T) {
	f := newFixture(t, simulator.Options{})
	path := f.config(t, f.xsoar(""))
	for _, cmd := range []string{"get-events", "check"} {
		r := f.run(t, cmd, "--config", path, "--trace", filepath.Join(f.dir, "missing", "t.har"))
		assert.Equal(t, exitUsage, r.code, cmd)
		assert.Contains(t, r.stderr, "auditctl "+cmd+": --trace: open ", cmd)
	}
	assert.Zero(t, simRequests(f))
}

// --push is an exchange of the command too; its protobuf body is not shown.
func TestTraceHoldsThePush(t *testing.T) {
	f := backfilled(t)
	tap := tapped(t, f)
	sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusOK)
	}))
	defer sink.Close()
	trace := filepath.Join(f.dir, "push.har")
	r := f.run(t, "get-events", "--config", f.config(t, f.xsoar("")), "--from", "3 days ago", "--limit", "5",
		"--push", sink.URL, "--trace", trace)
	require.Equal(t, 0, r.code, r.stderr)
	data, err := os.ReadFile(trace)
	require.NoError(t, err)
	entries := hartest.Check(t, data)
	last := entries[len(entries)-1]
	assert.Equal(t, "push", last.Comment)
	assert.Equal(t, sink.URL+"/v1/logs", last.URL)
	assert.Regexp(t, `^\[binary body of \d+ bytes, not recorded\]$`, last.Request["postData"].(map[string]any)["text"])
	assert.Len(t, entries, len(tap.requests)+1)
}
