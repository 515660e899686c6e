package checkpoint

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/storage/storagetest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/extension/xextension/storage"
)

var owner = component.MustNewIDWithName("test", "a")

func TestStoreRoundTripOnFileStorage(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	id := storagetest.NewStorageID("fs")
	host := storagetest.NewStorageHost().WithFileBackedStorageExtension("fs", dir)

	client, err := Client(ctx, host, &id, owner)
	require.NoError(t, err)
	s := NewStore(client, StorageKey("tenant-a", "key-1"), "tenant-a")
	loaded, err := s.Load(ctx, time.Second, 0)
	require.NoError(t, err)
	assert.False(t, loaded.Found, "an empty store is 'not found', not an error")

	cp := New("tenant-a", at(0), time.Second, 0)
	cp.Advance([]Key{{ID: "u1", Time: at(1500)}, {ID: "u2", Time: at(1700)}}, never)
	require.NoError(t, s.Save(ctx, &cp))
	require.NoError(t, s.Close(ctx))

	client, err = Client(ctx, storagetest.NewStorageHost().WithFileBackedStorageExtension("fs", dir), &id, owner)
	require.NoError(t, err)
	s = NewStore(client, StorageKey("tenant-a", "key-1"), "tenant-a")
	loaded, err = s.Load(ctx, time.Second, 0)
	require.NoError(t, err)
	require.True(t, loaded.Found)
	got := loaded.Checkpoint
	assert.Equal(t, at(1700), got.Time)
	assert.ElementsMatch(t, []string{"u1", "u2"}, keys(got.Recent))
	assert.True(t, got.Seen(Key{ID: "u1", Time: at(1000)}))

	other := NewStore(client, StorageKey("tenant-b", "key-1"), "tenant-b")
	loaded, err = other.Load(ctx, time.Second, 0)
	require.NoError(t, err)
	assert.False(t, loaded.Found, "another tenant does not reuse the checkpoint")
	assert.Equal(t, []string{"tenant-a"}, loaded.Others, "but it is told that the storage holds tenant-a's")
	require.NoError(t, s.Close(ctx))
}

type failingClient struct {
	storage.Client
	get []byte
	err error
}

func (f failingClient) Get(context.Context, string) ([]byte, error) { return f.get, f.err }

func TestLoadTellsFailureFromAbsence(t *testing.T) {
	ctx := context.Background()
	_, err := NewStore(failingClient{err: errors.New("disk on fire")}, "k", "src").Load(ctx, time.Second, 0)
	assert.ErrorContains(t, err, "disk on fire")
	var corrupt *CorruptError
	assert.NotErrorAs(t, err, &corrupt, "a read failure is not a damaged document")
	_, err = NewStore(failingClient{get: []byte("{not json")}, "k", "src").Load(ctx, time.Second, 0)
	assert.ErrorContains(t, err, "not valid JSON")
	assert.ErrorAs(t, err, &corrupt)
	_, err = NewStore(failingClient{get: []byte(`{"version":99,"time":"2026-01-01T00:00:00Z"}`)}, "k", "src").Load(ctx, time.Second, 0)
	assert.ErrorContains(t, err, "version 99")
	assert.ErrorAs(t, err, &corrupt)
}

func TestClientWithoutStorageKeepsNothing(t *testing.T) {
	ctx := context.Background()
	c, err := Client(ctx, componenttest.NewNopHost(), nil, owner)
	require.NoError(t, err)
	require.NoError(t, c.Set(ctx, "k", []byte("v")))
	v, err := c.Get(ctx, "k")
	require.NoError(t, err)
	assert.Nil(t, v)
}

func TestClientErrorsNameTheExtension(t *testing.T) {
	ctx := context.Background()
	missing := component.MustNewID("file_storage")
	_, err := Client(ctx, componenttest.NewNopHost(), &missing, owner)
	assert.ErrorContains(t, err, `"file_storage" is not configured`)
	notStorage := storagetest.NewNonStorageID("x")
	_, err = Client(ctx, storagetest.NewStorageHost().WithNonStorageExtension("x"), &notStorage, owner)
	assert.ErrorIs(t, err, ErrNotStorage)
}

func TestStorageKeyIsStableAndSecretFree(t *testing.T) {
	a, b := StorageKey("a", "b"), StorageKey("a", "b")
	assert.Equal(t, a, b, "the same parts give the same key")
	assert.NotEqual(t, StorageKey("a", "b"), StorageKey("ab", ""))
	assert.Regexp(t, `^checkpoint/[0-9a-f]{32}$`, StorageKey("host", "client"))
}

func TestLegacyKeyIsReadThenMoved(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	id := storagetest.NewStorageID("fs")
	open := func() storage.Client {
		client, err := Client(ctx, storagetest.NewStorageHost().WithFileBackedStorageExtension("fs", dir), &id, owner)
		require.NoError(t, err)
		return client
	}
	client := open()
	legacy := StorageKey("tenant-a", "old-key-id")
	old := NewStore(client, legacy, "old")
	cp := New("old", at(0), time.Second, 0)
	cp.Advance([]Key{{ID: "u1", Time: at(1500)}}, never)
	require.NoError(t, old.Save(ctx, &cp))

	s := NewStore(client, StorageKey("endpoint=tenant-a"), "endpoint=tenant-a", legacy)
	loaded, err := s.Load(ctx, time.Second, 0)
	require.NoError(t, err)
	require.True(t, loaded.Found)
	assert.Equal(t, legacy, loaded.Migrated)
	assert.Equal(t, at(1500), loaded.Checkpoint.Time)
	raw, err := client.Get(ctx, legacy)
	require.NoError(t, err)
	assert.Nil(t, raw, "the legacy key is removed in the same batch")
	require.NoError(t, client.Close(ctx))

	client = open()
	loaded, err = NewStore(client, StorageKey("endpoint=tenant-a"), "endpoint=tenant-a").Load(ctx, time.Second, 0)
	require.NoError(t, err)
	assert.True(t, loaded.Found, "found under the new key from then on")
	assert.Empty(t, loaded.Migrated)
	assert.Equal(t, "endpoint=tenant-a", loaded.Checkpoint.Source)
	loaded, err = NewStore(client, StorageKey("endpoint=tenant-b"), "endpoint=tenant-b").Load(ctx, time.Second, 0)
	require.NoError(t, err)
	assert.Equal(t, []string{"endpoint=tenant-a"}, loaded.Others, "the moved key is no longer listed")
	require.NoError(t, client.Close(ctx))
}
