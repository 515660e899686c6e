package main

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secaudit/otelcol-audit/internal/testsupport/simulator"
)

func writeEnvFile(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "otelcol-audit.env")
	require.NoError(t, os.WriteFile(path, []byte(text), 0o600))
	return path
}

// The file is read as systemd reads EnvironmentFile=: no expansion, no command, quotes and
// escapes as systemd has them.
func TestReadEnvFileAsSystemdDoes(t *testing.T) {
	path := writeEnvFile(t, `# a comment, with = in it
; another
PLAIN=a$HOME`+"`id`"+`b
  SPACED  =   value with  spaces   
DOUBLE="d \"q\" \\ \$x \`+"`"+` \n end"
SINGLE='s $x \n "q"'
MIXED="a b"'c d'e
ESCAPED=x\ y\$z
CONTINUED=one \
two
EMPTY=
NOEQUALS
START_TIME="1 day ago"
LAST=no newline`)
	pairs, err := readEnvFile(path)
	require.NoError(t, err)
	got := map[string]string{}
	var order []string
	for _, p := range pairs {
		got[p[0]] = p[1]
		order = append(order, p[0])
	}
	assert.Equal(t, []string{"PLAIN", "SPACED", "DOUBLE", "SINGLE", "MIXED", "ESCAPED", "CONTINUED", "EMPTY", "START_TIME", "LAST"}, order)
	assert.Equal(t, "a$HOME`id`b", got["PLAIN"])
	assert.Equal(t, "value with  spaces", got["SPACED"])
	assert.Equal(t, "d \"q\" \\ $x ` \\n end", got["DOUBLE"])
	assert.Equal(t, `s $x \n "q"`, got["SINGLE"])
	assert.Equal(t, "a bc de", got["MIXED"])
	assert.Equal(t, "x y$z", got["ESCAPED"])
	assert.Equal(t, "one two", got["CONTINUED"])
	assert.Empty(t, got["EMPTY"])
	assert.Equal(t, "1 day ago", got["START_TIME"])
	assert.Equal(t, "no newline", got["LAST"])

	_, err = readEnvFile(writeEnvFile(t, "OK=1\nBAD NAME=2\n"))
	assert.ErrorContains(t, err, `:2: "BAD NAME" is not a variable name`)
}

// check --env-file tests the credentials the service would use, however they are written: a
// key with a backtick, a $ and spaces reaches the vendor as written, and a command in the
// file is never run.
func TestCheckWithTheServicesEnvFile(t *testing.T) {
	const key = "k`touch ran`$HOME x'y\"z"
	f := newFixture(t, simulator.Options{XSOARKey: key, XSOARBackfill: 10, BackfillSpan: 30 * time.Minute})
	marker := filepath.Join(t.TempDir(), "ran")
	t.Chdir(filepath.Dir(marker))
	t.Setenv("XSOAR_API_KEY", "from-the-shell")
	t.Setenv("XSOAR_ENDPOINT", "")
	path := f.config(t, section("xsoaraudit", []string{"endpoint: ${env:XSOAR_ENDPOINT}", "api_key_id: \"" + simulator.DefaultXSOARKeyID + "\"",
		"api_key: ${env:XSOAR_API_KEY}", "storage: file_storage"}))
	env := writeEnvFile(t, "XSOAR_ENDPOINT="+f.url+"\nXSOAR_API_KEY=\"k`touch ran`\\$HOME x'y\\\"z\"\n")

	r := f.run(t, "check", "--config", path, "--env-file", env, "--from", "1 hour ago")
	assert.Equal(t, 0, r.code, r.stdout+r.stderr)
	assert.NoFileExists(t, marker, "nothing in the file runs")
	assert.NotContains(t, r.stdout+r.stderr, key, "the key is still a secret to hide")

	r = f.run(t, "check", "--config", path, "--env-file", filepath.Join(f.dir, "missing.env"))
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, "auditctl check: --env-file: open ")
}
