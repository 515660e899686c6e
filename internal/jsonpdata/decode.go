// Package jsonpdata decodes JSON straight into pdata values, without building Go maps first:
// both receivers turn vendor records into log bodies this way, which is what keeps converting
// a page no more expensive than merely unmarshalling it.
package jsonpdata // import "github.com/secaudit/otelcol-audit/internal/jsonpdata"

import (
	"fmt"
	"strconv"

	"github.com/go-json-experiment/json/jsontext"
	"go.opentelemetry.io/collector/pdata/pcommon"
)

// maxDepth bounds nesting so that a hostile page cannot exhaust the stack.
const maxDepth = 64

// Value decodes the next JSON value of dec into dst. JSON null leaves dst empty. Integers
// become Int when they fit in 64 bits and keep their exact text otherwise; other numbers
// become Double.
func Value(dec *jsontext.Decoder, dst pcommon.Value) error {
	return value(dec, dst, 0)
}

// Map decodes the next JSON value of dec, which must be an object, into dst.
func Map(dec *jsontext.Decoder, dst pcommon.Map) error {
	if k := dec.PeekKind(); k != '{' {
		if k == 0 {
			_, err := dec.ReadToken()
			return err
		}
		return fmt.Errorf("expected a JSON object, found %s", k)
	}
	return object(dec, dst, 0)
}

func value(dec *jsontext.Decoder, dst pcommon.Value, depth int) error {
	if depth > maxDepth {
		return fmt.Errorf("JSON nested deeper than %d levels", maxDepth)
	}
	switch dec.PeekKind() {
	case '{':
		return object(dec, dst.SetEmptyMap(), depth)
	case '[':
		return array(dec, dst.SetEmptySlice(), depth)
	}
	tok, err := dec.ReadToken()
	if err != nil {
		return err
	}
	switch tok.Kind() {
	case '"':
		dst.SetStr(tok.String())
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

func object(dec *jsontext.Decoder, m pcommon.Map, depth int) error {
	if _, err := dec.ReadToken(); err != nil { // {
		return err
	}
	for dec.PeekKind() != '}' {
		name, err := readName(dec)
		if err != nil {
			return err
		}
		if err := value(dec, m.PutEmpty(name), depth+1); err != nil {
			return err
		}
	}
	_, err := dec.ReadToken() // }
	return err
}

func array(dec *jsontext.Decoder, s pcommon.Slice, depth int) error {
	if _, err := dec.ReadToken(); err != nil { // [
		return err
	}
	for dec.PeekKind() != ']' {
		if dec.PeekKind() == 0 {
			_, err := dec.ReadToken()
			return err
		}
		if err := value(dec, s.AppendEmpty(), depth+1); err != nil {
			return err
		}
	}
	_, err := dec.ReadToken() // ]
	return err
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
		name, err := readName(dec)
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
