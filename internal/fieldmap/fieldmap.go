// Package fieldmap lifts a vendor record's well-known members into log record attributes from
// one declarative table per record shape: JSON member, attribute, kind. The same table drives
// the reading of a decoded body and the writing of the attributes, and each receiver's tests
// compare it with the mapping table of its README, so that code and documentation cannot drift.
package fieldmap // import "github.com/secaudit/otelcol-audit/internal/fieldmap"

import (
	"fmt"
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/secaudit/otelcol-audit/internal/jsonpdata"
)

// Kind says how a field's value becomes an attribute.
type Kind uint8

const (
	// Text copies a scalar as text (numbers in decimal). Absent, null, "" and objects or
	// arrays are not copied: they stay in the body only.
	Text Kind = iota
	// Typed copies a scalar keeping its type: an integer ID stays an integer. "" is not copied.
	Typed
	// Lower copies a scalar as lower-case text.
	Lower
	// Own is read by the receiver's own code (a time, an ID, an address, a list): the table
	// finds the value and names the attribute; Put hands it to the receiver in table order.
	Own
)

// Field is one row of a table.
type Field struct {
	// JSON is the member's name; "a.b" is member b of the object in member a.
	JSON string
	// Attr is the attribute the value becomes; "" for a field read but not copied (a time).
	Attr string
	Kind Kind
}

// Table is a record shape's fields, in the order their attributes are written.
type Table struct {
	fields []Field
	// top maps a top-level member name to the fields it holds: itself, or members nested in it.
	top map[string][]int
}

// New returns the table of fields. Declare fields with index keys (`[]Field{fUser: {…}}`): a
// field's index is where Values holds it.
func New(fields []Field) *Table {
	t := &Table{fields: fields, top: make(map[string][]int, len(fields))}
	for i, f := range fields {
		name, _, _ := strings.Cut(f.JSON, ".")
		t.top[name] = append(t.top[name], i)
	}
	return t
}

// Fields returns the table's rows, for documentation checks.
func (t *Table) Fields() []Field { return t.fields }

// Values holds one record's values of a table's fields, by field index; a zero Value is absent.
type Values []pcommon.Value

// NewValues returns room for one record's values, to be reused record after record.
func (t *Table) NewValues() Values { return make(Values, len(t.fields)) }

// Read finds the table's fields in a decoded record, in one pass over its members.
func (t *Table) Read(body pcommon.Map, vals Values) {
	clear(vals)
	for k, v := range body.All() {
		for _, i := range t.top[k] {
			json := t.fields[i].JSON
			if len(json) == len(k) {
				vals[i] = v
				continue
			}
			if v.Type() == pcommon.ValueTypeMap { // a nested field: read one level down
				if nested, ok := v.Map().Get(json[len(k)+1:]); ok {
					vals[i] = nested
				}
			}
		}
	}
}

// Text returns field i's value as text, and false when it is absent, empty or not a scalar.
func (v Values) Text(i int) (string, bool) { return jsonpdata.Text(v[i]) }

// Put writes the fields' attributes in table order. own is called for each Own field whose
// value is present, to write it as the receiver sees fit.
func (t *Table) Put(attrs pcommon.Map, vals Values, own func(i int, f Field, v pcommon.Value)) {
	for i, f := range t.fields {
		v := vals[i]
		if v == (pcommon.Value{}) || f.Attr == "" {
			continue
		}
		switch f.Kind {
		case Text:
			if s, ok := jsonpdata.Text(v); ok {
				attrs.PutStr(f.Attr, s)
			}
		case Lower:
			if s, ok := jsonpdata.Text(v); ok {
				attrs.PutStr(f.Attr, strings.ToLower(s))
			}
		case Typed:
			putTyped(attrs, f.Attr, v)
		case Own:
			if own != nil {
				own(i, f, v)
			}
		default:
			panic(fmt.Sprintf("fieldmap: field %q has no kind %d", f.JSON, f.Kind))
		}
	}
}

func putTyped(attrs pcommon.Map, name string, v pcommon.Value) {
	switch v.Type() {
	case pcommon.ValueTypeInt, pcommon.ValueTypeDouble, pcommon.ValueTypeBool:
		v.CopyTo(attrs.PutEmpty(name))
	case pcommon.ValueTypeStr:
		if v.Str() != "" {
			attrs.PutStr(name, v.Str())
		}
	}
}
