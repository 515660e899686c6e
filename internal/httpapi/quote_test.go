package httpapi

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
)

func TestQuoteFoldsCutsAndHidesSecrets(t *testing.T) {
	secrets := NewSecrets("s3cr3t-value-0123456789")
	got := Quote("  <html>\n\t<body>token s3cr3t-value-0123456789 é"+strings.Repeat("x", 100), 60, secrets)
	assert.NotContains(t, got, "s3cr3t")
	assert.True(t, strings.HasPrefix(got, "<html> <body>token "), got)
	assert.True(t, strings.HasSuffix(got, "…"), got)
	assert.True(t, utf8.ValidString(got))

	cut := Quote("prefix s3cr3t-value-0123456789", 20, secrets)
	assert.NotContains(t, cut, "s3cr3t-val", "the start of a secret left by the cut is hidden too")
	assert.Equal(t, "short", Quote(" short ", 60, nil))
}

func TestDescribeBody(t *testing.T) {
	assert.Equal(t, "an empty body", DescribeBody([]byte(" \n"), nil))
	assert.Equal(t, `an HTML page starting "<html> <title>Login</title>"`, DescribeBody([]byte("<html>\n<title>Login</title>"), nil))
	assert.Equal(t, `a body starting "Service Unavailable"`, DescribeBody([]byte("Service Unavailable"), nil))
}

// A vendor's error body can hold characters a log viewer acts on without showing them: C1
// controls (CSI), bidirectional overrides that reorder the line, zero-width characters, line
// separators. The quote shows each as an escape.
func TestQuoteEscapesHiddenCharacters(t *testing.T) {
	body := "denied\u009b31m for \u202eresu\u202c admin\u200b\u2060\ufeff\u2066x\u2069\u200f\u061c end\u2028forged line"
	got := Quote(body, 500, nil)
	for _, r := range got {
		assert.False(t, Hidden(r), "%U is left raw in %q", r, got)
	}
	assert.Equal(t, `denied\u009b31m for \u202eresu\u202c admin\u200b\u2060\ufeff\u2066x\u2069\u200f\u061c end forged line`, got)
	assert.Equal(t, "plain é text", EscapeHidden("plain é text"))
	assert.Equal(t, `a\u0085b`, EscapeHidden("a\u0085b"))
}
