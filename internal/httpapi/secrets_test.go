package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/config/configretry"

	"github.com/secaudit/otelcol-audit/internal/testsupport/secrettest"
)

func TestSecretsScrubEveryEncoding(t *testing.T) {
	s := NewSecrets(secrettest.Tricky)
	for _, form := range secrettest.Encodings(secrettest.Tricky) {
		got := s.Scrub("before " + form + " after")
		assert.Equal(t, "before [REDACTED] after", got, "form %q", form)
	}
	// Servers differ in the case of percent-escapes and in escaping / in JSON.
	for _, form := range []string{strings.ToLower(url.QueryEscape(secrettest.Tricky)), `p@ss&\"w\/rd<>+ 9`} {
		assert.Equal(t, "[REDACTED]", s.Scrub(form), "form %q", form)
	}
}

func TestSecretsTrimmedAndLineByLine(t *testing.T) {
	pem := "-----BEGIN KEY-----\nAbCdEf+/Gh==\n-----END KEY-----"
	s := NewSecrets("  padded-key\n", pem, "abc")
	assert.Equal(t, "key [REDACTED] sent", s.Scrub("key padded-key sent"), "the trimmed value is what a client sends")
	assert.Equal(t, "line [REDACTED] of a PEM", s.Scrub("line AbCdEf+/Gh== of a PEM"))
	assert.Equal(t, "line [REDACTED] URL-encoded", s.Scrub("line AbCdEf%2B%2FGh%3D%3D URL-encoded"))
	assert.Equal(t, "abc and abc%20", s.Scrub("abc and abc%20"), "values under 4 bytes are not worth garbling output for, in no form")
}

func TestSecretsReplaceTheLongerSecretWhole(t *testing.T) {
	s := NewSecrets("sim-secret", "sim-secret-longer")
	assert.Equal(t, "[REDACTED] and [REDACTED]", s.Scrub("sim-secret-longer and sim-secret"))
}

func TestSecretsScrubAnyBearerCredential(t *testing.T) {
	var s *Secrets // even without a set: a token nobody registered
	for in, want := range map[string]string{
		"Authorization: Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.sig_-x": "Authorization: Bearer [REDACTED]",
		`{"auth":"bearer  abc123def=="}`:                                    `{"auth":"bearer  [REDACTED]"}`,
		"Authorization=Bearer%20tok-42&x=1":                                 "Authorization=Bearer%20[REDACTED]&x=1",
		// Prose stays readable.
		"the Audit API needs a bearer token; set the Token Type": "the Audit API needs a bearer token; set the Token Type",
		"a bearer token.":        "a bearer token.",
		"Bearer [REDACTED] sent": "Bearer [REDACTED] sent",
	} {
		assert.Equal(t, want, s.Scrub(in), in)
	}
}

func TestSecretsRotateKeepsTheLastTwoValues(t *testing.T) {
	s := NewSecrets()
	for _, tok := range []string{"token-one-1", "token-two-2", "token-three-3"} {
		s.Rotate("token", tok)
	}
	assert.Equal(t, "token-one-1 [REDACTED] [REDACTED]", s.Scrub("token-one-1 token-two-2 token-three-3"),
		"the token in use and the one before are scrubbed; older ones no longer weigh on every scrub")
	s.Add("fixed-secret")
	s.Rotate("token", "token-four-4")
	assert.Equal(t, "[REDACTED] [REDACTED] token-two-2", s.Scrub("fixed-secret token-four-4 token-two-2"))
}

func TestSecretsErrKeepsTheChain(t *testing.T) {
	s := NewSecrets("api-key-12345")
	base := &StatusError{Op: "call", Status: http.StatusForbidden}
	err := s.Err(errors.Join(errors.New("echo api-key-12345"), base))
	assert.Equal(t, "echo [REDACTED]\ncall: HTTP 403 Forbidden", err.Error())
	assert.Equal(t, http.StatusForbidden, StatusCode(err))
	clean := errors.New("nothing secret")
	assert.Same(t, clean, s.Err(clean))
	assert.NoError(t, s.Err(nil))
}

// A server that echoes the request (a JSON-escaped key, a URL-encoded form body, the
// Authorization header) in a 500: the client's error carries none of it.
func TestClientErrorsHideEchoedSecrets(t *testing.T) {
	const token = "eyJ0eXAiOiJKV1QifQ.tok-7f3e"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		jsonKey, _ := json.Marshal(r.Header.Get("X-Key"))
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write([]byte(`{"error":"bad ` + r.Header.Get("Authorization") + ` for form ` + r.PostForm.Encode() +
			` key ` + strings.Trim(string(jsonKey), `"`) + ` token ` + token + `"}`))
	}))
	defer srv.Close()
	set := NewSecrets(secrettest.Tricky)
	c := New(Settings{HTTP: srv.Client(), Retry: configretry.BackOffConfig{Enabled: false}, Secrets: set})
	c.Secrets().Rotate("token", token)
	_, err := c.Do(context.Background(), "call", func(ctx context.Context) (*http.Request, error) {
		form := url.Values{"client_secret": {secrettest.Tricky}}.Encode()
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL, strings.NewReader(form))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("X-Key", secrettest.Tricky)
		return req, nil
	})
	require.Error(t, err)
	assert.Equal(t, 500, StatusCode(err))
	assert.Contains(t, err.Error(), "Bearer [REDACTED] for form client_secret=[REDACTED] key [REDACTED] token [REDACTED]")
	secrettest.AssertHidden(t, err.Error(), secrettest.Tricky, token)
}

// Messages cut what they quote at a fixed length, marking the cut with "…": a cut inside a
// secret leaves its start, which is scrubbed too.
func TestSecretsScrubTheStartOfACutSecret(t *testing.T) {
	s := NewSecrets("api-key-12345", secrettest.Tricky)
	assert.Equal(t, `body "key [REDACTED]…" and [REDACTED]…`, s.Scrub(`body "key api-key-1…" and p%40ss%26%2…`))
	assert.Equal(t, "the key api…", s.Scrub("the key api…"), "under 4 bytes, a start says nothing")
	assert.Equal(t, "see the api-docs…", s.Scrub("see the api-docs…"), "text that is no secret's start stays")
}
