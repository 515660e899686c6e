package main

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
)

// --version prints the release version and the commit, in the format otelcol-audit --version
// uses, whichever spelling is used.
func TestVersionFlag(t *testing.T) {
	defer func(v string) { version = v }(version)
	version = "1.2.3+0123456789ab"
	for _, arg := range []string{"--version", "-version", "version"} {
		var stdout, stderr bytes.Buffer
		code := run([]string{arg}, &stdout, &stderr, environment{})
		assert.Equal(t, exitOK, code, arg)
		assert.Equal(t, "auditctl version 1.2.3+0123456789ab\n", stdout.String(), arg)
		assert.Empty(t, stderr.String(), arg)
	}
}

// Without make's -ldflags the commit comes from the Go build info, or is said to be unknown: the
// output always has the version+commit form.
func TestVersionStringWithoutLdflags(t *testing.T) {
	defer func(v string) { version = v }(version)
	version = "1.2.3"
	assert.Regexp(t, `^1\.2\.3\+([0-9a-f]{12}|unknown)$`, versionString())
}
