// Package confkeystest fuzzes a receiver's configuration the way the collector reads it.
package confkeystest // import "github.com/secaudit/otelcol-audit/internal/confkeys/confkeystest"

import (
	"slices"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
)

// Receiver is what the fuzz needs to know of one receiver.
type Receiver struct {
	// NewConfig returns the factory's default configuration.
	NewConfig func() component.Config
	// Builds fails the test unless a configuration that passed validation can be used.
	Builds func(t *testing.T, cfg component.Config)
	// Required are the keys named by the errors of a section that leaves them out.
	Required []string
}

// FuzzSections checks that any receiver section gives either a configuration that builds or an
// error naming a key as the user writes it; never a panic, never a Go name.
func FuzzSections(f *testing.F, r Receiver, seeds []string) {
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, section string) {
		retrieved, err := confmap.NewRetrievedFromYAML([]byte(section))
		if err != nil {
			return
		}
		conf, err := retrieved.AsConf()
		if err != nil {
			return // not a map: the collector refuses it before any receiver sees it
		}
		cfg := r.NewConfig()
		err = conf.Unmarshal(&cfg)
		if err == nil {
			err = confmap.Validate(cfg)
		}
		if err == nil {
			r.Builds(t, cfg)
			return
		}
		NamesAKey(t, err, conf, r.Required)
	})
}

// NamesAKey fails unless err names a key of conf or a required one, and no Go name.
func NamesAKey(t *testing.T, err error, conf *confmap.Conf, required []string) {
	t.Helper()
	msg := err.Error()
	keys := append([]string(nil), required...)
	for _, k := range conf.AllKeys() {
		keys = append(keys, strings.Split(k, confmap.KeyDelimiter)...)
	}
	// Go names of the squashed structs and mapstructure's type-named complaint, outside the
	// keys the user wrote (which may hold them).
	rest := msg
	for _, k := range slices.SortedFunc(slices.Values(keys), func(a, b string) int { return len(b) - len(a) }) {
		if k != "" {
			rest = strings.ReplaceAll(rest, k, "<key>")
		}
	}
	for _, goName := range []string{"has invalid keys", "clientconfig", "poll::", "'poll'", "poll: ", "tls::config"} {
		if strings.Contains(rest, goName) {
			t.Fatalf("the error names %q, which no user writes: %s", goName, msg)
		}
	}
	for _, k := range keys {
		if k != "" && strings.Contains(msg, k) || k == "" && strings.Contains(msg, `""`) {
			return
		}
	}
	t.Fatalf("the error names no key: %s", msg)
}
