package xsoarauditreceiver

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/config/configopaque"
)

// pastMs is a base insert time safely behind every query's upper bound.
func pastMs() int64 { return time.Now().Add(-time.Hour).UnixMilli() }

func TestPagingStopsOnShortLastPage(t *testing.T) {
	f := newFakeXSOAR(t, true)
	base := pastMs()
	times := spaced(base, 250, 10)
	f.add(1, times...)
	r := startReceiver(t, testConfig(t, f, base-60_000), t.TempDir())
	r.waitRecords(250)
	require.Eventually(t, func() bool { return len(f.log()) >= 4 }, waitFor, tick)
	r.stop()

	log := f.log()
	for i, from := range []int{0, 100, 200} {
		assert.Equal(t, base-60_000, log[i].GTE, "request %d", i)
		assert.Equal(t, from, log[i].SearchFrom, "request %d", i)
		assert.Equal(t, from+100, log[i].SearchTo, "request %d", i)
		assert.Equal(t, log[0].LTE, log[i].LTE, "the upper bound is frozen for the whole walk")
	}
	assert.Equal(t, 50, log[2].Returned)
	// After the short page the query ends without asking for offset 300: the next request is a
	// new poll from the checkpoint, the newest record's millisecond.
	assert.Equal(t, times[249], log[3].GTE)
	assert.Equal(t, 0, log[3].SearchFrom)
	assert.Equal(t, idRange(1, 250), r.uids(), "in insert-time order, each once")
}

func TestMissingTotalCount(t *testing.T) {
	for _, n := range []int{150, 200} {
		t.Run(strconv.Itoa(n), func(t *testing.T) {
			f := newFakeXSOAR(t, true)
			f.omitTotal = true
			base := pastMs()
			f.add(1, spaced(base, n, 3)...)
			r := startReceiver(t, testConfig(t, f, base), t.TempDir())
			r.waitRecords(n)
			pages := (n + 99) / 100
			if n%100 == 0 {
				pages++ // a full last page: one more request finds the window empty
			}
			require.Eventually(t, func() bool { return len(f.log()) > pages }, waitFor, tick)
			r.stop()
			log := f.log()
			for i := range pages {
				assert.Equal(t, base, log[i].GTE)
				assert.Equal(t, i*100, log[i].SearchFrom)
			}
			assert.Equal(t, 0, log[pages].SearchFrom, "the next request starts a new query")
			requireExactlyOnce(t, r.uids(), idRange(1, n))
		})
	}
}

func TestKeyTypes(t *testing.T) {
	for _, advanced := range []bool{true, false} {
		t.Run(map[bool]string{true: "advanced", false: "standard"}[advanced], func(t *testing.T) {
			f := newFakeXSOAR(t, advanced)
			base := pastMs()
			f.add(1, spaced(base, 30, 1)...)
			r := startReceiver(t, testConfig(t, f, base), t.TempDir())
			r.waitRecords(30)
			r.stop()
			requireExactlyOnce(t, r.uids(), idRange(1, 30))
		})
	}
}

func TestRefusedCredentials(t *testing.T) {
	tests := []struct {
		name     string
		advanced bool // the key as created on the tenant
		mutate   func(*Config)
		want     []string
	}{
		{
			name: "wrong advanced signature", advanced: true,
			mutate: func(c *Config) { c.APIKey = configopaque.String(testKey[:len(testKey)-1] + "x") },
			want:   []string{"api_key", "api_key_id", "security_level", `"advanced"`, "clock", `"Public API request unauthorized"`, "HTTP 401"},
		},
		{
			name: "advanced configured, standard key", advanced: false,
			mutate: func(c *Config) { c.SecurityLevel = securityAdvanced },
			want:   []string{"security_level", `"advanced"`, "matches the security level the key was created with"},
		},
		{
			name: "wrong key id", advanced: false,
			mutate: func(c *Config) { c.APIKeyID = "18" },
			want:   []string{"api_key_id", `"standard"`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeXSOAR(t, tt.advanced)
			base := pastMs()
			f.add(1, base)
			cfg := testConfig(t, f, base)
			tt.mutate(cfg)
			r := startReceiver(t, cfg, t.TempDir())
			err := r.waitStatus(componentstatus.StatusPermanentError)
			r.stop()
			t.Log(err)
			for _, w := range tt.want {
				assert.Contains(t, err.Error(), w)
			}
			assert.NotContains(t, err.Error(), testKey)
			assert.Zero(t, r.sink.LogRecordCount())
			for _, req := range f.log() {
				assert.Equal(t, http.StatusUnauthorized, req.Status, "a 401 is never retried by the HTTP client")
			}
		})
	}
}

func TestPermanentStatuses(t *testing.T) {
	tests := []struct {
		status int
		body   string
		want   []string
	}{
		{http.StatusUnauthorized, unauthBody, []string{"HTTP 401", `"Public API request unauthorized"`, "api_key", "api_key_id", "security_level"}},
		{http.StatusPaymentRequired, `{"reply":{"err_code":402,"err_msg":"User does not have the required license type to run this API","err_extra":null}}`,
			[]string{"HTTP 402", "licence", "required license type"}},
		{http.StatusForbidden, `{"reply":{"err_code":403,"err_msg":"API key does not have the required RBAC permissions","err_extra":null}}`,
			[]string{"HTTP 403", "role", "permission", "view management audit logs"}},
		{http.StatusNotFound, `<html><body>Not Found</body></html>`, []string{"HTTP 404", "endpoint", "path", defaultPath}},
	}
	for _, tt := range tests {
		t.Run(strconv.Itoa(tt.status), func(t *testing.T) {
			f := newFakeXSOAR(t, true)
			f.fault = func(int, auditRequest) *fakeResponse { return &fakeResponse{status: tt.status, body: tt.body} }
			base := pastMs()
			f.add(1, base)
			r := startReceiver(t, testConfig(t, f, base), t.TempDir())
			err := r.waitStatus(componentstatus.StatusPermanentError)
			r.stop()
			t.Log(err)
			for _, w := range tt.want {
				assert.Contains(t, err.Error(), w)
			}
			assert.Zero(t, r.sink.LogRecordCount())
		})
	}
}

func TestTransientFailuresThenSuccess(t *testing.T) {
	tests := []struct {
		name   string
		faults []fakeResponse
	}{
		{"429 without Retry-After", []fakeResponse{{status: http.StatusTooManyRequests, body: `{"reply":{"err_code":429,"err_msg":"Too many requests"}}`}}},
		{"503 then 500", []fakeResponse{{status: http.StatusServiceUnavailable}, {status: http.StatusInternalServerError, body: "upstream"}}},
		{"502 three times", []fakeResponse{{status: http.StatusBadGateway}, {status: http.StatusBadGateway}, {status: http.StatusBadGateway}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeXSOAR(t, true)
			f.fault = func(n int, _ auditRequest) *fakeResponse {
				if n <= len(tt.faults) {
					return &tt.faults[n-1]
				}
				return nil
			}
			base := pastMs()
			f.add(1, spaced(base, 120, 2)...)
			r := startReceiver(t, testConfig(t, f, base), t.TempDir())
			r.waitRecords(120)
			r.stop()
			requireExactlyOnce(t, r.uids(), idRange(1, 120))
			log := f.log()
			require.Greater(t, len(log), len(tt.faults))
			for i := range tt.faults {
				assert.Equal(t, tt.faults[i].status, log[i].Status)
				assert.Equal(t, 0, log[i].SearchFrom)
			}
			assert.Equal(t, http.StatusOK, log[len(tt.faults)].Status)
			assert.Equal(t, 0, log[len(tt.faults)].SearchFrom, "the failed page itself is retried")
			assert.NoError(t, r.host.LastErr(componentstatus.StatusPermanentError))
			assert.NoError(t, r.host.LastErr(componentstatus.StatusRecoverableError), "the HTTP client absorbed the failures")
		})
	}
}

func TestPersistent500NamesPath(t *testing.T) {
	f := newFakeXSOAR(t, true)
	cfg := testConfig(t, f, pastMs())
	cfg.Path = "/xsoar/public/v1/audits/management_logs" // the wrong tree: the API answers 500
	cfg.Poll.Retry.MaxElapsedTime = 30 * time.Millisecond
	r := startReceiver(t, cfg, t.TempDir())
	err := r.waitStatus(componentstatus.StatusRecoverableError)
	r.stop()
	t.Log(err)
	for _, w := range []string{"HTTP 500", "wrong path or endpoint", "/xsoar/public/v1/audits/management_logs", defaultPath} {
		assert.Contains(t, err.Error(), w)
	}
	assert.NoError(t, r.host.LastErr(componentstatus.StatusPermanentError), "a 500 may heal: not permanent")
	assert.Greater(t, len(f.log()), 1, "retried")
}

// The server refuses a window over 100 records, so a receiver that sent one would fail every
// other test here (the fake notes it as a problem). This proves the check itself bites.
func TestServerRefusesWindowOver100(t *testing.T) {
	f := newFakeXSOAR(t, false)
	body := `{"request_data":{"filters":[{"field":"timestamp","operator":"gte","value":1},{"field":"timestamp","operator":"lte","value":2}],"search_from":0,"search_to":101,"sort":{"field":"timestamp","keyword":"asc"}}}`
	req, err := http.NewRequest(http.MethodPost, f.url()+defaultPath, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", testKey)
	req.Header.Set("x-xdr-auth-id", testKeyID)
	resp, err := f.srv.Client().Do(req)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	assert.Equal(t, http.StatusInternalServerError, resp.StatusCode)
	assert.Equal(t, []string{"window 0..101"}, f.takeProblems())

	// And the receiver, at the largest page size, never asks for more than 100.
	base := pastMs()
	f.add(1, spaced(base, 450, 1)...)
	cfg := testConfig(t, f, base)
	cfg.PageSize = maxPageSize
	r := startReceiver(t, cfg, t.TempDir())
	r.waitRecords(450)
	r.stop()
	for _, l := range f.log()[1:] {
		assert.LessOrEqual(t, l.SearchTo-l.SearchFrom, maxPageSize)
	}
}

func TestBadBodyEmitsNothingAndKeepsCheckpoint(t *testing.T) {
	tests := []struct {
		name string
		at   int // the request answered badly
		body string
	}{
		{"truncated first page", 1, `{"reply":{"total_count":250,"result_count":100,"data":[{"AUDIT_ID":1,"AUDIT_OWNER_NAME":"Us`},
		{"truncated second page", 2, `{"reply":{"total_count":250,"result_count":100,"data":[{"AUDIT_ID":101,"AUDIT_INSERT_TIME":1},{"AUDIT_ID":102,`},
		{"HTML with status 200", 2, "<!DOCTYPE html><html><head><title>Sign in</title></head></html>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeXSOAR(t, true)
			f.fault = func(n int, _ auditRequest) *fakeResponse {
				if n == tt.at {
					return &fakeResponse{status: http.StatusOK, body: tt.body}
				}
				return nil
			}
			base := pastMs()
			times := spaced(base, 250, 4)
			f.add(1, times...)
			r := startReceiver(t, testConfig(t, f, base), t.TempDir())
			err := r.waitStatus(componentstatus.StatusRecoverableError)
			t.Log(err)
			assert.NotContains(t, err.Error(), testKey)
			r.waitRecords(250)
			r.stop()
			requireExactlyOnce(t, r.uids(), idRange(1, 250))

			// The request after the bad one starts a new query from the checkpoint, which only
			// covers what was delivered before the bad page.
			log := f.log()
			next := log[tt.at]
			assert.Equal(t, 0, next.SearchFrom)
			if tt.at == 1 {
				assert.Equal(t, base, next.GTE)
			} else {
				assert.Equal(t, times[99], next.GTE)
			}
		})
	}
}

func TestRecordsArrivingDuringTheWalk(t *testing.T) {
	f := newFakeXSOAR(t, true)
	base := pastMs()
	f.add(1, spaced(base, 300, 5)...)
	nextID := int64(10_000)
	inserted := 0
	f.afterPage = func(n int, req auditRequest) {
		if n > 3 {
			return
		}
		// Between page requests: some rows land at the end of the frozen window (ascending order
		// keeps the offsets of the rows before them), others after it, for the next poll.
		f.addLocked(nextID, same(req.LTE, 3)...)
		f.addLocked(nextID+3, same(time.Now().UnixMilli(), 4)...)
		nextID += 7
		inserted += 7
	}
	cfg := testConfig(t, f, base)
	cfg.SettleDelay = 20 * time.Millisecond
	r := startReceiver(t, cfg, t.TempDir())
	r.waitRecords(300 + 21)
	// Let a few more polls run: nothing may come twice.
	n := len(f.log())
	require.Eventually(t, func() bool { return len(f.log()) > n+3 }, waitFor, tick)
	r.stop()
	want := idRange(1, 300)
	for i := range 21 {
		want = append(want, strconv.FormatInt(10_000+int64(i), 10))
	}
	require.Equal(t, 21, inserted)
	requireExactlyOnce(t, r.uids(), want)
}

func TestOneMillisecondBeyondMaxEventsPerPoll(t *testing.T) {
	f := newFakeXSOAR(t, true)
	base := pastMs()
	f.add(1, base-5, base-4)
	burst := rekeyOffset + 1500
	f.add(3, same(base, burst)...)
	cfg := testConfig(t, f, base-10)
	cfg.Poll.MaxEventsPerPoll = 300
	r := startReceiver(t, cfg, t.TempDir())
	r.waitRecords(burst + 2)
	n := len(f.log())
	require.Eventually(t, func() bool { return len(f.log()) > n+burst/100 }, waitFor, tick, "a full re-read of the boundary millisecond")
	r.stop()
	requireExactlyOnce(t, r.uids(), idRange(1, burst+2))
	// The first walk re-keyed once (to the burst's millisecond), then walked on by offset.
	var rekeyed bool
	for _, l := range f.log() {
		if l.GTE == base && l.SearchFrom >= rekeyOffset {
			rekeyed = true
		}
	}
	assert.True(t, rekeyed, "walked past offset %d inside the one millisecond", rekeyOffset)
}

func TestRekeyOnLargeOffsets(t *testing.T) {
	f := newFakeXSOAR(t, true)
	base := pastMs()
	n := rekeyOffset + 1350
	times := spaced(base, n, 1)
	f.add(1, times...)
	r := startReceiver(t, testConfig(t, f, base), t.TempDir())
	r.waitRecords(n)
	r.stop()
	requireExactlyOnce(t, r.uids(), idRange(1, n))
	log := f.log()
	pages := rekeyOffset / 100
	require.Greater(t, len(log), pages)
	assert.Equal(t, rekeyOffset-100, log[pages-1].SearchFrom)
	// After rekeyOffset records the window restarts at the newest millisecond returned.
	assert.Equal(t, times[rekeyOffset-1], log[pages].GTE)
	assert.Equal(t, 0, log[pages].SearchFrom)
	assert.Equal(t, log[0].LTE, log[pages].LTE)
	for _, l := range log {
		assert.Less(t, l.SearchFrom, rekeyOffset)
	}
}

func TestRestartResumesWithoutDuplicates(t *testing.T) {
	for _, overlap := range []time.Duration{0, 10 * time.Second} {
		t.Run("overlap "+overlap.String(), func(t *testing.T) {
			f := newFakeXSOAR(t, true)
			base := pastMs()
			last := base + 500
			f.add(1, spaced(base, 115, 1)...)
			f.add(116, same(last, 5)...) // the newest millisecond holds several records
			dir := t.TempDir()
			cfg := testConfig(t, f, base)
			cfg.Poll.Overlap = overlap

			r1 := startReceiver(t, cfg, dir)
			r1.waitRecords(120)
			r1.stop()
			requireExactlyOnce(t, r1.uids(), idRange(1, 120))

			// While the collector is down, more records arrive, two of them in the boundary millisecond.
			f.add(121, same(last, 2)...)
			f.add(123, spaced(last+1, 28, 2)...)
			before := len(f.log())

			// The same settings, written differently, still name the same checkpoint.
			cfg2 := testConfig(t, f, base)
			cfg2.Poll.Overlap = overlap
			cfg2.Path = defaultPath + "/"
			cfg2.APIKeyID = " " + testKeyID + " "
			r2 := startReceiver(t, cfg2, dir)
			r2.waitRecords(30)
			n := len(f.log())
			require.Eventually(t, func() bool { return len(f.log()) > n+2 }, waitFor, tick)
			r2.stop()
			requireExactlyOnce(t, r2.uids(), idRange(121, 30))
			assert.Equal(t, last-overlap.Milliseconds(), f.log()[before].GTE, "the new receiver resumes at the stored checkpoint, less the overlap")
		})
	}
}

// With an overlap, every poll reads again that far behind the checkpoint: a record inserted late,
// behind records already delivered, is still found; what was delivered is not sent again.
func TestOverlapCatchesLateInserts(t *testing.T) {
	f := newFakeXSOAR(t, true)
	base := pastMs()
	times := spaced(base, 150, 10) // 1.5 s of records
	f.add(1, times...)
	cfg := testConfig(t, f, base)
	cfg.Poll.Overlap = 3 * time.Second
	r := startReceiver(t, cfg, t.TempDir())
	r.waitRecords(150)

	newest := times[149]
	f.add(1000, newest-2500)   // late, but inside the overlap
	f.add(1001, newest-60_000) // later than the overlap covers: the documented limit
	r.waitRecords(151)
	n := len(f.log())
	require.Eventually(t, func() bool { return len(f.log()) > n+5 }, waitFor, tick)
	r.stop()

	requireExactlyOnce(t, r.uids(), append(idRange(1, 150), "1000"))
	log := f.log()
	assert.Equal(t, newest-3000, log[len(log)-1].GTE, "each poll starts the overlap before the checkpoint")
}

func TestSecretsStayOut(t *testing.T) {
	f := newFakeXSOAR(t, true)
	// An error reply that echoes the request's credentials must not carry them into errors or logs.
	f.fault = func(n int, _ auditRequest) *fakeResponse {
		switch n {
		case 1:
			return &fakeResponse{status: http.StatusTooManyRequests, body: "rate limited for key " + testKey}
		case 2:
			return &fakeResponse{status: http.StatusOK, body: `{"reply":{"err_code":"500","err_msg":"bad key ` + testKey + `"}}`}
		case 3:
			return &fakeResponse{status: http.StatusUnauthorized, body: `{"reply":{"err_code":401,"err_msg":"unauthorized ` + testKey + `"}}`}
		}
		return nil
	}
	base := pastMs()
	f.add(1, base)
	dir := t.TempDir()
	cfg := testConfig(t, f, base)
	cfg.Poll.Retry.MaxElapsedTime = 0 // retry until it works
	r := startReceiver(t, cfg, dir)
	err := r.waitStatus(componentstatus.StatusPermanentError)
	r.stop()
	require.GreaterOrEqual(t, len(f.log()), 3)

	assert.NotContains(t, err.Error(), testKey)
	assert.Contains(t, err.Error(), "[REDACTED]")
	recoverable := r.host.LastErr(componentstatus.StatusRecoverableError)
	require.Error(t, recoverable)
	assert.NotContains(t, recoverable.Error(), testKey)
	require.NotZero(t, r.logs.Len())
	for _, e := range r.logs.All() {
		assert.NotContains(t, e.Message, testKey)
		for k, v := range e.ContextMap() {
			assert.NotContains(t, k, testKey)
			assert.NotContains(t, toString(v), testKey)
		}
	}
	// Nor in the stored checkpoint.
	_ = filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, rerr := os.ReadFile(path)
			require.NoError(t, rerr)
			assert.NotContains(t, string(b), testKey)
		}
		return nil
	})
}

func toString(v any) string {
	if e, ok := v.(error); ok {
		return e.Error()
	}
	return fmt.Sprint(v)
}
