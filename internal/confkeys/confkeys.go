// Package confkeys reads a receiver's configuration strictly and names every problem by the key
// path the user wrote: it refuses keys the configuration struct does not define, at every
// level, and reports the errors of the collector's nested settings (tls, retry_on_failure, ...)
// under their keys rather than under the Go names of the structs they are squashed from.
//
// The collector's decoder alone is not enough: when a squashed struct unmarshals itself (as
// confighttp.ClientConfig did in some releases), it decodes the rest of the struct ignoring
// unknown keys, so a misspelt key is silently dropped and its default used.
package confkeys // import "github.com/secaudit/otelcol-audit/internal/confkeys"

import (
	"errors"
	"reflect"
	"slices"
	"strings"

	"go.opentelemetry.io/collector/confmap"
)

// Path renders keys as the collector writes a path (receivers::cyberarkisp): tls::ca_file.
func Path(keys []string) string { return strings.Join(keys, confmap.KeyDelimiter) }

// Unmarshal is what a configuration's confmap.Unmarshaler does with it: it refuses every key
// of conf that cfg (a pointer to a struct) does not define, decodes conf into cfg, and runs
// the Validate methods of the values nested in cfg. cfg's own Validate is left to the
// collector, which calls it after unmarshaling.
func Unmarshal(conf *confmap.Conf, cfg any) error {
	if err := Check(conf, cfg); err != nil {
		return err
	}
	if patch := textValues(conf.ToStringMap(), treeFor(cfg)); len(patch) > 0 {
		if err := conf.Merge(confmap.NewFromStringMap(patch)); err != nil {
			return err
		}
	}
	if err := conf.Unmarshal(cfg); err != nil {
		return err
	}
	return ValidateNested(cfg)
}

// Check returns an error naming every key of conf that cfg's type does not accept, or nil.
func Check(conf *confmap.Conf, cfg any) error {
	tree := treeFor(cfg)
	var all []string
	paths(tree, nil, &all, 0)
	slices.Sort(all)
	return errors.Join(unknownKeys(conf.ToStringMap(), tree, nil, all)...)
}

// treeFor returns the keys cfg (a pointer to a struct) accepts.
func treeFor(cfg any) *node {
	t := reflect.TypeOf(cfg)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	// Walked by its fields even though it unmarshals itself: this is its Unmarshal at work.
	tree := &node{fields: map[string]*node{}}
	addFields(tree, t, map[reflect.Type]*node{t: tree})
	return tree
}
