//go:build e2e && release

package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Both binaries, as make build and the release archive ship them, print dist.version of
// builder-config.yaml and the commit they were built from, the same string for both.
func TestReleaseVersion(t *testing.T) {
	manifest, err := os.ReadFile("../builder-config.yaml")
	require.NoError(t, err)
	m := regexp.MustCompile(`(?m)^dist:\n(?:  .*\n)*?  version: (\S+)`).FindSubmatch(manifest)
	require.NotNil(t, m, "dist.version in builder-config.yaml")
	want := regexp.MustCompile(`^` + regexp.QuoteMeta(string(m[1])) + `\+([0-9a-f]{12})(\.dirty)?$`)

	version := func(bin string) string {
		t.Helper()
		out, err := exec.Command(bin, "--version").CombinedOutput()
		require.NoError(t, err, "%s --version:\n%s", bin, out)
		prefix := filepath.Base(bin) + " version "
		line := strings.TrimSpace(string(out))
		require.True(t, strings.HasPrefix(line, prefix), "%s --version printed %q", bin, line)
		v := strings.TrimPrefix(line, prefix)
		sm := want.FindStringSubmatch(v)
		require.NotNil(t, sm, "%s: version %q is not %s+<12-hex commit>", bin, v, m[1])
		// The commit is one of this repository's.
		out, err = exec.Command("git", "-C", "..", "cat-file", "-e", sm[1]+"^{commit}").CombinedOutput()
		require.NoError(t, err, "%s: commit %s is not in this repository: %s", bin, sm[1], out)
		return v
	}

	built := version(collectorBin(t))
	assert.Equal(t, built, version(releaseArtifact(t, "AUDITCTL_BIN")))

	dir := t.TempDir()
	out, err := exec.Command("tar", "-xzf", releaseArtifact(t, "OTELCOL_AUDIT_TARBALL"), "-C", dir).CombinedOutput()
	require.NoError(t, err, string(out))
	released := version(filepath.Join(dir, "otelcol-audit"))
	assert.Equal(t, released, version(filepath.Join(dir, "auditctl")))
	t.Logf("make build: %s, release archive: %s", built, released)
}
