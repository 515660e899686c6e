package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension/xextension/storage"
)

// boltBucket is the bucket file_storage keeps every key of a component in.
var boltBucket = []byte("default")

// lockWait is how long auditctl waits for the collector to release a storage file. bbolt holds
// an exclusive lock on it for as long as the collector runs.
const lockWait = time.Second

// errHeld tells that a running collector holds the storage file.
var errHeld = errors.New("a running collector holds this storage file")

// storageFile is the file file_storage keeps a receiver's keys in: the component's kind, type
// and name, with the characters it does not allow in a file name escaped as it escapes them.
func storageFile(dir string, id component.ID) string {
	var b strings.Builder
	for _, r := range fmt.Sprintf("receiver_%s_%s", id.Type(), id.Name()) {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-', r == '_':
			b.WriteRune(r)
		default:
			fmt.Fprintf(&b, "~%04X", r)
		}
	}
	return filepath.Join(dir, b.String())
}

// openBolt opens a storage file. Read-only opens share the lock with other readers; a writer
// needs it alone. Either way a running collector makes it wait: errHeld after lockWait.
func openBolt(path string, readOnly bool) (*bbolt.DB, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, err
	}
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: lockWait, ReadOnly: readOnly})
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, fmt.Errorf("%s: %w", path, errHeld)
	}
	return db, err
}

// createBolt creates a storage file as file_storage would at the receiver's first start, so
// that a checkpoint can be set before it.
func createBolt(path string) (*bbolt.DB, error) {
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: lockWait})
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, fmt.Errorf("%s: %w", path, errHeld)
	}
	return db, err
}

// snapshot copies a storage file that a running collector holds, so that it can be read without
// its lock. bbolt writes each transaction's pages before the meta page that points at them, so
// a copy holds the last complete transaction or the one before.
func snapshot(path string) (string, func(), error) {
	src, err := os.Open(path)
	if err != nil {
		return "", nil, err
	}
	defer func() { _ = src.Close() }()
	dst, err := os.CreateTemp("", "auditctl-checkpoint-*")
	if err != nil {
		return "", nil, err
	}
	cleanup := func() { _ = os.Remove(dst.Name()) }
	if _, err := io.Copy(dst, src); err != nil {
		_ = dst.Close()
		cleanup()
		return "", nil, err
	}
	if err := dst.Close(); err != nil {
		cleanup()
		return "", nil, err
	}
	return dst.Name(), cleanup, nil
}

// boltClient is a storage.Client over one file_storage file, so that the checkpoint package
// reads and writes it exactly as the receiver does.
type boltClient struct{ db *bbolt.DB }

func (c boltClient) Get(_ context.Context, key string) ([]byte, error) {
	var out []byte
	err := c.db.View(func(tx *bbolt.Tx) error {
		if b := tx.Bucket(boltBucket); b != nil {
			if v := b.Get([]byte(key)); v != nil {
				out = append([]byte(nil), v...)
			}
		}
		return nil
	})
	return out, err
}

func (c boltClient) Set(ctx context.Context, key string, value []byte) error {
	return c.Batch(ctx, storage.SetOperation(key, value))
}

func (c boltClient) Delete(ctx context.Context, key string) error {
	return c.Batch(ctx, storage.DeleteOperation(key))
}

// Batch applies the operations in one transaction, as file_storage does.
func (c boltClient) Batch(_ context.Context, ops ...*storage.Operation) error {
	return c.db.Update(func(tx *bbolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(boltBucket)
		if err != nil {
			return err
		}
		for _, op := range ops {
			switch op.Type {
			case storage.Get:
				if v := b.Get([]byte(op.Key)); v != nil {
					op.Value = append([]byte(nil), v...)
				}
			case storage.Set:
				err = b.Put([]byte(op.Key), op.Value)
			case storage.Delete:
				err = b.Delete([]byte(op.Key))
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
}

func (c boltClient) Close(context.Context) error { return c.db.Close() }

// keys lists the keys of the file's bucket.
func (c boltClient) keys() ([]string, error) {
	var out []string
	err := c.db.View(func(tx *bbolt.Tx) error {
		b := tx.Bucket(boltBucket)
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, _ []byte) error {
			out = append(out, string(k))
			return nil
		})
	})
	return out, err
}
