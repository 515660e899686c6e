package xsoarauditreceiver

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/secaudit/otelcol-audit/internal/httpapi"
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

func TestTruncate(t *testing.T) {
	assert.Equal(t, "abc", truncate("abc", 3))
	assert.Equal(t, "ab…", truncate("abc", 2))
	assert.Equal(t, "é…", truncate("éé", 3), "never cuts a character in two")
}
