package main

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"

	"github.com/secaudit/otelcol-audit/internal/testsupport/simulator"
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

// A position in the future would make the receiver drop every record until then as delivered.
func TestCheckpointSetRefusesAFutureTime(t *testing.T) {
	f := newFixture(t, simulator.Options{})
	require.NoError(t, os.MkdirAll(f.storageDir(), 0o700))
	r := f.run(t, "checkpoint", "set", "--config", f.config(t, f.xsoar("")), "--time", "2099-01-01")
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, "--time (2099-01-01T00:00:00Z) is in the future")
	_, err := os.Stat(filepath.Join(f.storageDir(), "receiver_xsoaraudit_"))
	assert.True(t, os.IsNotExist(err), "nothing written")
}

// As the docs say, set before the first start creates the checkpoint; show then prints it.
func TestCheckpointSetBeforeTheFirstStartCreatesIt(t *testing.T) {
	f := newFixture(t, simulator.Options{})
	require.NoError(t, os.MkdirAll(f.storageDir(), 0o700))
	path := f.config(t, f.xsoar(""))
	r := f.run(t, "checkpoint", "set", "--config", path, "--time", "2 hours ago")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, "checkpoint moved from no checkpoint to "+stamp(f.now.Add(-2*time.Hour)))
	r = f.run(t, "checkpoint", "show", "--config", path)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, stamp(f.now.Add(-2*time.Hour)))
	assert.Contains(t, r.stdout, "2h0m0s")
}

// A checkpoint an earlier build let an operator move into the future is shown as ahead, with
// what the receiver does about it, not as a negative lag.
func TestCheckpointShowSaysAFutureCheckpointIsAhead(t *testing.T) {
	f := newFixture(t, simulator.Options{})
	require.NoError(t, os.MkdirAll(f.storageDir(), 0o700))
	path := f.config(t, f.xsoar(""))
	require.Equal(t, exitOK, f.run(t, "checkpoint", "set", "--config", path, "--time", "now").code)
	f.now = f.now.Add(-48 * time.Hour) // the clock the checkpoint was set by ran two days ahead
	r := f.run(t, "checkpoint", "show", "--config", path)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, "48h0m0s AHEAD (in the future: the receiver reads from now instead and reports an error")
	assert.NotContains(t, r.stdout, "-48h")
	r = f.run(t, "checkpoint", "show", "--config", path, "--output", "json")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, `"ahead":true`)
}

// A storage file bbolt cannot open: every checkpoint command says which file to move aside and
// what that costs, instead of bbolt's own words alone.
func TestCheckpointCommandsReportADamagedFile(t *testing.T) {
	f := newFixture(t, simulator.Options{})
	require.NoError(t, os.MkdirAll(f.storageDir(), 0o700))
	file := filepath.Join(f.storageDir(), "receiver_xsoaraudit_")
	require.NoError(t, os.WriteFile(file, []byte("not a database"), 0o600))
	path := f.config(t, f.xsoar(""))
	for _, args := range [][]string{{"show"}, {"delete"}, {"set", "--time", "1 hour ago"}} {
		r := f.run(t, append(append([]string{"checkpoint"}, args...), "--config", path)...)
		assert.Equal(t, exitFailed, r.code, args)
		assert.Contains(t, r.stderr, "the storage file "+file+" is damaged", args)
		assert.Contains(t, r.stderr, "move that file aside", args)
		assert.Contains(t, r.stderr, "starts over from its start_time", args)
	}
}

// A --receiver the configuration lacks is a command-line mistake: exit 2, as the docs say.
func TestCheckpointReceiverMistakesAreUsageErrors(t *testing.T) {
	f := newFixture(t, simulator.Options{})
	path := f.config(t, f.xsoar(""), f.cyberark(""))
	for _, args := range [][]string{{"delete"}, {"delete", "--receiver", "xsoaraudit/nope"}, {"show", "--receiver", "otlp"}} {
		r := f.run(t, append(append([]string{"checkpoint"}, args...), "--config", path)...)
		assert.Equal(t, exitUsage, r.code, args)
		assert.Contains(t, r.stderr, "--receiver", args)
	}
}
