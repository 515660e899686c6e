package cyberarkispreceiver

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/receiver/receivertest"

	"github.com/secaudit/otelcol-audit/internal/failkind"
	"github.com/secaudit/otelcol-audit/internal/httpapi"
	"github.com/secaudit/otelcol-audit/internal/poller"
	"github.com/secaudit/otelcol-audit/receiver/cyberarkispreceiver/internal/metadata"
)

// A redirect on any call is a permanent error that names where it pointed and the setting to
// check; it is never followed.
func TestRedirectsNameTheSetting(t *testing.T) {
	for _, tt := range []struct {
		op      string
		setting string
	}{
		{"token", "identity_url"},
		{"createQuery", "endpoint"},
		{"results", "endpoint"},
	} {
		t.Run(tt.op, func(t *testing.T) {
			s := newFakeISP(t)
			s.add(makeEvents("r", 5, time.Now().Add(-time.Hour), 5)...)
			for n := 1; n <= 50; n++ {
				s.respondAt(tt.op, n, fakeResponse{status: http.StatusTemporaryRedirect,
					header: map[string]string{"Location": "https://login.example.com:8443/sso?token=abc"}})
			}
			cfg := testConfig(s)
			cfg.Poll.PollInterval = time.Hour // one poll: any second call would be a retry
			h := start(t, cfg, t.TempDir())
			require.Eventually(t, func() bool { return h.host.LastErr(componentstatus.StatusPermanentError) != nil }, waitFor, 10*time.Millisecond)
			msg := h.host.LastErr(componentstatus.StatusPermanentError).Error()
			for _, want := range []string{tt.setting, "redirect", "HTTP 307", "https://login.example.com:8443"} {
				assert.Contains(t, msg, want)
			}
			assert.NotContains(t, msg, "token=abc")
			assert.Equal(t, 1, s.count(tt.op), "a redirect is not retried")
			assert.Zero(t, h.sink.LogRecordCount())
		})
	}
}

// Every failure the receiver diagnoses carries the group of the README's Troubleshooting
// subsection that lists it, for auditctl; failures it does not diagnose carry none.
func TestDiagnosedFailuresAreTagged(t *testing.T) {
	html := fakeResponse{status: http.StatusOK, body: "<html><body>Sign in</body></html>"}
	redirect := fakeResponse{status: http.StatusFound, header: map[string]string{"Location": "https://portal.example.com/"}}
	tests := []struct {
		name   string
		modify func(*Config, *fakeISP)
		want   failkind.Group // "" for untagged
	}{
		{"token: unknown app", func(c *Config, _ *fakeISP) { c.WebAppID = "otelapp" }, failkind.Authentication},
		{"token: wrong client secret", func(c *Config, _ *fakeISP) { c.ClientSecret = "Wr0ng-Passw0rd!" }, failkind.Authentication},
		{"token: 403", script("token", fakeResponse{status: http.StatusForbidden}), failkind.Authentication},
		{"token: 404 page", script("token", fakeResponse{status: http.StatusNotFound, body: "<html>Not Found</html>"}), failkind.Connection},
		{"token: 400 without an OAuth code", script("token", fakeResponse{status: http.StatusBadRequest, body: "Bad Request"}), failkind.Configuration},
		{"token: redirect", script("token", redirect), failkind.Connection},
		{"token: HTML page without a token", script("token", html), failkind.Connection},
		{"token: refused by the Audit API", func(_ *Config, s *fakeISP) { s.rejectTokens = true }, failkind.Authentication},
		{"createQuery: wrong api key", func(c *Config, _ *fakeISP) { c.APIKey = "ak-wrong-0000" }, failkind.Authentication},
		{"createQuery: wrong endpoint", func(c *Config, s *fakeISP) { c.ClientConfig.Endpoint = s.URL() + "/audit" }, failkind.Connection},
		{"createQuery: query refused", script("createQuery", fakeResponse{status: http.StatusBadRequest, body: `{"message":"Bad Request"}`}), failkind.Configuration},
		{"createQuery: no cursorRef", script("createQuery", html), failkind.Connection},
		{"createQuery: redirect", script("createQuery", redirect), failkind.Connection},
		{"createQuery: other 4xx", script("createQuery", fakeResponse{status: http.StatusConflict, body: `{"message":"tenant suspended"}`}), ""},
		{"createQuery: 5xx after retries", script("createQuery", fakeResponse{status: http.StatusServiceUnavailable}), ""},
		{"results: HTML page", script("results", html), failkind.Connection},
		{"results: redirect", script("results", redirect), failkind.Connection},
		{"results: larger than any page", script("results", fakeResponse{status: http.StatusOK, body: `{"data":[],"pad":"` + strings.Repeat("x", maxPageSize*maxEventBytes) + `"}`}), failkind.Connection},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newFakeISP(t)
			s.add(makeEvents("tag", 5, time.Now().Add(-time.Hour), 5)...)
			cfg := testConfig(s)
			cfg.Poll.Retry.MaxElapsedTime = 100 * time.Millisecond
			tt.modify(cfg, s)
			err := drain(t, cfg)
			require.Error(t, err)
			group, ok := failkind.Of(err)
			if tt.want == "" {
				assert.False(t, ok, "untagged, got %q: %v", group, err)
				return
			}
			assert.True(t, ok, "tagged: %v", err)
			assert.Equal(t, tt.want, group, "%v", err)
		})
	}
}

// The token refusal keeps the HTTP error it explains in the chain.
func TestTokenRefusalKeepsTheStatusError(t *testing.T) {
	s := newFakeISP(t)
	cfg := testConfig(s)
	cfg.ClientSecret = "Wr0ng-Passw0rd!"
	err := drain(t, cfg)
	var se *httpapi.StatusError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, opToken, se.Op)
	assert.True(t, poller.IsPermanent(err))
}

// script answers every call of op with r.
func script(op string, r fakeResponse) func(*Config, *fakeISP) {
	return func(_ *Config, s *fakeISP) {
		for n := 1; n <= 50; n++ {
			s.respondAt(op, n, r)
		}
	}
}

// drain reads one query from an hour ago with the receiver's source, as a poll does, and
// returns its first error.
func drain(t *testing.T, cfg *Config) error {
	t.Helper()
	src, release, err := poller.OpenSource(t.Context(), spec, cfg, receivertest.NewNopSettings(metadata.Type), nil, nil, nil)
	require.NoError(t, err)
	defer release()
	q := src.Open(time.Now().Add(-time.Hour))
	for {
		page, done, err := q.Next(t.Context())
		if err != nil || done {
			return err
		}
		if page.Decode != nil {
			if _, err := page.Decode(); err != nil {
				return err
			}
		}
	}
}

// A token refusal's description, decoded from JSON, can spell characters that reorder or hide
// text in the log line: they are escaped, as in any quoted vendor text.
func TestTokenRefusalEscapesHiddenCharacters(t *testing.T) {
	s := newFakeISP(t)
	cfg := testConfig(s)
	s.respondAt(opToken, 1, fakeResponse{status: http.StatusBadRequest,
		body: `{"error":"invalid_client","error_description":"bad \u202esecret\u202c\u200b\u2028\u009b2J x` + "\u2066" + `"}`})
	err := drain(t, cfg)
	require.Error(t, err)
	for _, r := range err.Error() {
		assert.False(t, httpapi.Hidden(r), "%U is raw in %q", r, err.Error())
	}
	assert.Contains(t, err.Error(), `bad \u202esecret\u202c\u200b`)
}
