// Package jsonpdata decodes JSON straight into pdata values, without building Go maps first:
// both receivers turn vendor records into log bodies this way, which is what keeps converting
// a page no more expensive than merely unmarshalling it.
package jsonpdata // import "github.com/secaudit/otelcol-audit/internal/jsonpdata"

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/go-json-experiment/json/jsontext"
	"go.opentelemetry.io/collector/pdata/pcommon"
)

// maxDepth bounds the nesting decoded into pdata, so that a hostile page cannot exhaust the
// stack. A deeper object or array is kept as its JSON text (RepairDepth), not refused: one odd
// record must not block the page, and every page after it, forever.
const maxDepth = 64

// Value decodes the next JSON value of dec into dst, within b. JSON null leaves dst empty.
// Integers become Int when they fit in 64 bits and keep their exact text otherwise; other
// numbers become Double. Every string is valid UTF-8: invalid bytes become U+FFFD (RepairUTF8).
func Value(dec *jsontext.Decoder, dst pcommon.Value, b *Budget) error {
	return b.value(dec, dst, 0)
}

// Map decodes the next JSON value of dec, which must be an object, into dst, within b.
func Map(dec *jsontext.Decoder, dst pcommon.Map, b *Budget) error {
	if k := dec.PeekKind(); k != '{' {
		if k == 0 {
			_, err := dec.ReadToken()
			return err
		}
		return fmt.Errorf("expected a JSON object, found %s", k)
	}
	if err := b.spend(1); err != nil {
		return err
	}
	return b.object(dec, dst, 0)
}

func (b *Budget) value(dec *jsontext.Decoder, dst pcommon.Value, depth int) error {
	if err := b.spend(1); err != nil {
		return err
	}
	switch dec.PeekKind() {
	case '{':
		if depth >= maxDepth {
			return b.raw(dec, dst)
		}
		return b.object(dec, dst.SetEmptyMap(), depth)
	case '[':
		if depth >= maxDepth {
			return b.raw(dec, dst)
		}
		return b.array(dec, dst.SetEmptySlice(), depth)
	case '"':
		raw, err := dec.ReadValue() // the quoted string, valid until the next read
		if err != nil {
			return err
		}
		s, ok := unquote(raw)
		if !ok {
			b.repaired |= RepairUTF8
		}
		dst.SetStr(s)
		return nil
	}
	tok, err := dec.ReadToken()
	if err != nil {
		return err
	}
	switch tok.Kind() {
	case '0':
		setNumber(dst, tok.String())
	case 't', 'f':
		dst.SetBool(tok.Bool())
	case 'n':
		// null: an empty value.
	default:
		return fmt.Errorf("unexpected JSON token %s", tok.Kind())
	}
	return nil
}

// raw keeps the next value, nested too deep to decode, as its JSON text.
func (b *Budget) raw(dec *jsontext.Decoder, dst pcommon.Value) error {
	v, err := dec.ReadValue()
	if err != nil {
		return err
	}
	b.repaired |= RepairDepth
	if !utf8.Valid(v) {
		b.repaired |= RepairUTF8
		dst.SetStr(strings.ToValidUTF8(string(v), "\uFFFD"))
		return nil
	}
	dst.SetStr(string(v))
	return nil
}

func (b *Budget) object(dec *jsontext.Decoder, m pcommon.Map, depth int) error {
	if _, err := dec.ReadToken(); err != nil { // {
		return err
	}
	for n := 0; dec.PeekKind() != '}'; n++ {
		if n == maxMembers {
			return &LimitError{What: "members in one JSON object", Limit: maxMembers}
		}
		name, ok, err := readName(dec)
		if err != nil {
			return err
		}
		if !ok {
			b.repaired |= RepairUTF8
		}
		if err := b.value(dec, m.PutEmpty(name), depth+1); err != nil {
			return err
		}
	}
	_, err := dec.ReadToken() // }
	return err
}

func (b *Budget) array(dec *jsontext.Decoder, s pcommon.Slice, depth int) error {
	if _, err := dec.ReadToken(); err != nil { // [
		return err
	}
	for dec.PeekKind() != ']' {
		if dec.PeekKind() == 0 {
			_, err := dec.ReadToken()
			return err
		}
		if err := b.value(dec, s.AppendEmpty(), depth+1); err != nil {
			return err
		}
	}
	_, err := dec.ReadToken() // ]
	return err
}

// unquote returns the text of a quoted JSON string that the decoder has checked, and whether
// it was valid UTF-8; invalid bytes (which AllowInvalidUTF8 lets through) become U+FFFD.
func unquote(raw []byte) (string, bool) {
	inner := raw[1 : len(raw)-1]
	if bytes.IndexByte(inner, '\\') < 0 && utf8.Valid(inner) {
		return string(inner), true
	}
	s, err := jsontext.AppendUnquote(nil, raw)
	// The syntax was checked: an error can only be invalid UTF-8 (or a lone surrogate escape),
	// already replaced in s.
	return string(s), err == nil
}

// setNumber keeps integers exact: JSON numbers such as 12-digit session IDs or 13-digit
// millisecond times must not pass through float64.
func setNumber(dst pcommon.Value, raw string) {
	isInt := true
	for i := 0; i < len(raw); i++ {
		if c := raw[i]; c == '.' || c == 'e' || c == 'E' {
			isInt = false
			break
		}
	}
	if isInt {
		if n, err := strconv.ParseInt(raw, 10, 64); err == nil {
			dst.SetInt(n)
		} else {
			dst.SetStr(raw)
		}
		return
	}
	if f, err := strconv.ParseFloat(raw, 64); err == nil {
		dst.SetDouble(f)
	} else {
		dst.SetStr(raw)
	}
}

// Members reads the next JSON value of dec, which must be an object, calling member with each
// member name; member must consume that member's value. Receivers walk their page envelopes
// with it and keep only the members they know.
func Members(dec *jsontext.Decoder, member func(name string) error) error {
	tok, err := dec.ReadToken()
	if err != nil {
		return err
	}
	if tok.Kind() != '{' {
		return fmt.Errorf("expected a JSON object, found %s", tok.Kind())
	}
	for dec.PeekKind() != '}' {
		name, _, err := readName(dec) // an envelope name with invalid UTF-8 is no name a receiver knows
		if err != nil {
			return err
		}
		if err := member(name); err != nil {
			return err
		}
	}
	_, err = dec.ReadToken() // }
	return err
}
