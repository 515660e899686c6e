package httpapi

import (
	"reflect"

	"go.opentelemetry.io/collector/config/configopaque"
)

var opaqueType = reflect.TypeFor[configopaque.String]()

// OpaqueValues returns every configopaque.String held in cfg, in any field, exported or not:
// the receivers' credentials, headers values, TLS keys given inline. A field added to a
// config is covered without a list to update.
func OpaqueValues(cfg any) []string {
	return opaqueValues(reflect.ValueOf(cfg), nil)
}

func opaqueValues(v reflect.Value, out []string) []string {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			out = opaqueValues(v.Elem(), out)
		}
	case reflect.String:
		if v.Type() == opaqueType {
			out = append(out, v.String())
		}
	case reflect.Struct:
		for i := range v.NumField() {
			out = opaqueValues(v.Field(i), out)
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			out = opaqueValues(v.Index(i), out)
		}
	case reflect.Map:
		for it := v.MapRange(); it.Next(); {
			out = opaqueValues(it.Value(), out)
		}
	}
	return out
}
