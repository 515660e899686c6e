package confkeys

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/provider/envprovider"
	"go.opentelemetry.io/collector/confmap/provider/yamlprovider"
)

type textConfig struct {
	StartTime string              `mapstructure:"start_time"`
	KeyID     string              `mapstructure:"api_key_id"`
	Secret    configopaque.String `mapstructure:"client_secret"`
	Nested    struct {
		When string `mapstructure:"when"`
	} `mapstructure:"nested"`
}

// resolve reads YAML as the collector does, ${env:…} expanded by its env provider.
func resolve(t *testing.T, yaml string) *confmap.Conf {
	t.Helper()
	r, err := confmap.NewResolver(confmap.ResolverSettings{
		URIs:              []string{"yaml:" + yaml},
		ProviderFactories: []confmap.ProviderFactory{envprovider.NewFactory(), yamlprovider.NewFactory()},
		DefaultScheme:     "env",
	})
	require.NoError(t, err)
	conf, err := r.Resolve(context.Background())
	require.NoError(t, err)
	return conf
}

// The forms the docs show, written unquoted: YAML makes times and numbers of them.
func TestUnquotedDatesAndNumbersAreTheTextWritten(t *testing.T) {
	for yaml, want := range map[string]string{
		"start_time: 2025-09-15":                "2025-09-15T00:00:00Z",
		"start_time: 2025-09-15 17:10:00":       "2025-09-15T17:10:00Z",
		"start_time: 2025-09-15T17:10:00+02:00": "2025-09-15T17:10:00+02:00",
		"nested: {when: 2025-09-15}":            "2025-09-15T00:00:00Z",
	} {
		var cfg textConfig
		require.NoError(t, Unmarshal(resolve(t, yaml), &cfg), yaml)
		assert.Equal(t, want, cfg.StartTime+cfg.Nested.When, yaml)
	}
	var cfg textConfig
	require.NoError(t, Unmarshal(resolve(t, "api_key_id: 17"), &cfg))
	assert.Equal(t, "17", cfg.KeyID)
}

// A secret from the environment that YAML reads as a mapping stays the string it was.
func TestASecretThatLooksLikeAMappingStaysText(t *testing.T) {
	for _, secret := range []string{"{aB3$x}", "x: y"} {
		t.Setenv("TEXT_TEST_SECRET", secret)
		var cfg textConfig
		err := Unmarshal(resolve(t, "client_secret: ${env:TEXT_TEST_SECRET}"), &cfg)
		require.NoError(t, err, secret)
		assert.Equal(t, secret, string(cfg.Secret))
	}
}
