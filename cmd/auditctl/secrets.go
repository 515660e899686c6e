package main

import (
	"bytes"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strings"
	"sync"

	"go.opentelemetry.io/collector/config/configopaque"

	"github.com/secaudit/otelcol-audit/internal/httpapi"
)

// secretSet holds the configuration values that must never be printed: every value of a
// configopaque.String field of the receivers loaded, as written in the file (or its
// environment variable) and as unmarshaled, the proxy passwords, and the secrets the receivers
// name in their spec. All output goes through it, so that no message (a config error quoting a
// value, a server echoing a header) can show one, in any of the forms httpapi.Secrets knows
// (URL-encoded, JSON-escaped, …), nor any bearer credential.
type secretSet struct {
	set *httpapi.Secrets
}

func newSecretSet() *secretSet { return &secretSet{set: httpapi.NewSecrets()} }

// add records secrets; httpapi.Secrets also records a multi-line value (a PEM key) line by line.
func (s *secretSet) add(values ...string) { s.set.Add(values...) }

func (s *secretSet) scrub(text string) string { return s.set.Scrub(text) }

var opaqueType = reflect.TypeFor[configopaque.String]()

// opaquePaths lists the configuration keys under which type t holds a configopaque.String.
// A key whose value is a list or a map of them (headers) stands for everything under it.
func opaquePaths(t reflect.Type, prefix []string, visiting map[reflect.Type]bool, out *[][]string) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == opaqueType {
		*out = append(*out, prefix)
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		if visiting[t] {
			return
		}
		visiting[t] = true
		defer delete(visiting, t)
		for i := range t.NumField() {
			f := t.Field(i)
			key, squash := fieldKey(f)
			switch {
			case key == "-":
			case squash || !f.IsExported():
				// Unexported fields are walked at the same key: configoptional.Optional keeps the
				// value it unmarshals there.
				opaquePaths(f.Type, prefix, visiting, out)
			default:
				opaquePaths(f.Type, append(slices.Clone(prefix), key), visiting, out)
			}
		}
	case reflect.Slice, reflect.Array, reflect.Map:
		var inner [][]string
		opaquePaths(t.Elem(), nil, visiting, &inner)
		if len(inner) > 0 {
			*out = append(*out, prefix)
		}
	}
}

// fieldKey returns the mapstructure key of a struct field, and whether it is squashed.
func fieldKey(f reflect.StructField) (string, bool) {
	name, opts, _ := strings.Cut(f.Tag.Get("mapstructure"), ",")
	if slices.Contains(strings.Split(opts, ","), "squash") {
		return "", true
	}
	if name == "" {
		name = strings.ToLower(f.Name)
	}
	return name, false
}

// rawOpaqueValues returns every scalar found in raw (a receiver's section of the configuration,
// before unmarshaling) under a key that holds a configopaque.String in a config of type t.
// They are what an unmarshal error could quote, whatever their shape.
func rawOpaqueValues(raw map[string]any, t reflect.Type) []string {
	var paths [][]string
	opaquePaths(t, nil, map[reflect.Type]bool{}, &paths)
	var out []string
	for _, p := range paths {
		if v, ok := lookup(raw, p); ok {
			out = leaves(v, out)
		}
	}
	return out
}

// lookup follows path in raw, matching keys without regard to case as mapstructure does.
func lookup(raw any, path []string) (any, bool) {
	for _, key := range path {
		m, ok := raw.(map[string]any)
		if !ok {
			return nil, false
		}
		found := false
		for k, v := range m {
			if strings.EqualFold(k, key) {
				raw, found = v, true
				break
			}
		}
		if !found {
			return nil, false
		}
	}
	return raw, true
}

func leaves(v any, out []string) []string {
	switch v := v.(type) {
	case nil:
	case map[string]any:
		for _, e := range v {
			out = leaves(e, out)
		}
	case []any:
		for _, e := range v {
			out = leaves(e, out)
		}
	default:
		out = append(out, fmt.Sprint(v))
	}
	return out
}

// scrubWriter makes whole lines terminal-safe and scrubs secrets from them before writing
// them, so that a secret is caught even when it reaches the writer in two pieces. Flush writes
// what remains after the last newline. It is safe for concurrent use.
type scrubWriter struct {
	mu      sync.Mutex
	w       io.Writer
	secrets *secretSet
	buf     []byte
}

func (sw *scrubWriter) Write(p []byte) (int, error) {
	sw.mu.Lock()
	defer sw.mu.Unlock()
	sw.buf = append(sw.buf, p...)
	if i := bytes.LastIndexByte(sw.buf, '\n'); i >= 0 {
		// Scrubbing all complete lines at once also catches a multi-line secret (a PEM key).
		if _, err := io.WriteString(sw.w, sw.clean(string(sw.buf[:i+1]))); err != nil {
			return 0, err
		}
		sw.buf = append(sw.buf[:0], sw.buf[i+1:]...)
	}
	return len(p), nil
}

// printf writes a message. A failed write to a terminal or a pipe leaves nowhere to report
// the failure, so it is dropped; the exit status still tells the outcome.
func (sw *scrubWriter) printf(format string, args ...any) {
	_, _ = fmt.Fprintf(sw, format, args...)
}

// Flush writes the last, unterminated line.
func (sw *scrubWriter) Flush() {
	sw.mu.Lock()
	defer sw.mu.Unlock()
	if len(sw.buf) > 0 {
		_, _ = io.WriteString(sw.w, sw.clean(string(sw.buf)))
		sw.buf = sw.buf[:0]
	}
}

// clean removes control sequences before scrubbing: a secret split by an escape sequence that
// the terminal would not show must still be found.
func (sw *scrubWriter) clean(text string) string {
	return sw.secrets.scrub(terminalSafe(text))
}
