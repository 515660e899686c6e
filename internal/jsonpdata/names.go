package jsonpdata

import (
	"bytes"
	"sync"
	"unicode/utf8"

	"github.com/go-json-experiment/json/jsontext"
)

// Audit records repeat the same few dozen member names on every record. Copying each into a
// fresh string made names a large share of a page's allocations (see BenchmarkConvertPage),
// so names are interned: a name seen before is looked up without allocating. The table is bounded, so that a hostile
// page with ever new names only falls back to plain copies.
const (
	maxNames   = 4096
	maxNameLen = 64
)

var names = struct {
	sync.RWMutex
	m map[string]string
}{m: make(map[string]string)}

// readName reads the next object member name, and whether it was valid UTF-8: invalid bytes
// become U+FFFD, so that a name never fails its page nor leaves the receiver as invalid text.
func readName(dec *jsontext.Decoder) (string, bool, error) {
	raw, err := dec.ReadValue() // the quoted name, valid until the next read
	if err != nil {
		return "", false, err
	}
	quoted := raw[1 : len(raw)-1]
	if len(quoted) > maxNameLen || bytes.IndexByte(quoted, '\\') >= 0 {
		name, ok := unquote(raw)
		return name, ok, nil
	}
	names.RLock()
	name, ok := names.m[string(quoted)] // no allocation: the compiler looks up the bytes
	names.RUnlock()
	if ok { // only valid names are interned
		return name, true, nil
	}
	if !utf8.Valid(quoted) {
		name, _ := unquote(raw)
		return name, false, nil
	}
	name = string(quoted)
	names.Lock()
	if len(names.m) < maxNames {
		names.m[name] = name
	}
	names.Unlock()
	return name, true, nil
}
