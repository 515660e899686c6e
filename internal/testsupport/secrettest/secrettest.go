// Package secrettest checks that texts a user can see (errors, logs, printed output) show no
// secret in any of the forms a server or an encoder gives it.
package secrettest // import "github.com/secaudit/otelcol-audit/internal/testsupport/secrettest"

import (
	"bytes"
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

// Tricky is a secret whose URL-encoded, JSON-escaped and Go-quoted forms all differ from it.
const Tricky = `p@ss&"w/rd<>+ 9`

// Encodings returns v as written, URL-encoded for a form or query and for a path, JSON-escaped
// with and without HTML escaping and twice, and Go-quoted: what a server echoing a request, or
// a message quoting one, can show.
func Encodings(v string) []string {
	return []string{
		v,
		url.QueryEscape(v),
		strings.TrimPrefix(url.Values{"k": {v}}.Encode(), "k="),
		url.PathEscape(v),
		jsonEscape(v, false),
		jsonEscape(v, true),
		jsonEscape(jsonEscape(v, true), true), // a JSON text quoted in a JSON string
		inner(strconv.Quote(v)),
	}
}

func jsonEscape(v string, html bool) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(html)
	_ = enc.Encode(v)
	return inner(strings.TrimSpace(b.String()))
}

func inner(quoted string) string { return quoted[1 : len(quoted)-1] }

// AssertHidden fails t for each secret found in text in any of its Encodings.
func AssertHidden(t testing.TB, text string, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		for _, form := range Encodings(s) {
			if strings.Contains(text, form) {
				t.Errorf("the text shows the secret %q as %q:\n%s", s, form, text)
			}
		}
	}
}
