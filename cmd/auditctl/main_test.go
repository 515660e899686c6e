package main

import (
	"os"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/config/configretry"
)

// Records carry the version as their scope version: it must be the distribution's, so that
// auditctl shows what the collector delivers.
func TestVersionIsTheDistributionVersion(t *testing.T) {
	manifest, err := os.ReadFile("../../builder-config.yaml")
	require.NoError(t, err)
	m := regexp.MustCompile(`(?m)^dist:\n(?:  .*\n)*?  version: (\S+)`).FindSubmatch(manifest)
	require.NotNil(t, m, "dist.version in builder-config.yaml")
	assert.Equal(t, string(m[1]), version)
}

func TestCapRetries(t *testing.T) {
	def := configretry.NewDefaultBackOffConfig()
	r := def
	capRetries(&r, 10*time.Second)
	assert.True(t, r.Enabled)
	assert.Equal(t, 10*time.Second, r.MaxElapsedTime)
	assert.Equal(t, def.InitialInterval, r.InitialInterval)

	r = def
	r.MaxElapsedTime = 0 // "retry forever" is capped too
	capRetries(&r, 10*time.Second)
	assert.Equal(t, 10*time.Second, r.MaxElapsedTime)

	r = def
	r.MaxElapsedTime = 3 * time.Second // a shorter setting is kept
	capRetries(&r, 10*time.Second)
	assert.Equal(t, 3*time.Second, r.MaxElapsedTime)

	r = def
	capRetries(&r, 0)
	assert.False(t, r.Enabled)
}

func TestLogsURL(t *testing.T) {
	for in, want := range map[string]string{
		"http://localhost:4318":           "http://localhost:4318/v1/logs",
		"https://otlp.example/":           "https://otlp.example/v1/logs",
		"https://gw.example/otlp/v1/logs": "https://gw.example/otlp/v1/logs",
		"http://127.0.0.1:4318/":          "http://127.0.0.1:4318/v1/logs",
	} {
		got, err := logsURL(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got)
	}
	for _, in := range []string{"localhost:4318", "ftp://x", "http://"} {
		_, err := logsURL(in)
		assert.Error(t, err, in)
	}
}

func TestCellKeepsARowOnOneLine(t *testing.T) {
	assert.Equal(t, "-", cell("  ", 0))
	assert.Equal(t, "a b c", cell("a\tb\n c", 0))
	assert.Equal(t, "abcd…", cell("abcdefgh", 5))
	assert.Equal(t, "ééé…", cell("éééééé", 4), "cut on runes")
}
