package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"

	"github.com/secaudit/otelcol-audit/cmd/auditctl/internal/fetch"
	"github.com/secaudit/otelcol-audit/internal/testsupport/secrettest"
	"github.com/secaudit/otelcol-audit/internal/testsupport/simulator"
)

// assertNoSecret fails when any output of r holds one of the secrets.
func assertNoSecret(t *testing.T, r result, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		assert.NotContains(t, r.stdout, s, "stdout")
		assert.NotContains(t, r.stderr, s, "stderr")
	}
}

func TestOpaquePathsFollowTheConfigTypes(t *testing.T) {
	tls := [][]string{{"tls", "ca_pem"}, {"tls", "cert_pem"}, {"tls", "key_pem"}, {"headers"}}
	for typ, want := range map[string][][]string{
		"cyberarkisp": append(tls, []string{"client_secret"}, []string{"api_key"}),
		"xsoaraudit":  append(tls, []string{"api_key"}),
	} {
		var got [][]string
		opaquePaths(reflect.TypeOf(kinds[component.MustNewType(typ)].factory.CreateDefaultConfig()), nil, map[reflect.Type]bool{}, &got)
		assert.ElementsMatch(t, want, got, typ)
	}
}

func TestRawOpaqueValuesTakeEveryShape(t *testing.T) {
	raw := map[string]any{
		"Client_Secret": 12345678, // YAML read a number; keys match without regard to case
		"api_key":       map[string]any{"wrongly": []any{"NestedKey-1"}},
		"headers":       map[string]any{"X-Token": "HeaderToken-2"},
		"tls":           map[string]any{"key_pem": "-----BEGIN KEY-----\nAbCdEf\n-----END KEY-----", "ca_file": "/etc/ca.pem"},
		"client_id":     "svc-otel",
	}
	cfgType := reflect.TypeOf(kinds[component.MustNewType("cyberarkisp")].factory.CreateDefaultConfig())
	got := rawOpaqueValues(raw, cfgType)
	assert.ElementsMatch(t, []string{"12345678", "NestedKey-1", "HeaderToken-2", "-----BEGIN KEY-----\nAbCdEf\n-----END KEY-----"}, got)
}

func TestScrubWriterCatchesSecretsWrittenInPieces(t *testing.T) {
	var out bytes.Buffer
	s := newSecretSet()
	s.add("sim-secret", "sim-secret-longer", "-----BEGIN KEY-----\nAbCdEfGh\n-----END KEY-----", "abc")
	w := &scrubWriter{w: &out, secrets: s}
	for _, piece := range []string{"token sim-se", "cret and sim-secret-lon", "ger\nkey ", "AbCdEfGh\n", "tail abc sim-secret"} {
		_, err := w.Write([]byte(piece))
		require.NoError(t, err)
	}
	assert.Equal(t, "token [REDACTED] and [REDACTED]\nkey [REDACTED]\n", out.String(), "complete lines are written at once")
	w.Flush()
	assert.Equal(t, "token [REDACTED] and [REDACTED]\nkey [REDACTED]\ntail abc [REDACTED]", out.String(),
		"the longer secret is replaced whole; values under 4 bytes are not secrets worth garbling output for")
}

// A copy-paste error puts the API key in a key that is not opaque, whose validation error
// would quote it. The value is still a configopaque value of the receiver, so it is hidden.
func TestAConfigErrorQuotingASecretShowsItRedacted(t *testing.T) {
	f := newFixture(t, simulator.Options{})
	const key = "Key-Pasted-Twice-9f8e7d"
	path := f.config(t, f.xsoar("", "api_key: "+key, "security_level: "+key))

	conf, err := loadConfig(context.Background(), []string{path})
	require.NoError(t, err)
	sub, err := conf.Sub("receivers::xsoaraudit")
	require.NoError(t, err)
	cfg := kinds[component.MustNewType("xsoaraudit")].factory.CreateDefaultConfig()
	require.NoError(t, sub.Unmarshal(&cfg))
	err = confmap.Validate(cfg)
	require.ErrorContains(t, err, "security_level must be")
	assert.NotContains(t, err.Error(), key, "the receiver's own message hides it too")

	r := f.run(t, "get-events", "--config", path, "--output", "json")
	assert.Equal(t, 1, r.code)
	assertNoSecret(t, r, key)
	var d struct {
		Receiver string `json:"receiver"`
		diagnosis
	}
	require.NoError(t, json.Unmarshal([]byte(r.stderr), &d), r.stderr)
	assert.Equal(t, "xsoaraudit", d.Receiver)
	assert.Equal(t, groupConfig, d.Group)
	assert.Contains(t, d.Error, `security_level must be "advanced" or "standard", as the key was created, got "[REDACTED]"`)

	for _, args := range [][]string{{"get-events", "--config", path}, {"check", "--config", path}, {"check", "--config", path, "--output", "json"}} {
		r := f.run(t, args...)
		assert.Equal(t, 1, r.code)
		assertNoSecret(t, r, key)
		assert.Regexp(t, `got \\?"\[REDACTED\]`, r.stdout+r.stderr, "%v", args)
	}
}

// A server that echoes a configured header in its error body: the receiver's own message
// hides it (every configopaque value is a secret of the HTTP client), and so does auditctl.
func TestAHeaderEchoedByTheServerIsHidden(t *testing.T) {
	const token = "HeaderToken-5a4b3c2d"
	var sawToken atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sawToken.Store(r.Header.Get("X-Tenant-Token") == token)
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"reply":{"err_code":400,"err_msg":"unknown tenant token ` + r.Header.Get("X-Tenant-Token") + `"}}`))
	}))
	defer srv.Close()
	f := newFixture(t, simulator.Options{})
	f.url = srv.URL
	path := f.config(t, f.xsoar("", "headers:\n  X-Tenant-Token: "+token))

	conf, err := loadConfig(context.Background(), []string{path})
	require.NoError(t, err)
	tgt, err := loadReceiver(conf, component.MustNewID("xsoaraudit"), newSecretSet())
	require.NoError(t, err)
	src, err := fetch.Open(context.Background(), tgt.kind.spec, tgt.cfg, fetch.Settings(tgt.id, nil, version))
	require.NoError(t, err)
	_, err = fetch.Read(context.Background(), src, fetch.Window{From: f.now.Add(-time.Hour), To: f.now})
	require.ErrorContains(t, err, "unknown tenant token [REDACTED]", "the receiver's message quotes the server, scrubbed")
	require.NotContains(t, err.Error(), token)
	require.True(t, sawToken.Load())

	for _, args := range [][]string{{"check", "--config", path, "--max-retry-time", "0"}, {"get-events", "--config", path, "--output", "json"}} {
		r := f.run(t, args...)
		assert.Equal(t, 1, r.code)
		assertNoSecret(t, r, token)
		assert.Contains(t, r.stdout+r.stderr, "unknown tenant token [REDACTED]", "%v", args)
	}
}

func TestNoRunPrintsACredential(t *testing.T) {
	f := backfilled(t)
	recent(t, f, 2)
	wrong := []string{"Wrong-Secret-0001", "Wrong-ApiKey-0002", "Wrong-XsoarKey-0003"}
	path := f.config(t,
		f.cyberark(""),
		f.cyberark("/wrongsecret", "client_secret: "+wrong[0]),
		f.cyberark("/wrongkey", "api_key: "+wrong[1]),
		f.xsoar(""),
		f.xsoar("/wrongkey", "api_key: "+wrong[2]),
	)
	sink := httptest.NewServer(&otlpSink{})
	defer sink.Close()
	credentials := append([]string{simulator.DefaultClientSecret, simulator.DefaultAPIKey, simulator.DefaultXSOARKey}, wrong...)
	// The cyberarkisp receiver logs each token it obtains at debug level: --verbose shows it.
	for _, args := range [][]string{
		{"check", "--config", path, "--max-retry-time", "0"},
		{"check", "--config", path, "--max-retry-time", "0", "--verbose", "--output", "json"},
		{"get-events", "--config", path, "--receiver", "cyberarkisp", "--from", "3 days ago", "--verbose"},
		{"get-events", "--config", path, "--receiver", "cyberarkisp", "--from", "3 days ago", "--output", "json"},
		{"get-events", "--config", path, "--receiver", "xsoaraudit", "--from", "3 days ago", "--output", "otlp-json", "--verbose"},
		{"get-events", "--config", path, "--receiver", "xsoaraudit", "--from", "3 days ago", "--push", sink.URL},
		{"get-events", "--config", path, "--receiver", "cyberarkisp/wrongsecret", "--output", "json", "--verbose"},
		{"get-events", "--config", path, "--receiver", "cyberarkisp/wrongkey"},
		{"get-events", "--config", path, "--receiver", "xsoaraudit/wrongkey", "--verbose"},
	} {
		r := f.run(t, args...)
		assert.NotEmpty(t, r.stdout+r.stderr, "%v", args)
		assertNoSecret(t, r, credentials...)
		if line := strings.Join(args, " "); strings.Contains(line, "--verbose") &&
			(args[0] == "check" || strings.Contains(line, "--receiver cyberarkisp ")) {
			assert.Contains(t, r.stderr, "Obtained a CyberArk Identity access token", "%v", args)
		} else {
			assert.NotContains(t, r.stderr, "DEBUG", "%v", args)
		}
	}
}

// A server that echoes the key and a header in every form (raw, JSON-escaped, URL-encoded):
// no output of any command shows them in any form, --verbose logs included.
func TestEchoedSecretsAreHiddenInEveryForm(t *testing.T) {
	const header = `hdr"<&>/+tok-3`
	key := "xk-" + secrettest.Tricky
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var echo []string
		for _, v := range []string{r.Header.Get("Authorization"), r.Header.Get("X-Tenant-Token")} {
			escaped, _ := json.Marshal(v)
			echo = append(echo, v, string(escaped), url.QueryEscape(v))
		}
		body, _ := json.Marshal(map[string]any{"reply": map[string]any{"err_code": 400, "err_msg": "bad request " + strings.Join(echo, " ")}})
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write(body)
	}))
	defer srv.Close()
	f := newFixture(t, simulator.Options{})
	f.url = srv.URL
	path := f.config(t, f.xsoar("", "api_key: '"+key+"'", "security_level: standard", "headers:\n  X-Tenant-Token: '"+header+"'"))
	for _, args := range [][]string{
		{"check", "--config", path, "--max-retry-time", "0"},
		{"check", "--config", path, "--max-retry-time", "0", "--output", "json", "--verbose"},
		{"get-events", "--config", path, "--output", "json", "--verbose"},
	} {
		r := f.run(t, args...)
		assert.Equal(t, 1, r.code, "%v", args)
		assert.Contains(t, r.stdout+r.stderr, "bad request [REDACTED]", "%v", args)
		secrettest.AssertHidden(t, r.stdout+r.stderr, key, header)
	}
}

func TestAProxyPasswordIsRefusedAndNeverShown(t *testing.T) {
	f := newFixture(t, simulator.Options{})
	path := f.config(t, f.xsoar("", "proxy_url: http://svc:Pr0xy-Pass-77@127.0.0.1:1"))
	for _, args := range [][]string{{"check", "--config", path}, {"get-events", "--config", path, "--output", "json"}} {
		r := f.run(t, args...)
		assert.Equal(t, 1, r.code, "%v", args)
		assert.Contains(t, r.stdout+r.stderr, "proxy_url must not hold a user name or password", "%v", args)
		assert.NotContains(t, r.stdout+r.stderr, "Pr0xy-Pass-77", "%v", args)
	}
}
