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
	s := NewStore(client, StorageKey("tenant-a", "key-1"))
	_, found, err := s.Load(ctx, time.Second, 0)
	require.NoError(t, err)
	assert.False(t, found, "an empty store is 'not found', not an error")

	cp := New("tenant-a", at(0), time.Second, 0)
	cp.Advance([]Key{{"u1", at(1500)}, {"u2", at(1700)}})
	require.NoError(t, s.Save(ctx, &cp))
	require.NoError(t, s.Close(ctx))

	client, err = Client(ctx, storagetest.NewStorageHost().WithFileBackedStorageExtension("fs", dir), &id, owner)
	require.NoError(t, err)
	s = NewStore(client, StorageKey("tenant-a", "key-1"))
	got, found, err := s.Load(ctx, time.Second, 0)
	require.NoError(t, err)
	require.True(t, found)
	assert.Equal(t, at(1700), got.Time)
	assert.ElementsMatch(t, []string{"u1", "u2"}, keys(got.Recent))
	assert.True(t, got.Seen(Key{"u1", at(1000)}))

	other := NewStore(client, StorageKey("tenant-b", "key-1"))
	_, found, err = other.Load(ctx, time.Second, 0)
	require.NoError(t, err)
	assert.False(t, found, "another tenant does not reuse the checkpoint")
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
	_, _, err := NewStore(failingClient{err: errors.New("disk on fire")}, "k").Load(ctx, time.Second, 0)
	assert.ErrorContains(t, err, "disk on fire")
	_, _, err = NewStore(failingClient{get: []byte("{not json")}, "k").Load(ctx, time.Second, 0)
	assert.ErrorContains(t, err, "not valid JSON")
	_, _, err = NewStore(failingClient{get: []byte(`{"version":99,"time":"2026-01-01T00:00:00Z"}`)}, "k").Load(ctx, time.Second, 0)
	assert.ErrorContains(t, err, "version 99")
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
	assert.Equal(t, StorageKey("a", "b"), StorageKey("a", "b"))
	assert.NotEqual(t, StorageKey("a", "b"), StorageKey("ab", ""))
	assert.Regexp(t, `^checkpoint/[0-9a-f]{32}$`, StorageKey("host", "client"))
}
