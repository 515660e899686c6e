package xsoarauditreceiver

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
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
	echoKey    = "xk-" + secrettest.Tricky
	echoHeader = `hdr"<&>/+tok-3`
)

// newEchoXSOAR is a tenant that echoes the request's credentials (a standard key is sent as
// is in Authorization) and headers back: first in 200 bodies that are not a reply, whose
// start the receiver quotes, cut inside the URL-encoded key; then raw and JSON-escaped in 500s (retried and logged),
// then in a 401 (a permanent error).
func newEchoXSOAR(t *testing.T) *httptest.Server {
	t.Helper()
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key, hdr := r.Header.Get("Authorization"), r.Header.Get("X-Tenant-Token")
		n := calls.Add(1)
		if n <= 2 {
			_, _ = w.Write([]byte("your session expired; sign in again to renew the session for key " + url.QueryEscape(key)))
			return
		}
		escapedKey, _ := json.Marshal(key)
		escapedHdr, _ := json.Marshal(hdr)
		echo := "key " + key + " " + string(escapedKey) + " header " + hdr + " " + string(escapedHdr)
		status := http.StatusInternalServerError
		if n > 12 {
			status = http.StatusUnauthorized
		}
		w.WriteHeader(status)
		body, _ := json.Marshal(map[string]any{"reply": map[string]any{"err_code": status, "err_msg": echo}})
		_, _ = w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func echoConfig(endpoint string) *Config {
	cfg := NewFactory().CreateDefaultConfig().(*Config)
	cfg.ClientConfig.Endpoint = endpoint
	cfg.ClientConfig.Headers = configopaque.MapList{{Name: "X-Tenant-Token", Value: echoHeader}}
	cfg.APIKeyID = testKeyID
	cfg.APIKey = echoKey
	cfg.SecurityLevel = securityStandard
	cfg.SettleDelay = 0
	cfg.Poll.StartTime = "1 hour ago"
	cfg.Poll.PollInterval = 20 * time.Millisecond
	cfg.Poll.RequestsPerSecond = 0
	cfg.Poll.Retry.InitialInterval = time.Millisecond
	cfg.Poll.Retry.MaxInterval = 5 * time.Millisecond
	cfg.Poll.Retry.MaxElapsedTime = 20 * time.Millisecond
	id := storagetest.NewStorageID("test")
	cfg.Poll.StorageID = &id
	return cfg
}

func TestEchoedCredentialsAreHiddenInEveryForm(t *testing.T) {
	r := startReceiver(t, echoConfig(newEchoXSOAR(t).URL), t.TempDir())
	r.waitStatus(componentstatus.StatusPermanentError)
	r.stop()

	var b strings.Builder
	for _, e := range r.logs.All() {
		b.WriteString(e.Message)
		for k, v := range e.ContextMap() {
			b.WriteString(" " + k + "=" + toString(v))
		}
		b.WriteString("\n")
	}
	for _, err := range r.host.Errors() {
		b.WriteString(err.Error() + "\n")
	}
	text := b.String()
	require.Contains(t, text, "Retrying vendor API call", "the 500s were retried and logged")
	assert.Contains(t, text, `a body starting "your session expired; sign in again to renew the session for key [REDACTED]…"`, "a body that is not a reply")
	assert.Contains(t, text, `HTTP 401 Unauthorized ("key [REDACTED] \"[REDACTED]\" header [REDACTED] \"[REDACTED]\"")`)
	secrettest.AssertHidden(t, text, echoKey, echoHeader)
}

func TestValidateRefusesProxyCredentials(t *testing.T) {
	cfg := NewFactory().CreateDefaultConfig().(*Config)
	cfg.ClientConfig.Endpoint = "mytenant.crtx.us.paloaltonetworks.com"
	cfg.APIKeyID, cfg.APIKey = testKeyID, echoKey
	cfg.ClientConfig.ProxyURL = "http://user:Pr0xy-Pass@127.0.0.1:3128"
	err := cfg.Validate()
	require.ErrorIs(t, err, httpapi.ErrProxyCredentials)
	assert.NotContains(t, err.Error(), "Pr0xy-Pass")
	cfg.ClientConfig.ProxyURL = "http://127.0.0.1:3128"
	assert.NoError(t, cfg.Validate())
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
