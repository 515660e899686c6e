package jsonpdata

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"

	"github.com/go-json-experiment/json/jsontext"
)

// ContentID derives a record ID from the record's JSON, for records the vendor sends without
// one. It hashes the canonical form (RFC 8785: members sorted, no insignificant space, numbers
// and strings in one spelling), so that the same record re-read with other spacing, member
// order or escapes gets the same ID and is dropped as a duplicate. Text that is not valid JSON
// is hashed as it is.
func ContentID(raw []byte) string {
	raw = bytes.Trim(raw, ", \t\r\n")
	v := jsontext.Value(bytes.Clone(raw))
	if err := v.Canonicalize(); err != nil {
		v = raw
	}
	sum := sha256.Sum256(v)
	return "sha256:" + hex.EncodeToString(sum[:16])
}
