package confkeys

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"go.opentelemetry.io/collector/confmap"
)

var validatorType = reflect.TypeFor[confmap.Validator]()

// ValidateNested calls Validate on every value nested in cfg that has one, as confmap.Validate
// does, but not on cfg itself, and prefixes each error with the key path the user writes: a
// squashed field adds no key (confmap.Validate names it by its Go field name, such as
// "clientconfig", which no user writes). An error repeated at one path (a Validate method
// promoted from a squashed struct runs twice) is reported once.
func ValidateNested(cfg any) error {
	v := reflect.ValueOf(cfg)
	var errs []string
	walk(v, nil, true, &errs)
	out := make([]error, 0, len(errs))
	for i, e := range errs {
		if !slices.Contains(errs[:i], e) {
			out = append(out, errors.New(e))
		}
	}
	return errors.Join(out...)
}

func walk(v reflect.Value, path []string, root bool, errs *[]string) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			walk(v.Elem(), path, root, errs)
		}
		return
	case reflect.Invalid:
		return
	}
	if !root {
		if err := callValidate(v); err != nil {
			*errs = append(*errs, withPath(path, err))
		}
	}
	switch v.Kind() {
	case reflect.Struct:
		for i := range v.NumField() {
			f := v.Type().Field(i)
			if !f.IsExported() {
				continue
			}
			name, opts, _ := strings.Cut(f.Tag.Get(confmap.MapstructureTag), ",")
			at := path
			if !slices.Contains(strings.Split(opts, ","), "squash") {
				if name == "" {
					name = f.Name
				}
				at = append(slices.Clone(path), name)
			}
			walk(v.Field(i), at, false, errs)
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			walk(v.Index(i), append(slices.Clone(path), strconv.Itoa(i)), false, errs)
		}
	case reflect.Map:
		iter := v.MapRange()
		for iter.Next() {
			walk(iter.Value(), append(slices.Clone(path), fmt.Sprint(iter.Key().Interface())), false, errs)
		}
	}
}

// callValidate calls v's Validate method, on a pointer to v when that is where it is defined.
func callValidate(v reflect.Value) error {
	if v.Type().Implements(validatorType) {
		return v.Interface().(confmap.Validator).Validate()
	}
	if reflect.PointerTo(v.Type()).Implements(validatorType) {
		if !v.CanAddr() {
			p := reflect.New(v.Type())
			p.Elem().Set(v)
			v = p.Elem()
		}
		return v.Addr().Interface().(confmap.Validator).Validate()
	}
	return nil
}

func withPath(path []string, err error) string {
	if len(path) == 0 {
		return err.Error()
	}
	return Path(path) + ": " + err.Error()
}
