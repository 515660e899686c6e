package hartrace

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"github.com/secaudit/otelcol-audit/internal/httpapi"
)

// credentialHeaders are written as [REDACTED] whatever they hold: the CyberArk bearer token
// and x-api-key, a standard XSOAR key, an advanced key's signature and its nonce, cookies. The
// x-xdr-timestamp of an advanced key is kept: it is the request's clock reading, which an
// "invalid timestamp" refusal is about, and without the nonce and the signature it proves
// nothing. x-xdr-auth-id is the key's ID, not the key, and is kept too.
var credentialHeaders = map[string]bool{
	"Authorization":       true,
	"Proxy-Authorization": true,
	"X-Api-Key":           true,
	"X-Xdr-Nonce":         true,
	"Cookie":              true,
	"Set-Cookie":          true,
}

// credentialNames are the JSON members and form or query fields whose value is a credential
// (OAuth2 token responses and client-credentials requests), whatever the value.
const credentialNames = `access_token|refresh_token|id_token|client_secret`

var (
	// credentialMember matches such a JSON member up to the end of its string value, or of the
	// text when a truncation cut the value short.
	credentialMember = regexp.MustCompile(`(?i)("(?:` + credentialNames + `)"\s*:\s*")((?:[^"\\]|\\.?)*)`)
	credentialField  = regexp.MustCompile(`(?i)((?:^|[&?])(?:` + credentialNames + `)=)([^&#]*)`)
)

// mayHoldCredentials tells whether text holds one of credentialNames, in any case: most pages
// do not, and the regular expressions are slow on a page.
func mayHoldCredentials(text string) bool {
	lower := strings.ToLower(text)
	return strings.Contains(lower, "_token") || strings.Contains(lower, "client_secret")
}

// redactCredentials replaces the values of credential members and fields in text.
func redactCredentials(text string) string {
	if !mayHoldCredentials(text) {
		return text
	}
	text = credentialMember.ReplaceAllString(text, "${1}"+httpapi.Redacted)
	return credentialField.ReplaceAllString(text, "${1}"+httpapi.Redacted)
}

// redactor cleans the texts of a trace: credentials by name, then every value so redacted
// wherever else it appears (a server echoing a token or a nonce), then the caller's secrets.
type redactor struct {
	learned *httpapi.Secrets
	scrub   func(string) string
}

// newRedactor learns the credentials the exchanges carry. Tokens are learned from the trace
// itself, not from the client that received them: a client keeps only its latest tokens.
func newRedactor(exchanges []*exchange, scrub func(string) string) *redactor {
	var values []string
	for _, e := range exchanges {
		for _, h := range []http.Header{e.requestHeader(), e.respHeader} {
			values = append(values, headerCredentials(h)...)
		}
		for _, text := range []string{e.url, string(e.body.data), string(e.respBody.data)} {
			values = append(values, textCredentials(text)...)
		}
	}
	if scrub == nil {
		scrub = func(s string) string { return s }
	}
	return &redactor{learned: httpapi.NewSecrets(values...), scrub: scrub}
}

// headerCredentials returns the values of the credential headers of h: each as sent, its
// credential without the scheme ("Bearer"), and each cookie's value.
func headerCredentials(h http.Header) []string {
	var out []string
	for name, vs := range h {
		if !credentialHeaders[http.CanonicalHeaderKey(name)] {
			continue
		}
		for _, v := range vs {
			out = append(out, v)
			if f := strings.Fields(v); len(f) > 1 {
				out = append(out, f[len(f)-1])
			}
		}
	}
	for _, c := range requestCookies(h) {
		out = append(out, c.Value)
	}
	for _, c := range responseCookies(h) {
		out = append(out, c.Value)
	}
	return out
}

// textCredentials returns the values of the credential members and fields in text, as
// written and decoded.
func textCredentials(text string) []string {
	if !mayHoldCredentials(text) {
		return nil
	}
	var out []string
	for _, m := range credentialMember.FindAllStringSubmatch(text, -1) {
		out = append(out, m[2])
		var decoded string
		if json.Unmarshal([]byte(`"`+m[2]+`"`), &decoded) == nil {
			out = append(out, decoded)
		}
	}
	for _, m := range credentialField.FindAllStringSubmatch(text, -1) {
		out = append(out, m[2])
		if decoded, err := url.QueryUnescape(m[2]); err == nil {
			out = append(out, decoded)
		}
	}
	return out
}

// clean hides every learned credential and every secret of the caller in text.
func (r *redactor) clean(text string) string {
	return r.scrub(r.learned.Scrub(text))
}

func requestCookies(h http.Header) []*http.Cookie {
	var out []*http.Cookie
	for _, line := range h.Values("Cookie") {
		if cs, err := http.ParseCookie(line); err == nil {
			out = append(out, cs...)
		}
	}
	return out
}

func responseCookies(h http.Header) []*http.Cookie {
	var out []*http.Cookie
	for _, line := range h.Values("Set-Cookie") {
		if c, err := http.ParseSetCookie(line); err == nil {
			out = append(out, c)
		}
	}
	return out
}
