package cyberarkispreceiver

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/config/configretry"
	"go.uber.org/zap"

	"github.com/secaudit/otelcol-audit/internal/httpapi"
	"github.com/secaudit/otelcol-audit/internal/poller"
)

// newTestTokens returns a token source over a server answering body, and its request count.
func newTestTokens(t *testing.T, status int, body string) (*tokenSource, *atomic.Int32, *time.Time) {
	t.Helper()
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		assert.Equal(t, "/OAuth2/Token/App1", r.URL.Path)
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	api := httpapi.New(httpapi.Settings{HTTP: srv.Client(), Retry: configretry.BackOffConfig{Enabled: false}, Secrets: httpapi.NewSecrets("pw-123456")})
	u, err := url.Parse(srv.URL)
	require.NoError(t, err)
	cfg := &Config{WebAppID: "App1", ClientID: "svc", ClientSecret: "pw-123456", APIKey: "key-123456"}
	ts := newTokenSource(api, u, cfg, zap.NewNop())
	now := time.Date(2025, 9, 15, 17, 10, 0, 0, time.UTC)
	ts.now = func() time.Time { return now }
	return ts, &n, &now
}

func TestTokenLifetimeAndRenewal(t *testing.T) {
	tests := []struct {
		name      string
		expiresIn string
		renewAt   time.Duration
	}{
		{"six hours", `21600`, 21600*time.Second - time.Minute},
		{"one hour as a string", `"3600"`, 3600*time.Second - time.Minute},
		{"short: a tenth of the lifetime", `100`, 90 * time.Second},
		{"absent: six hours", ``, 6*time.Hour - time.Minute},
		{"nonsense: six hours", `"soon"`, 6*time.Hour - time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := `{"access_token":"eyJ.abc","token_type":"BEARER"`
			if tt.expiresIn != "" {
				body += `,"expires_in":` + tt.expiresIn
			}
			ts, n, now := newTestTokens(t, http.StatusOK, body+`}`)
			start := *now

			tok, err := ts.get(t.Context())
			require.NoError(t, err)
			assert.Equal(t, "Bearer eyJ.abc", tok, "token_type is matched in any case, sent as Bearer")

			*now = start.Add(tt.renewAt - time.Second)
			_, err = ts.get(t.Context())
			require.NoError(t, err)
			assert.Equal(t, int32(1), n.Load(), "cached until shortly before expiry")

			*now = start.Add(tt.renewAt)
			_, err = ts.get(t.Context())
			require.NoError(t, err)
			assert.Equal(t, int32(2), n.Load(), "renewed at the margin")
		})
	}
}

func TestTokenInvalidate(t *testing.T) {
	ts, n, _ := newTestTokens(t, http.StatusOK, `{"access_token":"a","token_type":"Bearer","expires_in":3600}`)
	tok, err := ts.get(t.Context())
	require.NoError(t, err)
	ts.invalidate("Bearer some-older-token") // another caller's stale token: keep ours
	_, err = ts.get(t.Context())
	require.NoError(t, err)
	assert.Equal(t, int32(1), n.Load())
	ts.invalidate(tok)
	_, err = ts.get(t.Context())
	require.NoError(t, err)
	assert.Equal(t, int32(2), n.Load())
}

func TestTokenResponseProblems(t *testing.T) {
	tests := []struct {
		name      string
		status    int
		body      string
		permanent bool
		want      []string
	}{
		{"no access_token", http.StatusOK, `<html><body>Sign in</body></html>`, false, []string{"identity_url", "HTML page"}},
		{"not a bearer token", http.StatusOK, `{"access_token":"x","token_type":"mac"}`, true, []string{"jwtRS256"}},
		{"unknown app", http.StatusBadRequest, `{"error":"invalid_request","error_description":"unknown app App1"}`, true, []string{"web_app_id", "case-sensitive"}},
		{"invalid client", http.StatusUnauthorized, `{"error":"invalid_client","error_description":"bad secret pw-123456"}`, true, []string{"client_id", "client_secret", "[REDACTED]"}},
		{"invalid grant", http.StatusBadRequest, `{"error":"invalid_grant","error_description":"invalid grant type"}`, true, []string{"Client Creds"}},
		{"invalid scope", http.StatusBadRequest, `{"error":"invalid_scope"}`, true, []string{"isp.audit.events:read"}},
		{"forbidden", http.StatusForbidden, ``, true, []string{"Run permission"}},
		{"not found", http.StatusNotFound, `Not Found`, true, []string{"identity_url", "web_app_id"}},
		{"unavailable", http.StatusServiceUnavailable, `busy`, false, []string{"503"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts, _, _ := newTestTokens(t, tt.status, tt.body)
			_, err := ts.get(t.Context())
			require.Error(t, err)
			assert.Equal(t, tt.permanent, poller.IsPermanent(err), err.Error())
			for _, w := range tt.want {
				assert.Contains(t, err.Error(), w)
			}
			assert.NotContains(t, err.Error(), "pw-123456")
		})
	}
}
