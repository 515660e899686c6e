//go:build e2e

package e2e

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"sigs.k8s.io/yaml"
)

// Every action a workflow uses is pinned by a full commit, with the tag it stands for in a
// comment: a tag can be moved to other code, a commit cannot.
func TestWorkflowActionsArePinnedByCommit(t *testing.T) {
	files, err := filepath.Glob("../.github/workflows/*.yml")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	uses := regexp.MustCompile(`(?m)^\s*(?:-\s*)?uses:\s*(\S+)(.*)$`)
	pinned := regexp.MustCompile(`^[\w.-]+/[\w./-]+@[0-9a-f]{40}$`)
	n := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		for _, m := range uses.FindAllStringSubmatch(string(b), -1) {
			n++
			assert.Regexp(t, pinned, m[1], "%s: %s is pinned by commit", filepath.Base(f), m[1])
			assert.Regexp(t, `^\s*# v\d+\.\d+\.\d+$`, m[2], "%s: %s names its tag", filepath.Base(f), m[1])
		}
	}
	assert.Positive(t, n)
}

// go.mod names the Go toolchain, of the release the go directive requires.
func TestGoModNamesTheToolchain(t *testing.T) {
	b, err := os.ReadFile("../go.mod")
	require.NoError(t, err)
	goLine := regexp.MustCompile(`(?m)^go (1\.\d+)\.\d+$`).FindSubmatch(b)
	require.NotNil(t, goLine)
	toolchain := regexp.MustCompile(`(?m)^toolchain go(1\.\d+)\.\d+$`).FindSubmatch(b)
	require.NotNil(t, toolchain, "a toolchain line")
	assert.Equal(t, string(goLine[1]), string(toolchain[1]))
}

// The README names every extension and receiver compiled into the distribution that the shipped
// configuration does not enable, in its section on what enabling each exposes.
func TestReadmeNamesTheComponentsNotEnabled(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	require.NoError(t, err)
	_, section, ok := strings.Cut(string(readme), "\n## What the shipped configuration exposes\n")
	require.True(t, ok, "the README has the section")
	section, _, _ = strings.Cut(section, "\n## ")

	var builder struct {
		Receivers  []struct{ Gomod, Import string } `json:"receivers"`
		Extensions []struct{ Gomod, Import string } `json:"extensions"`
	}
	b, err := os.ReadFile("../builder-config.yaml")
	require.NoError(t, err)
	require.NoError(t, yaml.Unmarshal(b, &builder))
	var cfg map[string]any
	b, err = os.ReadFile("../deploy/config.yaml")
	require.NoError(t, err)
	require.NoError(t, yaml.Unmarshal(b, &cfg))

	// typeOf is the component type of a module path: its last element without the kind.
	typeOf := func(module string) string {
		path := strings.Fields(module)[0] // "path version"
		name := path[strings.LastIndex(path, "/")+1:]
		name = strings.TrimSuffix(strings.TrimSuffix(name, "receiver"), "extension")
		if renamed, ok := map[string]string{"healthcheck": "health_check", "filestorage": "file_storage"}[name]; ok {
			return renamed
		}
		return name
	}
	checked := 0
	for kind, components := range map[string][]struct{ Gomod, Import string }{"receivers": builder.Receivers, "extensions": builder.Extensions} {
		for _, c := range components {
			module := c.Gomod
			if c.Import != "" {
				module = c.Import
			}
			typ := typeOf(module)
			if _, enabled := lookup(cfg, kind).(map[string]any)[typ]; enabled {
				continue
			}
			checked++
			assert.Contains(t, section, "`"+typ+"`", "the README says what enabling %s %s exposes", kind, typ)
		}
	}
	assert.GreaterOrEqual(t, checked, 3, "pprof, zpages, otlp")
}
