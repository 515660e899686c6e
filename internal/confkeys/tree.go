package confkeys

import (
	"encoding"
	"maps"
	"reflect"
	"slices"
	"strings"

	"go.opentelemetry.io/collector/confmap"
)

// node is what a configuration value of some Go type accepts as keys.
type node struct {
	// fields are the keys of a struct, squashed structs included; nil for anything else.
	fields map[string]*node
	// elem checks each element of a list of structs.
	elem *node
	// open accepts any key: maps, interfaces, ",remain" structs and types that unmarshal
	// themselves (configopaque.MapList takes a map or a list).
	open bool
	// text is a plain string setting (configopaque.String among them). YAML makes a date, a
	// number or, through ${env:…}, a mapping of what the user meant as text: see textValues.
	text bool
}

var (
	unmarshalerType     = reflect.TypeFor[confmap.Unmarshaler]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// optionalPkg holds configoptional.Optional[T], which takes T's keys plus "enabled".
const optionalPkg = "go.opentelemetry.io/collector/config/configoptional"

// treeOf returns the keys t accepts. seen breaks cycles of self-referencing types.
func treeOf(t reflect.Type, seen map[reflect.Type]*node) *node {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if n, ok := seen[t]; ok {
		return n
	}
	n := &node{}
	seen[t] = n
	ptr := reflect.PointerTo(t)
	switch {
	case t.PkgPath() == optionalPkg && strings.HasPrefix(t.Name(), "Optional["):
		get, _ := ptr.MethodByName("Get") // func(*Optional[T]) *T
		inner := treeOf(get.Type.Out(0), seen)
		*n = *inner
		if n.fields != nil {
			n.fields = maps.Clone(n.fields)
			n.fields["enabled"] = &node{}
		}
	case ptr.Implements(unmarshalerType):
		n.open = true
	case ptr.Implements(textUnmarshalerType):
		// A scalar such as component.ID: no keys.
	case t.Kind() == reflect.String:
		n.text = true
	case t.Kind() == reflect.Struct:
		n.fields = map[string]*node{}
		addFields(n, t, seen)
	case t.Kind() == reflect.Slice || t.Kind() == reflect.Array:
		if e := treeOf(t.Elem(), seen); e.fields != nil || e.open || e.elem != nil {
			n.elem = e
		}
	case t.Kind() == reflect.Map || t.Kind() == reflect.Interface:
		n.open = true
	}
	return n
}

// addFields adds the keys of struct t to n, as the collector's mapstructure decoder reads
// them: the tag name, or the field name when the tag has none; squashed fields add theirs.
func addFields(n *node, t reflect.Type, seen map[reflect.Type]*node) {
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, opts, _ := strings.Cut(f.Tag.Get(confmap.MapstructureTag), ",")
		if name == "-" {
			continue
		}
		options := strings.Split(opts, ",")
		switch {
		case slices.Contains(options, "remain"):
			n.open = true
		case slices.Contains(options, "squash"):
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			// Walked by its fields even when it unmarshals itself: its keys sit at this level,
			// and the decoder ignores unknown keys of a struct holding such a field.
			addFields(n, ft, seen)
		default:
			if name == "" {
				name = f.Name
			}
			n.fields[name] = treeOf(f.Type, seen)
		}
	}
}
