package simulator

import (
	"strconv"
	"unicode/utf8"
)

// objWriter appends one JSON object field by field. It exists because encoding/json on a map costs
// several microseconds per record, which would make a million-record backfill take far too long;
// appending into a shared arena costs well under one.
type objWriter struct {
	b     []byte
	first bool
}

func (w *objWriter) open() { w.b = append(w.b, '{'); w.first = true }

func (w *objWriter) close() { w.b = append(w.b, '}'); w.first = false }

// key writes the separator and the key. Keys are program constants: plain ASCII without quotes.
func (w *objWriter) key(k string) {
	if !w.first {
		w.b = append(w.b, ',')
	}
	w.first = false
	w.b = append(w.b, '"')
	w.b = append(w.b, k...)
	w.b = append(w.b, '"', ':')
}

func (w *objWriter) str(k, v string) { w.key(k); w.b = appendJSONString(w.b, v) }

func (w *objWriter) null(k string) { w.key(k); w.b = append(w.b, "null"...) }

func (w *objWriter) int(k string, v int64) { w.key(k); w.b = strconv.AppendInt(w.b, v, 10) }

func (w *objWriter) float(k string, v float64) {
	w.key(k)
	w.b = strconv.AppendFloat(w.b, v, 'f', -1, 64)
}

func (w *objWriter) bool(k string, v bool) { w.key(k); w.b = strconv.AppendBool(w.b, v) }

// raw writes v, which must already be valid JSON.
func (w *objWriter) raw(k, v string) { w.key(k); w.b = append(w.b, v...) }

func (w *objWriter) strs(k string, vs []string) {
	w.key(k)
	w.b = append(w.b, '[')
	for i, v := range vs {
		if i > 0 {
			w.b = append(w.b, ',')
		}
		w.b = appendJSONString(w.b, v)
	}
	w.b = append(w.b, ']')
}

const hexDigits = "0123456789abcdef"

// jsonSafe[c] is true for the ASCII bytes that appear in a JSON string as they are. A table lookup
// per byte keeps escaping cheap on the bulk-load path, where nearly every byte is safe.
var jsonSafe = func() (t [utf8.RuneSelf]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return t
}()

// appendJSONString appends s as a JSON string. strconv.Quote is not used: its \x escapes are not
// JSON. Invalid UTF-8 becomes U+FFFD, as encoding/json does.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if jsonSafe[c] {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// arena hands out immutable byte slices carved from large shared chunks, so a million records are a
// few dozen allocations instead of a million.
type arena struct {
	chunk []byte
	size  int // chunk size; 0 means smallChunk
}

const (
	smallChunk = 256 << 10 // live inserts: a few records at a time
	bulkChunk  = 16 << 20  // backfill: fewer, larger allocations load faster
)

// add copies p into the arena and returns the stored copy (capacity clipped, so appending to it
// can never overwrite a neighbour).
func (a *arena) add(p []byte) []byte {
	size := a.size
	if size == 0 {
		size = smallChunk
	}
	if len(p) > size/4 {
		return append([]byte(nil), p...)
	}
	if cap(a.chunk)-len(a.chunk) < len(p) {
		a.chunk = make([]byte, 0, size)
	}
	start := len(a.chunk)
	a.chunk = append(a.chunk, p...)
	return a.chunk[start:len(a.chunk):len(a.chunk)]
}
