package hartrace

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secaudit/otelcol-audit/internal/hartrace/hartest"
	"github.com/secaudit/otelcol-audit/internal/httpapi"
	"github.com/secaudit/otelcol-audit/internal/testsupport/secrettest"
)

// vendor is a server with a token endpoint, an API that echoes the credentials it gets in an
// error body (as some proxies and APIs do), and a large page. It remembers what it issued and
// received, for the test to look for in the trace.
type vendor struct {
	mu       sync.Mutex
	requests int
	tokens   []string
	seen     []string // credential header values and bodies received
}

func (v *vendor) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	v.mu.Lock()
	defer v.mu.Unlock()
	v.requests++
	v.seen = append(v.seen, string(body))
	switch r.URL.Path {
	case "/token":
		// A JWT-like token with / and +, written with / escaped as some servers do.
		tok := fmt.Sprintf("eyJ0eXAi.tok%d/Zm9v+YmFy.c2ln", len(v.tokens))
		v.tokens = append(v.tokens, tok)
		http.SetCookie(w, &http.Cookie{Name: "session", Value: fmt.Sprintf("cookie-value-%d", len(v.tokens))})
		w.Header().Set("Content-Type", "application/json")
		_, _ = fmt.Fprintf(w, `{"access_token":"%s","token_type":"Bearer","expires_in":3600}`, strings.ReplaceAll(tok, "/", `\/`))
	case "/api":
		for _, h := range []string{"Authorization", "X-Api-Key", "X-Xdr-Nonce", "Cookie"} {
			v.seen = append(v.seen, r.Header.Get(h))
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = fmt.Fprintf(w, `{"error":"refused %s with nonce %s, key %s, body %q"}`,
			r.Header.Get("Authorization"), r.Header.Get("X-Xdr-Nonce"), r.Header.Get("X-Api-Key"), body)
	case "/big":
		_, _ = w.Write(bytes.Repeat([]byte("0123456789abcdef"), 200<<10/16))
	}
}

func TestTraceIsValidHARWithEveryExchangeAndNoCredential(t *testing.T) {
	const clientSecret, apiKey = secrettest.Tricky, "api-key-5f4e3d2c"
	v := &vendor{}
	srv := httptest.NewServer(v)
	defer srv.Close()
	down := httptest.NewServer(http.NotFoundHandler())
	down.Close() // a request to it fails: the trace still shows it

	rec := New("auditctl", "9.9.9", 0)
	rec.KeepRecords() // the bodies as received: their credentials are what is checked
	transport := &http.Transport{}
	defer transport.CloseIdleConnections()
	hc := &http.Client{Transport: rec.Tap("cyberarkisp")(transport)}
	send := func(req *http.Request) {
		t.Helper()
		resp, err := hc.Do(req)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
		}
	}
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {"svc"}, "client_secret": {clientSecret}}.Encode()
	var nonces, signatures []string
	for i := range 3 { // three tokens: more than a client's secret set keeps
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/token", strings.NewReader(form))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		send(req)
		nonce, sig := fmt.Sprintf("Nonce%dAbCdEfGhIjKlMnOpQrStUvWxYz", i), fmt.Sprintf("%064x", i+1)
		nonces, signatures = append(nonces, nonce), append(signatures, sig)
		// A body without GetBody: the recorder must read it and still send it whole.
		req, _ = http.NewRequest(http.MethodPost, srv.URL+"/api?page=2&client_secret="+url.QueryEscape(clientSecret),
			io.NopCloser(strings.NewReader(`{"cursorRef":"c1"}`)))
		req.Header.Set("Authorization", "Bearer "+v.tokens[i])
		req.Header.Set("X-Api-Key", apiKey)
		req.Header.Set("x-xdr-auth-id", "7")
		req.Header.Set("x-xdr-nonce", nonce)
		req.Header.Set("x-xdr-timestamp", "1795175914305")
		req.Header.Set("Cookie", "session=cookie-value-"+fmt.Sprint(i+1))
		send(req)
		req, _ = http.NewRequest(http.MethodPost, srv.URL+"/api", strings.NewReader(`{"n":1}`))
		req.Header.Set("Authorization", sig) // an advanced XSOAR key's signature
		send(req)
	}
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/big", http.NoBody)
	send(req)
	req, _ = http.NewRequest(http.MethodGet, down.URL+"/gone", http.NoBody)
	send(req)

	var out bytes.Buffer
	require.NoError(t, rec.Write(&out, httpapi.NewSecrets(clientSecret, apiKey).Scrub))
	trace := out.String()
	entries := hartest.Check(t, out.Bytes())

	require.Len(t, entries, v.requests+1, "every exchange, the failed one too")
	assert.Contains(t, v.seen, `{"cursorRef":"c1"}`, "a body without GetBody reaches the server whole")
	secrets := append([]string{clientSecret, apiKey, "cookie-value-1", "cookie-value-2", "cookie-value-3"}, v.tokens...)
	secrets = append(append(secrets, nonces...), signatures...)
	secrettest.AssertHidden(t, trace, secrets...)
	for _, tok := range v.tokens { // the form the server wrote
		assert.NotContains(t, trace, strings.ReplaceAll(tok, "/", `\/`))
	}

	token, api := entries[0], entries[1]
	assert.Equal(t, "cyberarkisp", token.Comment)
	assert.Equal(t, srv.URL+"/token", token.URL)
	assert.Equal(t, http.MethodPost, token.Method)
	assert.Equal(t, 200, token.Status)
	postData := token.Request["postData"].(map[string]any)
	assert.Equal(t, "application/x-www-form-urlencoded", postData["mimeType"])
	assert.Contains(t, postData["text"], "client_secret=[REDACTED]")
	assert.Contains(t, postData["text"], "grant_type=client_credentials")
	assert.Contains(t, token.Response["content"].(map[string]any)["text"], `"access_token":"[REDACTED]"`)
	assert.Equal(t, []string{"[REDACTED]"}, hartest.Header(token.Response, "Set-Cookie"))
	assert.Equal(t, []any{map[string]any{"name": "session", "value": "[REDACTED]"}}, token.Response["cookies"])

	assert.Equal(t, 400, api.Status)
	assert.Equal(t, srv.URL+"/api?page=2&client_secret=[REDACTED]", api.URL)
	assert.Equal(t, []any{map[string]any{"name": "page", "value": "2"}, map[string]any{"name": "client_secret", "value": "[REDACTED]"}},
		api.Request["queryString"])
	for _, h := range []string{"Authorization", "X-Api-Key", "X-Xdr-Nonce", "Cookie"} {
		assert.Equal(t, []string{"[REDACTED]"}, hartest.Header(api.Request, h), h)
	}
	assert.Equal(t, []string{"7"}, hartest.Header(api.Request, "X-Xdr-Auth-Id"), "the key ID is not a secret")
	assert.Equal(t, []string{"1795175914305"}, hartest.Header(api.Request, "X-Xdr-Timestamp"), "kept: it shows clock skew")
	assert.JSONEq(t, `{"cursorRef":"c1"}`, api.Request["postData"].(map[string]any)["text"].(string))
	assert.Contains(t, api.Response["content"].(map[string]any)["text"], "refused [REDACTED] with nonce [REDACTED], key [REDACTED]")
	assert.Equal(t, []string{"[REDACTED]"}, hartest.Header(entries[2].Request, "Authorization"))

	big := entries[len(entries)-2]
	content := big.Response["content"].(map[string]any)
	assert.EqualValues(t, 200<<10, content["size"])
	assert.EqualValues(t, 200<<10, big.Response["bodySize"])
	assert.True(t, strings.HasSuffix(content["text"].(string), "…[truncated: the first 65536 of 204800 bytes are shown]"))
	assert.Len(t, content["text"], DefaultBodyLimit+len("…[truncated: the first 65536 of 204800 bytes are shown]"))

	failed := entries[len(entries)-1]
	assert.Equal(t, 0, failed.Status)
	assert.Contains(t, failed.Response["_error"], "connection refused")
}

// A body cut at the limit inside a secret or a token: neither its start nor the rest shows.
func TestACutBodyShowsNoStartOfASecret(t *testing.T) {
	const secret = "SuperSecretValue123"
	const token = "eyJhbGciOiJSUzI1NiJ9.cGF5bG9hZA.c2lnbmF0dXJl"
	bodies := map[string]string{
		"/secret": strings.Repeat("x", 30) + secret + strings.Repeat("y", 30),
		"/token":  `{"token_type":"Bearer","access_token":"` + token + `"}`,
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, bodies[r.URL.Path])
	}))
	defer srv.Close()
	rec := New("t", "1", 40)
	rec.KeepRecords() // the bodies as received: their credentials are what is checked
	transport := &http.Transport{}
	defer transport.CloseIdleConnections()
	hc := &http.Client{Transport: rec.Tap("")(transport)}
	for _, path := range []string{"/secret", "/token"} {
		resp, err := hc.Get(srv.URL + path)
		require.NoError(t, err)
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
	}
	var out bytes.Buffer
	require.NoError(t, rec.Write(&out, httpapi.NewSecrets(secret).Scrub))
	entries := hartest.Check(t, out.Bytes())
	require.Len(t, entries, 2)
	for i, e := range entries {
		text := e.Response["content"].(map[string]any)["text"].(string)
		assert.Contains(t, text, "[REDACTED]…[truncated: the first 40 of", "entry %d: %s", i, text)
	}
	for _, s := range []string{secret, token} {
		assert.NotContains(t, out.String(), s[:4], "the start of %q", s)
	}
}

func TestABinaryBodyIsNotShown(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte{0x0a, 0xff, 0xfe, 0x01})
	}))
	defer srv.Close()
	rec := New("t", "1", 0)
	rec.KeepRecords() // the bodies as received: their credentials are what is checked
	transport := &http.Transport{}
	defer transport.CloseIdleConnections()
	resp, err := (&http.Client{Transport: rec.Tap("")(transport)}).Post(srv.URL, "application/x-protobuf", bytes.NewReader([]byte{0x80, 0x81}))
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	var out bytes.Buffer
	require.NoError(t, rec.Write(&out, nil))
	e := hartest.Check(t, out.Bytes())[0]
	assert.Equal(t, "[binary body of 2 bytes, not recorded]", e.Request["postData"].(map[string]any)["text"])
	assert.Equal(t, "[binary body of 4 bytes, not recorded]", e.Response["content"].(map[string]any)["text"])
}

func TestTheCheckRefusesWhatIsNotHAR(t *testing.T) {
	valid := `{"log":{"version":"1.2","creator":{"name":"a","version":"1"},"entries":[{"startedDateTime":"2026-01-02T03:04:05.678Z","time":3,
		"request":{"method":"GET","url":"http://127.0.0.1/","httpVersion":"HTTP/1.1","cookies":[],"headers":[],"queryString":[],"headersSize":-1,"bodySize":0},
		"response":{"status":200,"statusText":"OK","httpVersion":"HTTP/1.1","cookies":[],"headers":[],"content":{"size":0,"mimeType":"","text":""},"redirectURL":"","headersSize":-1,"bodySize":0},
		"cache":{},"timings":{"send":1,"wait":1,"receive":1}}]}}`
	_, problems := hartest.Problems([]byte(valid))
	require.Empty(t, problems)
	for _, broken := range []struct{ old, new string }{
		{`"version":"1.2"`, `"version":"1.1"`},
		{`"creator":{"name":"a",`, `"creator":{`},
		{`"2026-01-02T03:04:05.678Z"`, `"2026-01-02 03:04:05"`},
		{`"time":3`, `"time":4`},
		{`"receive":1`, `"receive":-1`},
		{`"url":"http://127.0.0.1/"`, `"url":"/"`},
		{`"queryString":[],`, ``},
		{`"bodySize":0},`, `"bodySize":5},`}, // a body, but no postData
		{`"content":{"size":0,`, `"content":{`},
		{`"redirectURL":"",`, ``},
		{`"cache":{},`, ``},
		{`"headers":[],"queryString"`, `"headers":[{"name":"a"}],"queryString"`},
	} {
		doc := strings.Replace(valid, broken.old, broken.new, 1)
		require.NotEqual(t, valid, doc, broken.old)
		var v any
		require.NoError(t, json.Unmarshal([]byte(doc), &v), doc)
		_, problems := hartest.Problems([]byte(doc))
		assert.NotEmpty(t, problems, "%s -> %s", broken.old, broken.new)
	}
}

func TestANilRecorderWrapsNothing(t *testing.T) {
	var rec *Recorder
	assert.Nil(t, rec.Tap("x"))
}
