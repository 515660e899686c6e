package checkpoint

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension/xextension/storage"
)

// Store reads and writes one source's checkpoint through a storage extension client.
type Store struct {
	client storage.Client
	key    string
}

// StorageKey derives the storage key from what identifies a source (tenant host, key ID,
// filters), so that a receiver pointed at another tenant starts afresh instead of reusing a
// stale position. The parts are hashed: the key stays short whatever the filters are.
func StorageKey(parts ...string) string {
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return "checkpoint/" + hex.EncodeToString(sum[:16])
}

// NewStore returns a store writing under key.
func NewStore(client storage.Client, key string) *Store {
	return &Store{client: client, key: key}
}

// Load returns the stored checkpoint, with found false when none was stored yet (which a
// storage read failure is not: that returns an error).
func (s *Store) Load(ctx context.Context, granularity, overlap time.Duration) (cp Checkpoint, found bool, err error) {
	raw, err := s.client.Get(ctx, s.key)
	if err != nil {
		return Checkpoint{}, false, fmt.Errorf("reading checkpoint %q: %w", s.key, err)
	}
	if raw == nil {
		return Checkpoint{}, false, nil
	}
	if err := json.Unmarshal(raw, &cp); err != nil {
		return Checkpoint{}, false, fmt.Errorf("checkpoint %q is not valid JSON (%w); delete it to restart from start_time", s.key, err)
	}
	if cp.Version != Version {
		return Checkpoint{}, false, fmt.Errorf("checkpoint %q has version %d, this build reads version %d", s.key, cp.Version, Version)
	}
	if cp.Time.IsZero() {
		return Checkpoint{}, false, fmt.Errorf("checkpoint %q has no time", s.key)
	}
	cp.setWindow(granularity, overlap)
	return cp, true, nil
}

// Save writes the checkpoint in one atomic batch.
func (s *Store) Save(ctx context.Context, cp *Checkpoint) error {
	raw, err := json.Marshal(cp)
	if err != nil {
		return fmt.Errorf("encoding checkpoint: %w", err)
	}
	if err := s.client.Batch(ctx, storage.SetOperation(s.key, raw)); err != nil {
		return fmt.Errorf("writing checkpoint %q: %w", s.key, err)
	}
	return nil
}

// Close releases the storage client.
func (s *Store) Close(ctx context.Context) error {
	return s.client.Close(ctx)
}

// ErrNotStorage tells that the storage setting names an extension that is not a storage extension.
var ErrNotStorage = errors.New("is not a storage extension")

// Client returns the storage client of the extension named by storageID, or a client that
// keeps nothing when storageID is nil. The client is named after the full component ID, so
// file_storage keeps each receiver instance in a file of its own.
func Client(ctx context.Context, host component.Host, storageID *component.ID, owner component.ID) (storage.Client, error) {
	if storageID == nil {
		return storage.NewNopClient(), nil
	}
	ext, ok := host.GetExtensions()[*storageID]
	if !ok {
		return nil, fmt.Errorf("storage extension %q is not configured under extensions and service::extensions", storageID)
	}
	se, ok := ext.(storage.Extension)
	if !ok {
		return nil, fmt.Errorf("extension %q %w", storageID, ErrNotStorage)
	}
	c, err := se.GetClient(ctx, component.KindReceiver, owner, "")
	if err != nil {
		return nil, fmt.Errorf("opening storage %q: %w", storageID, err)
	}
	return c, nil
}
