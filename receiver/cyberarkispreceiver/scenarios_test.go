// Behaviour over time: token renewal, restarts, outages, late records, exactly-once delivery.
// Most scenarios run the real receiver against the strict fake of fake_test.go, which scripts
// one situation exactly; TestAgainstSimulator runs it against internal/testsupport/simulator,
// for volume and a mix of faults, as xsoaraudit's scenarios do.

package cyberarkispreceiver

import (
	"net/http"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/storage/storagetest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componentstatus"

	"github.com/secaudit/otelcol-audit/internal/testsupport/simulator"
)

func TestTokenRenewedBeforeExpiry(t *testing.T) {
	s := newFakeISP(t)
	s.expiresIn = 2 // renewed 0.2 s before expiry (a tenth of the lifetime)
	s.skew = 100 * time.Millisecond
	events := makeEvents("exp", 20, time.Now().Add(-time.Hour), 5)
	s.add(events...)
	h := start(t, testConfig(s), t.TempDir())
	h.requireExactlyOnce(t, events)

	require.Eventually(t, func() bool { return s.count("token") >= 2 }, waitFor, 20*time.Millisecond)
	more := makeEvents("exp-late", 10, events[len(events)-1].ts.Add(time.Second), 5)
	s.add(more...)
	h.requireExactlyOnce(t, append(events, more...))
	s.mu.Lock()
	defer s.mu.Unlock()
	assert.Zero(t, s.unauthorized, "the token is renewed before it expires, never after a 401")
}

func TestRevokedTokenIsRenewedOnce(t *testing.T) {
	s := newFakeISP(t)
	events := makeEvents("rev", 1100, time.Now().Add(-time.Hour), 50)
	s.add(events...)
	// The token is revoked while the query is being read.
	s.hook = func(op string, n int) {
		if op == "results" && n == 2 {
			clear(s.tokens)
		}
	}
	h := start(t, testConfig(s), t.TempDir())
	h.requireExactlyOnce(t, events)
	assert.Equal(t, 2, s.count("token"))
	s.mu.Lock()
	assert.Equal(t, 1, s.unauthorized)
	s.mu.Unlock()
	assert.Equal(t, 1, s.count("createQuery"), "the same query continues with the new token")
	assert.NoError(t, h.host.LastErr(componentstatus.StatusPermanentError))
}

func TestTokenRefusedTwiceIsPermanent(t *testing.T) {
	s := newFakeISP(t)
	s.rejectTokens = true // the web app has no claims script: every token gets 401
	s.add(makeEvents("claims", 5, time.Now().Add(-time.Hour), 5)...)
	h := start(t, testConfig(s), t.TempDir())
	require.Eventually(t, func() bool { return h.host.LastErr(componentstatus.StatusPermanentError) != nil }, waitFor, 10*time.Millisecond)
	msg := h.host.LastErr(componentstatus.StatusPermanentError).Error()
	for _, want := range []string{"Advanced tab", "tenant_id", "aud", "web_app_id", "permissions", "401"} {
		assert.Contains(t, msg, want)
	}
	assert.GreaterOrEqual(t, s.count("token"), 2)
	assert.Zero(t, h.sink.LogRecordCount())
}

func TestTokenEndpointErrorsNameTheSetting(t *testing.T) {
	tests := []struct {
		name   string
		modify func(*Config)
		script *fakeResponse
		want   []string
	}{
		{name: "unknown app", modify: func(c *Config) { c.WebAppID = "otelapp" },
			want: []string{"web_app_id", "case-sensitive", "unknown app otelapp", "invalid_request"}},
		{name: "wrong client secret", modify: func(c *Config) { c.ClientSecret = "Wr0ng-Passw0rd!" },
			want: []string{"client_id", "client_secret", "invalid_client"}},
		{name: "client creds not enabled", script: &fakeResponse{status: http.StatusBadRequest,
			body: `{"error":"invalid_grant","error_description":"invalid grant type"}`},
			want: []string{"Client Creds", "invalid_grant"}},
		{name: "scope missing", script: &fakeResponse{status: http.StatusBadRequest,
			body: `{"error":"invalid_scope","error_description":"scope not allowed"}`},
			want: []string{"isp.audit.events:read", "Scope tab"}},
		{name: "not an oauth body", script: &fakeResponse{status: http.StatusNotFound, body: `<html>Not Found</html>`},
			want: []string{"identity_url", "HTTP 404"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newFakeISP(t)
			if tt.script != nil {
				for n := 1; n <= 50; n++ {
					s.respondAt("token", n, *tt.script)
				}
			}
			cfg := testConfig(s)
			if tt.modify != nil {
				tt.modify(cfg)
			}
			h := start(t, cfg, t.TempDir())
			require.Eventually(t, func() bool { return h.host.LastErr(componentstatus.StatusPermanentError) != nil }, waitFor, 10*time.Millisecond)
			msg := h.host.LastErr(componentstatus.StatusPermanentError).Error()
			for _, want := range tt.want {
				assert.Contains(t, msg, want)
			}
			assert.NotContains(t, msg, string(cfg.ClientSecret))
			assert.Zero(t, s.count("createQuery"))
		})
	}
}

func TestAuditAPIErrorsNameTheSetting(t *testing.T) {
	tests := []struct {
		name   string
		modify func(*Config, *fakeISP)
		want   []string
	}{
		{name: "wrong api key (403)", modify: func(c *Config, _ *fakeISP) { c.APIKey = "ak-wrong-0000" },
			want: []string{"api_key", "Export to SIEM", "403"}},
		{name: "wrong base URL (404)", modify: func(c *Config, s *fakeISP) { c.ClientConfig.Endpoint = s.URL() + "/audit" },
			want: []string{"endpoint", "API base URL", "404"}},
		{name: "page size refused (400 on createQuery)", modify: func(_ *Config, s *fakeISP) {
			for n := 1; n <= 50; n++ {
				s.respondAt("createQuery", n, fakeResponse{status: http.StatusBadRequest, body: `{"message":"Bad Request"}`})
			}
		}, want: []string{"page_size", "400"}},
		{name: "other 4xx", modify: func(_ *Config, s *fakeISP) {
			for n := 1; n <= 50; n++ {
				s.respondAt("createQuery", n, fakeResponse{status: http.StatusConflict, body: `{"message":"tenant suspended"}`})
			}
		}, want: []string{"409", "tenant suspended"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newFakeISP(t)
			s.add(makeEvents("err", 5, time.Now().Add(-time.Hour), 5)...)
			cfg := testConfig(s)
			tt.modify(cfg, s)
			h := start(t, cfg, t.TempDir())
			require.Eventually(t, func() bool { return h.host.LastErr(componentstatus.StatusPermanentError) != nil }, waitFor, 10*time.Millisecond)
			msg := h.host.LastErr(componentstatus.StatusPermanentError).Error()
			for _, want := range tt.want {
				assert.Contains(t, msg, want)
			}
			assert.NotContains(t, msg, string(cfg.APIKey), "the echoed key is scrubbed")
			assert.Zero(t, h.sink.LogRecordCount())
		})
	}
}

func TestRejectedCursorRecreatesTheQuery(t *testing.T) {
	s := newFakeISP(t)
	// 25 events share each second, so the page boundary (event 500) falls inside a second and
	// the re-created query repeats part of it.
	events := makeEvents("cur", 1210, time.Now().Add(-time.Hour), 25)
	s.add(events...)
	s.respondAt("results", 2, fakeResponse{status: http.StatusBadRequest, body: `{"message":"cursor expired"}`})
	h := start(t, testConfig(s), t.TempDir())
	h.requireExactlyOnce(t, events)

	froms := s.froms()
	require.GreaterOrEqual(t, len(froms), 2)
	assert.Equal(t, events[499].ts.UTC().Truncate(time.Second).Format(dateLayout), froms[1],
		"re-created from the newest event returned so far")
	assert.Contains(t, h.logText(), "no longer accepts the query cursor")
	assert.NoError(t, h.host.LastErr(componentstatus.StatusPermanentError))
}

func TestRetryAfterIsHonoured(t *testing.T) {
	s := newFakeISP(t)
	events := makeEvents("429", 40, time.Now().Add(-time.Hour), 10)
	s.add(events...)
	s.respondAt("results", 1, fakeResponse{status: http.StatusTooManyRequests, header: map[string]string{"Retry-After": "1"},
		body: `{"message":"Too Many Requests"}`})
	h := start(t, testConfig(s), t.TempDir())
	h.requireExactlyOnce(t, events)

	s.mu.Lock()
	defer s.mu.Unlock()
	gap := s.times["results"][1].Sub(s.times["results"][0])
	assert.GreaterOrEqual(t, gap, 900*time.Millisecond, "waited for Retry-After, not the 5 ms backoff")
	assert.Equal(t, 1, s.calls["createQuery"], "the call was retried, not the poll")
}

func TestServerErrorBurstsAreRetried(t *testing.T) {
	s := newFakeISP(t)
	events := makeEvents("5xx", 700, time.Now().Add(-time.Hour), 20)
	s.add(events...)
	for n, status := range map[int]int{1: 502, 2: 503, 3: 500} {
		s.respondAt("createQuery", n, fakeResponse{status: status, body: "upstream unavailable"})
	}
	for n := 2; n <= 5; n++ { // a burst in the middle of the query
		s.respondAt("results", n, fakeResponse{status: http.StatusServiceUnavailable, body: "<html>503</html>"})
	}
	h := start(t, testConfig(s), t.TempDir())
	h.requireExactlyOnce(t, events)
	assert.NoError(t, h.host.LastErr(componentstatus.StatusPermanentError))
}

// A body that is not a complete page (cut JSON, an HTML page with status 200) emits nothing
// and leaves the checkpoint where it was: the next query starts from the same second.
func TestBrokenPagesEmitNothing(t *testing.T) {
	events := makeEvents("broken", 30, time.Now().Add(-time.Hour), 10)
	full := page(events[:10], "c2")
	for name, body := range map[string]string{
		"truncated JSON":   full[:len(full)/2],
		"HTML with 200":    "<!DOCTYPE html><html><head><title>Sign in</title></head><body>Please sign in</body></html>",
		"empty body":       "",
		"JSON but no data": `{"message":"maintenance"}`,
	} {
		t.Run(name, func(t *testing.T) {
			s := newFakeISP(t)
			s.add(events...)
			s.respondAt("results", 1, fakeResponse{status: http.StatusOK, header: map[string]string{"Content-Type": "text/html"}, body: body})
			delivered := -1
			var h *harness
			s.hook = func(op string, n int) {
				if op == "createQuery" && n == 2 {
					delivered = h.sink.LogRecordCount()
				}
			}
			h = start(t, testConfig(s), t.TempDir())
			h.requireExactlyOnce(t, events)
			froms := s.froms()
			require.GreaterOrEqual(t, len(froms), 2)
			assert.Equal(t, froms[0], froms[1], "the checkpoint did not move")
			s.mu.Lock()
			assert.Zero(t, delivered, "nothing was emitted from the broken page")
			s.mu.Unlock()
			assert.NoError(t, h.host.LastErr(componentstatus.StatusPermanentError))
			assert.Contains(t, h.logText(), "reading a results page")
		})
	}
}

func TestDuplicateUUIDInAPageIsEmittedOnce(t *testing.T) {
	s := newFakeISP(t)
	events := makeEvents("dup", 12, time.Now().Add(-time.Hour), 4)
	withDup := append(append(append([]fakeEvent{}, events[:6]...), events[5]), events[6:]...)
	s.add(withDup...)
	h := start(t, testConfig(s), t.TempDir())
	h.requireExactlyOnce(t, events)
}

func TestRestartResumesWithoutDuplicates(t *testing.T) {
	s := newFakeISP(t)
	dir := t.TempDir()
	base := time.Now().Add(-time.Hour)
	first := makeEvents("r1", 620, base, 30)
	s.add(first...)
	h1 := start(t, testConfig(s), dir)
	h1.requireExactlyOnce(t, first)
	h1.stop()
	creates := s.count("createQuery")

	// New events, the first ones in the very second of the last delivered event.
	last := first[len(first)-1].ts
	second := makeEvents("r2", 45, last.Add(time.Millisecond), 15)
	require.Equal(t, last.Truncate(time.Second), second[0].ts.Truncate(time.Second))
	s.add(second...)

	h2 := start(t, testConfig(s), dir)
	h2.requireExactlyOnce(t, second)
	froms := s.froms()
	assert.Equal(t, last.UTC().Truncate(time.Second).Format(dateLayout), froms[creates],
		"the new receiver resumes at the stored checkpoint, not at start_time")
	assert.Contains(t, h2.logText(), "Resuming from checkpoint")
}

// With overlap, an event that becomes visible after the checkpoint passed its time is still
// read, once, and the re-read window repeats nothing.
func TestOverlapCatchesLateEvents(t *testing.T) {
	s := newFakeISP(t)
	events := makeEvents("ov", 60, time.Now().Add(-time.Hour), 10)
	s.add(events...)
	cfg := testConfig(s)
	cfg.Poll.Overlap = 10 * time.Second
	h := start(t, cfg, t.TempDir())
	h.requireExactlyOnce(t, events)

	late := makeEvents("ov-late", 1, events[len(events)-1].ts.Add(-3*time.Second), 1)
	more := makeEvents("ov-new", 5, events[len(events)-1].ts.Add(time.Second), 5)
	s.add(append(late, more...)...)
	h.requireExactlyOnce(t, append(append(events, late...), more...))
	// Some query started overlap before a checkpoint, at or before the late event's second.
	found := false
	for _, f := range s.froms()[1:] {
		from, err := time.Parse(dateLayout, f)
		require.NoError(t, err)
		if !from.After(late[0].ts) && from.After(late[0].ts.Add(-11*time.Second)) {
			found = true
		}
	}
	assert.True(t, found, "queries start overlap before the checkpoint: %v", s.froms())
}

// Secrets never reach logs or errors, even when the server echoes them back.
func TestSecretsNeverLogged(t *testing.T) {
	s := newFakeISP(t)
	s.add(makeEvents("sec", 30, time.Now().Add(-time.Hour), 10)...)
	secret, key := "Sup3r-Secret-Passw0rd", "ak-9f8e7d6c5b4a"
	echo := `{"message":"temporarily unavailable for key ` + key + ` and password ` + secret + `"}`
	s.respondAt("token", 1, fakeResponse{status: http.StatusServiceUnavailable, body: echo})
	s.respondAt("results", 1, fakeResponse{status: http.StatusBadGateway, body: echo})
	s.respondAt("results", 2, fakeResponse{status: http.StatusOK, body: "<html>" + key + secret + "</html>"})
	s.respondAt("results", 3, fakeResponse{status: http.StatusUnauthorized, body: echo})
	s.respondAt("results", 4, fakeResponse{status: http.StatusForbidden, body: echo})
	h := start(t, testConfig(s), t.TempDir())
	require.Eventually(t, func() bool { return h.host.LastErr(componentstatus.StatusPermanentError) != nil }, waitFor, 10*time.Millisecond)
	h.stop()

	text := h.logText()
	for _, err := range h.host.Errors() {
		text += err.Error() + "\n"
	}
	require.Contains(t, text, "[REDACTED]", "the echoed secrets reached the messages, scrubbed")
	assert.NotContains(t, text, secret)
	assert.NotContains(t, text, key)
	assert.NotContains(t, text, key[:12], "no part of a secret either")
	assert.Contains(t, text, "api_key")
}

func TestReceiverPagesToTheEmptyPage(t *testing.T) {
	s := newFakeISP(t)
	events := makeEvents("page", 1203, time.Now().Add(-time.Hour), 40)
	s.add(events...)
	cfg := testConfig(s)
	cfg.ApplicationCodes = []string{"IDP", "PAM"}
	h := start(t, cfg, t.TempDir())
	h.requireExactlyOnce(t, events)

	// 1203 events at 500 a page: three pages, then the empty page ends the first query.
	require.Eventually(t, func() bool { return s.count("results") >= 4 }, waitFor, 10*time.Millisecond)
	froms := s.froms()
	require.NotEmpty(t, froms)
	startAt := time.Now().Add(-2 * time.Hour).UTC()
	first, err := time.Parse(dateLayout, froms[0])
	require.NoError(t, err)
	assert.WithinDuration(t, startAt, first, 5*time.Second, "first query starts at start_time")
	s.mu.Lock()
	assert.Equal(t, []string{"IDP", "PAM"}, s.queries[0].appCodes)
	assert.Equal(t, 500, s.queries[0].pageSize)
	s.mu.Unlock()

	// Later polls start from the checkpoint: the second of the newest event delivered.
	last := events[len(events)-1].ts.UTC().Truncate(time.Second).Format(dateLayout)
	require.Eventually(t, func() bool { f := s.froms(); return len(f) >= 2 && f[len(f)-1] == last }, waitFor, 10*time.Millisecond)
	assert.Equal(t, 1, s.count("token"), "the token is cached")
	assert.NoError(t, h.host.LastErr(componentstatus.StatusPermanentError))

	// Events that arrive later are delivered by a following poll, once.
	more := makeEvents("late", 30, events[len(events)-1].ts.Add(time.Second), 10)
	s.add(more...)
	h.requireExactlyOnce(t, append(events, more...))
}

// The receiver reads a simulated tenant through throttling, 503s, truncated and HTML pages, an
// expired cursor and a restart, with records added while it is down and late behind what it
// delivered: every record arrives exactly once.
func TestAgainstSimulator(t *testing.T) {
	sim, err := simulator.New(simulator.Options{CyberArkBackfill: 2500, BackfillSpan: time.Hour, Seed: 42})
	require.NoError(t, err)
	cfg := startSimulator(t, sim)
	cfg.Poll.StartTime = "2 hours ago"
	cfg.Poll.PollInterval = 50 * time.Millisecond
	cfg.Poll.Overlap = 2 * time.Second
	cfg.Poll.Retry.InitialInterval = 10 * time.Millisecond
	cfg.Poll.Retry.MaxInterval = 200 * time.Millisecond
	cfg.Poll.Retry.MaxElapsedTime = 0
	id := storagetest.NewStorageID("test")
	cfg.Poll.StorageID = &id
	dir := t.TempDir()
	fault := func(f simulator.Fault) {
		f.Vendor = simulator.CyberArk
		_, err := sim.InjectFault(f)
		require.NoError(t, err)
	}
	delivered := func(hs ...*harness) (n int) {
		for _, h := range hs {
			n += h.sink.LogRecordCount()
		}
		return n
	}

	fault(simulator.Fault{Kind: simulator.FaultThrottle, Count: 2})
	fault(simulator.Fault{Kind: simulator.FaultExpireCursor, Count: 1})
	r1 := start(t, cfg, dir)
	require.Eventually(t, func() bool { return delivered(r1) >= 1000 }, waitFor, 10*time.Millisecond)
	fault(simulator.Fault{Kind: simulator.FaultTruncate, Endpoint: simulator.EndpointResults, Count: 1})
	fault(simulator.Fault{Kind: simulator.FaultStatus, Status: 503, Count: 2})
	r1.stop()

	// While the receiver is down: a burst within one second, and ordinary new records.
	_, err = sim.Burst(simulator.CyberArk, 600)
	require.NoError(t, err)
	_, err = sim.AddRecords(simulator.RecordsRequest{Vendor: simulator.CyberArk, Count: 50})
	require.NoError(t, err)

	r2 := start(t, cfg, dir)
	fault(simulator.Fault{Kind: simulator.FaultHTML, Endpoint: simulator.EndpointResults, Count: 1})
	all, err := sim.IDs(simulator.CyberArk)
	require.NoError(t, err)
	require.Eventually(t, func() bool { return delivered(r1, r2) >= len(all) }, waitFor, 10*time.Millisecond)

	// Records inserted late, behind what was delivered but within the overlap.
	late, err := sim.AddRecords(simulator.RecordsRequest{Vendor: simulator.CyberArk, Count: 5, Late: time.Second})
	require.NoError(t, err)
	all = append(all, late...)
	require.Eventually(t, func() bool { return delivered(r1, r2) >= len(all) }, waitFor, 10*time.Millisecond)
	r2.stop()
	st := sim.Stats()
	for _, status := range []int{429, 503} {
		assert.Positive(t, st.Requests["cyberark.createQuery"][status]+st.Requests["cyberark.results"][status]+st.Requests["cyberark.token"][status],
			"HTTP %d served", status)
	}
	assert.Zero(t, st.ActiveFaults, "every fault was used up")

	got := map[string]int{}
	for _, h := range []*harness{r1, r2} {
		for uid, n := range h.uids() {
			got[uid] += n
		}
	}
	assert.Len(t, got, len(all), "every record, nothing else")
	for _, uid := range all {
		assert.Equal(t, 1, got[uid], "record %s", uid)
	}
}
