package cyberarkispreceiver

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/storage/storagetest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/config/configopaque"

	"github.com/secaudit/otelcol-audit/internal/httpapi"
	"github.com/secaudit/otelcol-audit/internal/testsupport/secrettest"
)

// Secrets whose URL-encoded and JSON-escaped forms differ from them.
const (
	echoSecret = "cs-" + secrettest.Tricky
	echoAPIKey = `ak<&>"/+key-2`
	echoHeader = `hdr"<&>/+tok-3`
)

// echoISP is a CyberArk tenant that echoes each request back in its error bodies, as a
// misbehaving server or proxy can: the form body as sent (the client secret URL-encoded), the
// headers, and the same values JSON-escaped. token answers the token endpoint.
type echoISP struct {
	srv    *httptest.Server
	token  func(w http.ResponseWriter, echo string)
	audits atomic.Int32
	tokens atomic.Int32
}

func newEchoISP(t *testing.T, token func(w http.ResponseWriter, echo string)) *echoISP {
	t.Helper()
	e := &echoISP{token: token}
	mux := http.NewServeMux()
	mux.HandleFunc("/OAuth2/Token/{app}", func(w http.ResponseWriter, r *http.Request) {
		e.tokens.Add(1)
		e.token(w, echoOf(r))
	})
	mux.HandleFunc("/api/audits/stream/", func(w http.ResponseWriter, r *http.Request) {
		// 500s, retried and logged at each retry, until several polls gave up on them; then a
		// 403, a permanent error.
		status := http.StatusInternalServerError
		if e.audits.Add(1) > 15 {
			status = http.StatusForbidden
		}
		writeJSON(w, status, map[string]string{"message": echoOf(r)})
	})
	e.srv = httptest.NewServer(mux)
	t.Cleanup(e.srv.Close)
	return e
}

// echoOf is everything a request carried, raw and JSON-escaped.
func echoOf(r *http.Request) string {
	body, _ := io.ReadAll(r.Body)
	parts := []string{"body " + string(body)}
	for _, h := range []string{"Authorization", "x-api-key", "X-Tenant-Token"} {
		v := r.Header.Get(h)
		escaped, _ := json.Marshal(v)
		parts = append(parts, h+" "+v, h+" escaped "+string(escaped))
		if tok, ok := strings.CutPrefix(v, "Bearer "); ok {
			parts = append(parts, "token alone "+tok)
		}
	}
	return strings.Join(parts, "; ")
}

func echoConfig(e *echoISP) *Config {
	cfg := NewFactory().CreateDefaultConfig().(*Config)
	cfg.ClientConfig.Endpoint = e.srv.URL
	cfg.ClientConfig.Headers = configopaque.MapList{{Name: "X-Tenant-Token", Value: echoHeader}}
	cfg.IdentityURL = e.srv.URL
	cfg.WebAppID = "OtelApp"
	cfg.ClientID = "svc-otel"
	cfg.ClientSecret = echoSecret
	cfg.APIKey = echoAPIKey
	cfg.Poll.StartTime = "1 hour ago"
	cfg.Poll.PollInterval = 20 * time.Millisecond
	cfg.Poll.RequestsPerSecond = 0
	cfg.Poll.Retry.InitialInterval = 5 * time.Millisecond
	cfg.Poll.Retry.MaxInterval = 10 * time.Millisecond
	cfg.Poll.Retry.MaxElapsedTime = 50 * time.Millisecond
	id := storagetest.NewStorageID("test")
	cfg.Poll.StorageID = &id
	return cfg
}

// seen is every text of the run a user can read: the logs and the status events' errors.
func (h *harness) seen() string {
	text := h.logText()
	for _, err := range h.host.Errors() {
		text += err.Error() + "\n"
	}
	return text
}

// The token endpoint refuses the request and quotes it: the form body with the client secret
// URL-encoded, and the secret JSON-escaped in an OAuth2 error_description.
func TestTokenEndpointEchoHidesTheSecrets(t *testing.T) {
	e := newEchoISP(t, func(w http.ResponseWriter, echo string) {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_client", "error_description": echo})
	})
	h := start(t, echoConfig(e), t.TempDir())
	require.Eventually(t, func() bool { return h.host.LastErr(componentstatus.StatusPermanentError) != nil }, waitFor, 10*time.Millisecond)
	h.stop()

	text := h.seen()
	assert.Contains(t, text, "invalid_client body client_id=svc-otel&client_secret=[REDACTED]&grant_type=client_credentials")
	assert.Contains(t, text, "X-Tenant-Token [REDACTED]")
	secrettest.AssertHidden(t, text, echoSecret, echoAPIKey, echoHeader)
}

// The Audit API echoes the Authorization header, the token alone, the API key and a configured
// header, raw and JSON-escaped, first in 500s (retried, logged) then in a 403.
func TestAuditAPIEchoHidesTheTokenAndTheSecrets(t *testing.T) {
	var issued atomic.Value
	e := newEchoISP(t, func(w http.ResponseWriter, _ string) {
		tok := "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzdmMifQ.sig-" + time.Now().Format("150405.000000000")
		issued.Store(tok)
		writeJSON(w, http.StatusOK, map[string]any{"access_token": tok, "token_type": "Bearer", "expires_in": 3600})
	})
	h := start(t, echoConfig(e), t.TempDir())
	require.Eventually(t, func() bool { return h.host.LastErr(componentstatus.StatusPermanentError) != nil }, waitFor, 10*time.Millisecond)
	h.stop()

	text := h.seen()
	require.Contains(t, text, "Retrying vendor API call", "the 500s were retried and logged")
	require.Error(t, h.host.LastErr(componentstatus.StatusRecoverableError), "the 500s reached a status event")
	assert.Contains(t, text, "Authorization Bearer [REDACTED]")
	assert.Contains(t, text, "token alone [REDACTED]")
	token := issued.Load().(string)
	secrettest.AssertHidden(t, text, token, echoSecret, echoAPIKey, echoHeader)
	for _, part := range strings.Split(token, ".") {
		assert.NotContains(t, text, part, "no part of the token either")
	}
}

func TestValidateRefusesProxyCredentials(t *testing.T) {
	cfg := NewFactory().CreateDefaultConfig().(*Config)
	cfg.ClientConfig.Endpoint = "https://example-domain.audit.cyberark.cloud"
	cfg.IdentityURL = "https://abc1234.id.cyberark.cloud"
	cfg.WebAppID, cfg.ClientID, cfg.ClientSecret, cfg.APIKey = "OtelApp", "svc-otel", echoSecret, echoAPIKey
	cfg.ClientConfig.ProxyURL = "http://user:Pr0xy-Pass@127.0.0.1:3128"
	err := cfg.Validate()
	require.ErrorIs(t, err, httpapi.ErrProxyCredentials)
	assert.NotContains(t, err.Error(), "Pr0xy-Pass")
	cfg.ClientConfig.ProxyURL = "http://127.0.0.1:3128"
	assert.NoError(t, cfg.Validate())
}
