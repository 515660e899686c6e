package main

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
)

// auditctl finds the file file_storage writes: same name, same escaping of unsafe characters.
func TestStorageFileIsWhereFileStorageWrites(t *testing.T) {
	assert.Equal(t, filepath.Join("/d", "receiver_cyberarkisp_"), storageFile("/d", component.MustNewID("cyberarkisp")))
	assert.Equal(t, filepath.Join("/d", "receiver_xsoaraudit_tenant-a.eu"), storageFile("/d", component.MustNewIDWithName("xsoaraudit", "tenant-a.eu")))
	assert.Equal(t, filepath.Join("/d", "receiver_xsoaraudit_a~002Fb"), storageFile("/d", component.MustNewIDWithName("xsoaraudit", "a/b")))
}

func TestFileStorageDirectoryTakesTheExtensionsDefaults(t *testing.T) {
	conf := confmap.NewFromStringMap(map[string]any{"extensions": map[string]any{
		"file_storage":      nil,
		"file_storage/mine": map[string]any{"directory": "/var/lib/mine"},
		"memory_storage":    nil,
	}})
	dir, err := fileStorageDirectory(conf, component.MustNewID("file_storage"))
	require.NoError(t, err)
	assert.Equal(t, "/var/lib/otelcol/file_storage", dir)
	dir, err = fileStorageDirectory(conf, component.MustNewIDWithName("file_storage", "mine"))
	require.NoError(t, err)
	assert.Equal(t, "/var/lib/mine", dir)
	_, err = fileStorageDirectory(conf, component.MustNewID("memory_storage"))
	assert.ErrorContains(t, err, "not a file_storage extension")
}
