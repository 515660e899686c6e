//go:build e2e && release

package e2e

import (
	"encoding/json"
	"os"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The SBOM is CycloneDX, describes this release, and names this repository's module (with the
// release version) and the collector modules the distribution is built from.
func TestReleaseSBOM(t *testing.T) {
	b, err := os.ReadFile(releaseArtifact(t, "OTELCOL_AUDIT_SBOM"))
	require.NoError(t, err)
	var bom struct {
		BOMFormat string `json:"bomFormat"`
		Metadata  struct {
			Component struct{ Name, Version string } `json:"component"`
		} `json:"metadata"`
		Components []struct{ Name, Version string } `json:"components"`
	}
	require.NoError(t, json.Unmarshal(b, &bom))
	manifest, err := os.ReadFile("../builder-config.yaml")
	require.NoError(t, err)
	m := regexp.MustCompile(`(?m)^dist:\n(?:  .*\n)*?  version: (\S+)`).FindSubmatch(manifest)
	require.NotNil(t, m)
	version := "v" + string(m[1])

	assert.Equal(t, "CycloneDX", bom.BOMFormat)
	assert.Equal(t, "github.com/secaudit/otelcol-audit/distribution", bom.Metadata.Component.Name)
	assert.Equal(t, version, bom.Metadata.Component.Version)
	modules := map[string]string{}
	for _, c := range bom.Components {
		modules[c.Name] = c.Version
	}
	assert.NotContains(t, modules, "..")
	assert.Equal(t, version, modules["github.com/secaudit/otelcol-audit"])
	// The collector's components at the versions builder-config.yaml pins (ours is v0.0.0 there,
	// built from the working tree).
	for _, mod := range regexp.MustCompile(`(?m)^  - gomod: (\S+) (v\S+)$`).FindAllSubmatch(manifest, -1) {
		if string(mod[1]) != "github.com/secaudit/otelcol-audit" {
			assert.Equal(t, string(mod[2]), modules[string(mod[1])], "%s", mod[1])
		}
	}
}
