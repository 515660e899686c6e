package xsoarauditreceiver

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/config/configopaque"

	"github.com/secaudit/otelcol-audit/internal/failkind"
	"github.com/secaudit/otelcol-audit/internal/httpapi"
	"github.com/secaudit/otelcol-audit/internal/jsonpdata"
	"github.com/secaudit/otelcol-audit/internal/poller"
)

func TestExplain(t *testing.T) {
	s := &source{url: "https://api-t.example.com" + defaultPath, path: defaultPath, level: securityAdvanced,
		secrets: httpapi.NewSecrets(testKey), auth: signer{advanced: true}}
	tests := []struct {
		name      string
		err       error
		permanent bool
		want      []string
	}{
		{"401 status", &httpapi.StatusError{Op: op, Status: 401, Body: unauthBody}, true,
			[]string{`"Public API request unauthorized"`, "api_key", "api_key_id", "security_level", "clock"}},
		{"401 inside a 200", &replyError{Code: "401", Msg: "Public API request unauthorized"}, true,
			[]string{"HTTP 200 with error", "api_key_id"}},
		{"402", &httpapi.StatusError{Op: op, Status: 402}, true, []string{"licence"}},
		{"403 with a root error", &httpapi.StatusError{Op: op, Status: 403, Body: `{"error":{"message":"no role"}}`}, true,
			[]string{`"no role"`, "role", "permission"}},
		{"404", &httpapi.StatusError{Op: op, Status: 404}, true, []string{"endpoint", "path"}},
		{"400", &httpapi.StatusError{Op: op, Status: 400, Body: "bad"}, false, []string{`"bad"`, "page_size"}},
		{"500 after retries", &httpapi.StatusError{Op: op, Status: 500}, false, []string{"wrong path or endpoint"}},
		{"503", &httpapi.StatusError{Op: op, Status: 503}, false, []string{"HTTP 503"}},
		{"reply error", &replyError{Code: "E42", Msg: "key " + testKey + " is odd"}, false, []string{"E42", "[REDACTED]"}},
		{"network", &httpapi.NetworkError{Op: op, Err: errors.New("connection refused")}, false, []string{"connection refused"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := s.explain(tt.err)
			assert.Equal(t, tt.permanent, poller.IsPermanent(err))
			for _, w := range tt.want {
				assert.Contains(t, err.Error(), w)
			}
			assert.NotContains(t, err.Error(), testKey)
			assert.ErrorIs(t, err, tt.err, "the cause stays reachable")
		})
	}
}

func TestErrMsgOf(t *testing.T) {
	assert.Equal(t, "Public API request unauthorized", errMsgOf(unauthBody))
	assert.Equal(t, "denied", errMsgOf(`{"error":"denied"}`))
	assert.Equal(t, "m", errMsgOf(`{"error":{"message":"m"}}`))
	assert.Empty(t, errMsgOf(`{"reply":{"err_msg":null}}`))
	assert.Empty(t, errMsgOf(`<html>`))
}

// A redirect, to another host or to another port of the same host, is a permanent error that
// names where it pointed and endpoint; it is never followed.
func TestRedirectNamesTheSetting(t *testing.T) {
	f := newFakeXSOAR(t, true)
	f.add(1, pastMs())
	f.fault = func(int, auditRequest) *fakeResponse {
		return &fakeResponse{status: http.StatusPermanentRedirect, header: http.Header{"Location": {"http://127.0.0.1:1/public_api/v1/audits/management_logs"}}}
	}
	cfg := testConfig(t, f, pastMs()-1000)
	cfg.Poll.PollInterval = time.Hour // one poll: any second request would be a retry
	r := startReceiver(t, cfg, t.TempDir())
	msg := r.waitStatus(componentstatus.StatusPermanentError).Error()
	for _, want := range []string{"endpoint", "redirect", "HTTP 308", "http://127.0.0.1:1"} {
		assert.Contains(t, msg, want)
	}
	assert.Len(t, f.log(), 1, "a redirect is not retried")
	assert.Zero(t, r.sink.LogRecordCount())
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

func TestPersistent500NamesPath(t *testing.T) {
	f := newFakeXSOAR(t, true)
	cfg := testConfig(t, f, pastMs())
	cfg.Path = "/xsoar/public/v1/audits/management_logs" // the wrong tree: the API answers 500
	cfg.Poll.Retry.MaxElapsedTime = 30 * time.Millisecond
	r := startReceiver(t, cfg, t.TempDir())
	// The first failed call is reported at once; the poll's error, once the retries give up, names the path.
	var err error
	require.Eventually(t, func() bool {
		err = r.host.LastErr(componentstatus.StatusRecoverableError)
		return err != nil && strings.Contains(err.Error(), "wrong path or endpoint")
	}, waitFor, tick)
	r.stop()
	t.Log(err)
	for _, w := range []string{"HTTP 500", "wrong path or endpoint", "/xsoar/public/v1/audits/management_logs", defaultPath} {
		assert.Contains(t, err.Error(), w)
	}
	assert.NoError(t, r.host.LastErr(componentstatus.StatusPermanentError), "a 500 may heal: not permanent")
	assert.Greater(t, len(f.log()), 1, "retried")
}

func TestAgentsReportsErrorsNameTheTrail(t *testing.T) {
	s := &source{url: "https://api-t.example.com" + agentsReportsPath, path: agentsReportsPath, logType: logTypeAgentsReports,
		level: securityAdvanced, secrets: httpapi.NewSecrets(), auth: signer{advanced: true}}
	for status, want := range map[int][]string{
		http.StatusNotFound:            {"log_type (\"agents_reports\")", agentsReportsPath, "only Cortex XDR and XSIAM tenants serve the agents' audit reports"},
		http.StatusForbidden:           {"permission to view agents' audit reports"},
		http.StatusPaymentRequired:     {"agents' audit reports need a licence", "XDR and XSIAM"},
		http.StatusInternalServerError: {"default \"" + agentsReportsPath + "\""},
	} {
		err := s.explain(&httpapi.StatusError{Op: agentsReportsKind.op, Status: status})
		for _, w := range want {
			assert.Contains(t, err.Error(), w, "HTTP %d", status)
		}
	}
	// The management trail keeps its messages.
	s = &source{path: defaultPath, level: securityAdvanced, secrets: httpapi.NewSecrets(), auth: signer{advanced: true}}
	err := s.explain(&httpapi.StatusError{Op: op, Status: http.StatusNotFound})
	assert.NotContains(t, err.Error(), "only Cortex")
	assert.Contains(t, err.Error(), defaultPath)
}

// Every failure the receiver diagnoses carries the group of the Troubleshooting subsection that
// lists it, for auditctl to read; the others carry none, and nothing is guessed from text.
func TestFailuresAreTaggedWithTheirGroup(t *testing.T) {
	reply := func(status int, body string) *fakeResponse { return &fakeResponse{status: status, body: body} }
	tests := []struct {
		name   string
		answer *fakeResponse
		group  failkind.Group // "": untagged
	}{
		{"401", reply(http.StatusUnauthorized, unauthBody), failkind.Authentication},
		{"401 inside a 200", reply(http.StatusOK, unauthBody), failkind.Authentication},
		{"402", reply(http.StatusPaymentRequired, `{"reply":{"err_code":402,"err_msg":"no licence"}}`), failkind.Authentication},
		{"403", reply(http.StatusForbidden, `{"reply":{"err_code":403,"err_msg":"no role"}}`), failkind.Authentication},
		{"404", reply(http.StatusNotFound, "<html>Not Found</html>"), failkind.Connection},
		{"500", reply(http.StatusInternalServerError, `{"reply":{"err_code":500,"err_msg":"An error occurred"}}`), failkind.Connection},
		{"redirect", &fakeResponse{status: http.StatusFound, header: http.Header{"Location": {"https://console.example/login"}}}, failkind.Connection},
		{"HTML with 200", reply(http.StatusOK, "<!DOCTYPE html><title>Sign in</title>"), failkind.Connection},
		{"not JSON", reply(http.StatusOK, "OK"), failkind.Connection},
		{"empty body", reply(http.StatusOK, ""), failkind.Connection},
		{"no reply object", reply(http.StatusOK, `{"data":[]}`), failkind.Connection},
		{"more values than any page", reply(http.StatusOK, `{"reply":{"data":[{"AUDIT_ID":1,"x":[`+
			strings.Repeat("0,", maxPageSize*jsonpdata.ValuesPerRecord)+`0]}]}}`), failkind.Connection},
		{"400", reply(http.StatusBadRequest, `{"reply":{"err_code":400,"err_msg":"bad filter"}}`), failkind.Configuration},
		{"429", reply(http.StatusTooManyRequests, ""), ""},
		{"503", reply(http.StatusServiceUnavailable, ""), ""},
		{"truncated page", reply(http.StatusOK, `{"reply":{"data":[{"AUDIT_ID":1,`), ""},
		{"an error code of its own", reply(http.StatusOK, `{"reply":{"err_code":"E42","err_msg":"odd"}}`), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeXSOAR(t, true)
			f.fault = func(int, auditRequest) *fakeResponse { return tt.answer }
			src := testSource(t, f, nil)
			_, _, err := src.Open(time.UnixMilli(pastMs())).Next(t.Context())
			require.Error(t, err)
			group, tagged := failkind.Of(err)
			assert.Equal(t, tt.group != "", tagged, "%v", err)
			assert.Equal(t, tt.group, group, "%v", err)
		})
	}

	t.Run("reply over the byte cap", func(t *testing.T) {
		f := newFakeXSOAR(t, true)
		f.add(1, spaced(pastMs(), 50, 1)...)
		src := testSource(t, f, nil)
		src.api = httpapi.New(httpapi.Settings{HTTP: f.srv.Client(), MaxResponseBytes: 1024})
		_, _, err := src.Open(time.UnixMilli(pastMs() - 1000)).Next(t.Context())
		var tooLarge *httpapi.TooLargeError
		require.ErrorAs(t, err, &tooLarge)
		group, _ := failkind.Of(err)
		assert.Equal(t, failkind.Connection, group)
	})
}

// A failure that outlasted the retries keeps the HTTP client's account of them, read from the
// error, not from its text.
func TestGaveUpAccountIsKept(t *testing.T) {
	s := &source{url: "https://api-t.example.com" + defaultPath, path: defaultPath, secrets: httpapi.NewSecrets()}
	err := s.explain(&httpapi.GaveUpError{Err: &httpapi.StatusError{Op: op, Status: 500}, Attempts: 4, Elapsed: 3 * time.Second})
	assert.Contains(t, err.Error(), "HTTP 500 Internal Server Error (gave up after 4 attempts in 3s): the API keeps failing")
	group, _ := failkind.Of(err)
	assert.Equal(t, failkind.Connection, group)
}
