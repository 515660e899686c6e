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
