package confkeys

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/confmap"
)

// receiverConfig has the shape of both receivers' configurations.
type receiverConfig struct {
	HTTP  confighttp.ClientConfig `mapstructure:",squash"`
	Poll  pollConfig              `mapstructure:",squash"`
	Codes []string                `mapstructure:"application_codes"`
}

type pollConfig struct {
	Interval time.Duration             `mapstructure:"poll_interval"`
	Retry    configretry.BackOffConfig `mapstructure:"retry_on_failure"`
}

func (c *receiverConfig) Validate() error { return errors.New("the root's own Validate") }

func newConfig() *receiverConfig {
	return &receiverConfig{HTTP: confighttp.NewDefaultClientConfig(), Poll: pollConfig{Retry: configretry.NewDefaultBackOffConfig()}}
}

func TestEveryKeyTheStructDefinesIsAccepted(t *testing.T) {
	conf := confmap.NewFromStringMap(map[string]any{
		"endpoint":           "https://example.com",
		"timeout":            "5s",
		"application_codes":  []any{"PAM"},
		"poll_interval":      "2m",
		"tls":                map[string]any{"ca_file": "/ca.pem", "insecure_skip_verify": true, "min_version": "1.3"},
		"headers":            map[string]any{"X-Any-Name": "v"}, // a map: any key
		"keepalive":          map[string]any{"enabled": true, "idle_conn_timeout": "10s"},
		"compression_params": map[string]any{"level": 1},
		"middlewares":        []any{map[string]any{"id": "m"}},
		"retry_on_failure":   map[string]any{"enabled": false, "max_elapsed_time": "0s"},
	})
	cfg := newConfig()
	require.NoError(t, Unmarshal(conf, cfg))
	assert.Equal(t, 2*time.Minute, cfg.Poll.Interval)
	assert.Equal(t, "/ca.pem", cfg.HTTP.TLS.CAFile)
	assert.False(t, cfg.Poll.Retry.Enabled)
}

func TestUnknownKeysAreNamedByTheirPath(t *testing.T) {
	conf := confmap.NewFromStringMap(map[string]any{
		"storag":               "file_storage",
		"aplication_codes":     []any{"PAM"}, //nolint:misspell // the typo under test
		"tls":                  map[string]any{"ca_fle": "/ca.pem"},
		"retry_on_failure":     map[string]any{"max_elapsed_tme": 0},
		"keepalive":            map[string]any{"idle_timeout": "1s"},
		"middlewares":          []any{map[string]any{"idd": "m"}},
		"insecure_skip_verify": true,
	})
	err := Unmarshal(conf, newConfig())
	require.Error(t, err)
	msg := err.Error()
	for _, want := range []string{
		"unknown key aplication_codes: this receiver has no such setting; did you mean application_codes?", //nolint:misspell // the typo under test
		"unknown key storag",
		"unknown key tls::ca_fle: this receiver has no such setting; did you mean tls::ca_file?",
		"unknown key retry_on_failure::max_elapsed_tme: this receiver has no such setting; did you mean retry_on_failure::max_elapsed_time?",
		"unknown key keepalive::idle_timeout",
		"unknown key middlewares::0::idd",
		// The right name at the wrong level.
		"unknown key insecure_skip_verify: this receiver has no such setting; did you mean tls::insecure_skip_verify?",
	} {
		assert.Contains(t, msg, want)
	}
	assert.NotContains(t, msg, "Config'", "no Go type names")
}

// selfUnmarshaling unmarshals itself, like confighttp.ClientConfig in some releases.
type selfUnmarshaling struct {
	Endpoint string `mapstructure:"endpoint"`
}

func (s *selfUnmarshaling) Unmarshal(conf *confmap.Conf) error {
	return conf.Unmarshal(s, confmap.WithIgnoreUnused())
}

type squashesAnUnmarshaler struct {
	HTTP    selfUnmarshaling `mapstructure:",squash"`
	Storage string           `mapstructure:"storage"`
}

// When a squashed struct unmarshals itself, the collector's decoder reads the other keys
// ignoring unknown ones: a typo is silently dropped. Check still refuses it.
func TestTypoIsRefusedWhenASquashedStructUnmarshalsItself(t *testing.T) {
	conf := confmap.NewFromStringMap(map[string]any{"endpoint": "https://x", "storag": "file_storage"})
	var plain squashesAnUnmarshaler
	if err := conf.Unmarshal(&plain); err == nil {
		t.Log("the collector's decoder drops the unknown key: storag")
	}
	err := Unmarshal(conf, &squashesAnUnmarshaler{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "unknown key storag: this receiver has no such setting; did you mean storage?")
}

func TestNestedValidationErrorsNameTheKeyTheUserWrites(t *testing.T) {
	conf := confmap.NewFromStringMap(map[string]any{
		"tls":              map[string]any{"min_version": "1.9"},
		"retry_on_failure": map[string]any{"multiplier": -1},
		"headers":          []any{map[string]any{"name": "X-A", "value": "1"}, map[string]any{"name": "X-A", "value": "2"}},
	})
	err := Unmarshal(conf, newConfig())
	require.Error(t, err)
	msg := err.Error()
	assert.Contains(t, msg, "tls: invalid TLS min_version")
	assert.Contains(t, msg, "retry_on_failure: multiplier value must be greater than or equal to 0")
	assert.Contains(t, msg, "headers: duplicate")
	assert.NotContains(t, msg, "clientconfig")
	assert.NotContains(t, msg, "poll")
	assert.NotContains(t, msg, "tls::config", "a squashed struct adds no key")
	assert.NotContains(t, msg, "the root's own Validate", "left to the collector")
	assert.Equal(t, 1, strings.Count(msg, "invalid TLS min_version"), "a promoted Validate runs twice; reported once")

	// confmap.Validate, for comparison, names the squashed fields by their Go names.
	cfg := newConfig()
	require.NoError(t, conf.Unmarshal(cfg))
	assert.Contains(t, confmap.Validate(cfg).Error(), "poll::retry_on_failure")
}

// unmarshalsItself is how the receivers use the package: from their own Unmarshal method.
type unmarshalsItself struct {
	Endpoint string `mapstructure:"endpoint"`
}

func (u *unmarshalsItself) Unmarshal(conf *confmap.Conf) error { return Unmarshal(conf, u) }

func TestFromTheConfigsOwnUnmarshal(t *testing.T) {
	var cfg any = &unmarshalsItself{}
	err := confmap.NewFromStringMap(map[string]any{"endpoit": "x"}).Unmarshal(&cfg)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "unknown key endpoit: this receiver has no such setting; did you mean endpoint?")
	require.NoError(t, confmap.NewFromStringMap(map[string]any{"endpoint": "x"}).Unmarshal(&cfg))
	assert.Equal(t, "x", cfg.(*unmarshalsItself).Endpoint)
}

// Found by fuzzing: keys under a scalar setting, and keys a user cannot see.
func TestKeysUnderAScalarAndBlankKeysAreNamed(t *testing.T) {
	type withStorage struct {
		Storage *component.ID `mapstructure:"storage"`
		Codes   []string      `mapstructure:"application_codes"`
	}
	err := Check(confmap.NewFromStringMap(map[string]any{
		"storage":           map[string]any{"000": 0},
		"application_codes": map[string]any{"PAM": true},
		"":                  1,
		" storage":          "file_storage", //nolint:gocritic // the stray space under test
	}), &withStorage{})
	require.Error(t, err)
	msg := err.Error()
	assert.Contains(t, msg, "unknown key storage::000: storage takes a value, not keys")
	assert.Contains(t, msg, "unknown key application_codes::PAM: application_codes takes a value, not keys")
	assert.Contains(t, msg, `unknown key "": this receiver has no such setting`)
	assert.Contains(t, msg, `unknown key " storage": this receiver has no such setting; did you mean storage?`)
}
