package jsonpdata

import (
	"bytes"
	"sync"

	"github.com/go-json-experiment/json/jsontext"
)

// Audit records repeat the same few dozen member names on every record. Copying each into a
// fresh string was nearly a third of the allocations of a page, so names are interned: a
// name seen before is looked up without allocating. The table is bounded, so that a hostile
// page with ever new names only falls back to plain copies.
const (
	maxNames   = 4096
	maxNameLen = 64
)

var names = struct {
	sync.RWMutex
	m map[string]string
}{m: make(map[string]string)}

// readName reads the next object member name.
func readName(dec *jsontext.Decoder) (string, error) {
	raw, err := dec.ReadValue() // the quoted name, valid until the next read
	if err != nil {
		return "", err
	}
	quoted := raw[1 : len(raw)-1]
	if len(quoted) > maxNameLen || bytes.IndexByte(quoted, '\\') >= 0 {
		name, err := jsontext.AppendUnquote(nil, raw)
		return string(name), err
	}
	names.RLock()
	name, ok := names.m[string(quoted)] // no allocation: the compiler looks up the bytes
	names.RUnlock()
	if ok {
		return name, nil
	}
	name = string(quoted)
	names.Lock()
	if len(names.m) < maxNames {
		names.m[name] = name
	}
	names.Unlock()
	return name, nil
}
