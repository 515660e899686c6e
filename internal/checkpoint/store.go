package checkpoint

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension/xextension/storage"
)

// Store reads and writes one source's checkpoint through a storage extension client.
type Store struct {
	client storage.Client
	key    string
	legacy []string
	source string
	// indexed tells that the index already lists this source.
	indexed bool
}

// indexKey holds, for one storage client (one receiver instance), the sources it has kept a
// checkpoint for: the storage API cannot list keys, and a receiver that finds no checkpoint for
// its source must be able to tell the user that it holds one for another.
const indexKey = "checkpoint/index"

// StorageKey derives the storage key from what selects the data (tenant endpoint and filters, in
// a canonical form), never from who reads it, so that rotating a credential keeps the position.
// The parts are hashed: the key stays short whatever the filters are.
func StorageKey(parts ...string) string {
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return "checkpoint/" + hex.EncodeToString(sum[:16])
}

// NewStore returns a store writing under key for the source that description names (what
// selects the data, never a secret). legacy are keys that earlier releases wrote the same
// source's checkpoint under; Load reads them when key holds nothing.
func NewStore(client storage.Client, key, description string, legacy ...string) *Store {
	return &Store{client: client, key: key, source: description, legacy: legacy}
}

// Key is the storage key the checkpoint is written under.
func (s *Store) Key() string { return s.key }

// Loaded tells what Load found.
type Loaded struct {
	Checkpoint Checkpoint
	Found      bool
	// Migrated names the legacy key the checkpoint was read from (and moved off), if any.
	Migrated string
	// Others describes, when nothing was found, the other sources this storage client holds
	// checkpoints for: a changed endpoint or filter, most likely.
	Others []string
}

// Load returns the stored checkpoint, with Found false when none was stored yet (which a
// storage read failure is not: that returns an error). A checkpoint found under a legacy key is
// written under the current key at once, in one batch that removes the legacy one.
func (s *Store) Load(ctx context.Context, granularity, overlap time.Duration) (Loaded, error) {
	index, err := s.readIndex(ctx)
	if err != nil {
		return Loaded{}, err
	}
	_, s.indexed = index[s.key]
	for _, key := range append([]string{s.key}, s.legacy...) {
		raw, err := s.client.Get(ctx, key)
		if err != nil {
			return Loaded{}, fmt.Errorf("reading checkpoint %q: %w", key, err)
		}
		if raw == nil {
			continue
		}
		cp, err := decode(key, raw)
		if err != nil {
			return Loaded{}, err
		}
		cp.setWindow(granularity, overlap)
		out := Loaded{Checkpoint: cp, Found: true}
		if key != s.key {
			cp.Source = s.source
			if err := s.write(ctx, &cp, key); err != nil {
				return Loaded{}, fmt.Errorf("moving checkpoint %q to %q: %w", key, s.key, err)
			}
			out.Checkpoint, out.Migrated = cp, key
		}
		return out, nil
	}
	var out Loaded
	for key, source := range index {
		if key != s.key {
			out.Others = append(out.Others, source)
		}
	}
	sort.Strings(out.Others)
	return out, nil
}

func decode(key string, raw []byte) (Checkpoint, error) {
	var cp Checkpoint
	if err := json.Unmarshal(raw, &cp); err != nil {
		return Checkpoint{}, &CorruptError{Key: key, Reason: fmt.Sprintf("not valid JSON: %v", err)}
	}
	if cp.Version != Version {
		return Checkpoint{}, &CorruptError{Key: key, Reason: fmt.Sprintf("version %d, this build reads version %d", cp.Version, Version)}
	}
	if cp.Time.IsZero() {
		return Checkpoint{}, &CorruptError{Key: key, Reason: "no time"}
	}
	return cp, nil
}

// CorruptError tells that a stored checkpoint cannot be read: retrying cannot help.
type CorruptError struct {
	Key    string
	Reason string
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("checkpoint %q is unreadable (%s)", e.Key, e.Reason)
}

func (s *Store) readIndex(ctx context.Context) (map[string]string, error) {
	raw, err := s.client.Get(ctx, indexKey)
	if err != nil {
		return nil, fmt.Errorf("reading %q: %w", indexKey, err)
	}
	index := map[string]string{}
	if raw != nil && json.Unmarshal(raw, &index) != nil {
		// The index only feeds a warning: a damaged one is rebuilt, never a reason to stop.
		index = map[string]string{}
	}
	return index, nil
}

// Save writes the checkpoint in one atomic batch.
func (s *Store) Save(ctx context.Context, cp *Checkpoint) error {
	return s.write(ctx, cp, "")
}

// write stores cp, lists the source in the index the first time, and removes the key moved
// from (if any) from both, all in one batch.
func (s *Store) write(ctx context.Context, cp *Checkpoint, movedFrom string) error {
	raw, err := json.Marshal(cp)
	if err != nil {
		return fmt.Errorf("encoding checkpoint: %w", err)
	}
	ops := []*storage.Operation{storage.SetOperation(s.key, raw)}
	if movedFrom != "" {
		ops = append(ops, storage.DeleteOperation(movedFrom))
	}
	if !s.indexed || movedFrom != "" {
		index, err := s.readIndex(ctx)
		if err != nil {
			return err
		}
		delete(index, movedFrom)
		index[s.key] = s.source
		rawIndex, err := json.Marshal(index)
		if err != nil {
			return fmt.Errorf("encoding %q: %w", indexKey, err)
		}
		ops = append(ops, storage.SetOperation(indexKey, rawIndex))
	}
	if err := s.client.Batch(ctx, ops...); err != nil {
		return fmt.Errorf("writing checkpoint %q: %w", s.key, err)
	}
	s.indexed = true
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

// Set moves the checkpoint to t (see Checkpoint.MoveTo), creating it when there is none, and
// returns the position it had (zero when it had none).
func (s *Store) Set(ctx context.Context, t time.Time, granularity, overlap time.Duration) (before time.Time, err error) {
	loaded, err := s.Load(ctx, granularity, overlap)
	if err != nil {
		return time.Time{}, err
	}
	cp := loaded.Checkpoint
	if loaded.Found {
		before = cp.Time
	} else {
		cp = New(s.source, t, granularity, overlap)
	}
	cp.MoveTo(t)
	return before, s.Save(ctx, &cp)
}

// Delete removes the checkpoint, under the current key and any legacy one, and its index
// entry, in one batch. It tells whether there was one.
func (s *Store) Delete(ctx context.Context) (found bool, err error) {
	index, err := s.readIndex(ctx)
	if err != nil {
		return false, err
	}
	var ops []*storage.Operation
	for _, key := range append([]string{s.key}, s.legacy...) {
		raw, err := s.client.Get(ctx, key)
		if err != nil {
			return false, fmt.Errorf("reading checkpoint %q: %w", key, err)
		}
		found = found || raw != nil
		ops = append(ops, storage.DeleteOperation(key))
		delete(index, key)
	}
	rawIndex, err := json.Marshal(index)
	if err != nil {
		return false, fmt.Errorf("encoding %q: %w", indexKey, err)
	}
	ops = append(ops, storage.SetOperation(indexKey, rawIndex))
	if err := s.client.Batch(ctx, ops...); err != nil {
		return false, fmt.Errorf("deleting checkpoint %q: %w", s.key, err)
	}
	return found, nil
}

// IsCheckpointKey tells whether a storage key holds a checkpoint document (not the index).
func IsCheckpointKey(key string) bool {
	return strings.HasPrefix(key, "checkpoint/") && key != indexKey
}

// Decode reads a stored checkpoint document.
func Decode(key string, raw []byte) (Checkpoint, error) { return decode(key, raw) }
