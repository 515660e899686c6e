package poller

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/storage/filestorage"
	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/storage/storagetest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/extension/extensiontest"

	"github.com/secaudit/otelcol-audit/internal/testsupport/statustest"
)

// A storage file file_storage cannot open (a truncated file) stops this receiver only, with an
// error naming the file to move aside and what that costs; the collector's start goes on.
func TestDamagedStorageFileStopsOnlyThisReceiver(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, storageFile(rset().ID)), []byte("abc"), 0o600))
	factory := filestorage.NewFactory()
	cfg := factory.CreateDefaultConfig().(*filestorage.Config)
	cfg.Directory = dir
	ext, err := factory.Create(context.Background(), extensiontest.NewNopSettings(factory.Type()), cfg)
	require.NoError(t, err)
	require.NoError(t, ext.Start(context.Background(), componenttest.NewNopHost()))
	defer func() { require.NoError(t, ext.Shutdown(context.Background())) }()

	api := newFakeAPI(10, 0)
	h := newHarness(t, api)
	set := h.settings()
	id := storagetest.NewStorageID("damaged")
	set.StorageID = &id
	p, err := New(rset(), set, api, &sink{})
	require.NoError(t, err)
	host := statustest.New(storagetest.NewStorageHost().WithExtension(id, ext))
	require.NoError(t, p.Start(context.Background(), host), "the collector keeps running")
	stop(t, p)

	msg := host.LastErr(componentstatus.StatusPermanentError)
	require.Error(t, msg)
	assert.Contains(t, msg.Error(), `"receiver_test_a" in the directory of storage extension "test_storage/damaged"`)
	assert.Contains(t, msg.Error(), "move that file aside")
	assert.Contains(t, msg.Error(), "starts over from its start_time")
	assert.Contains(t, msg.Error(), "invalid database")
}
