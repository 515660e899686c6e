package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"reflect"
	"slices"
	"strings"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/provider/envprovider"
	"go.opentelemetry.io/collector/confmap/provider/fileprovider"
	"go.opentelemetry.io/collector/confmap/provider/yamlprovider"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/secaudit/otelcol-audit/internal/httpapi"
	"github.com/secaudit/otelcol-audit/internal/poller"
)

// loadConfig resolves the collector configuration as otelcol-audit does: the same providers
// (file, env, yaml), several --config merged in order, and "env" as the default scheme, so that
// ${env:X} and ${X} expand exactly as they do when the collector starts.
func loadConfig(ctx context.Context, uris []string) (*confmap.Conf, error) {
	return resolveConfig(ctx, uris, zap.NewNop())
}

// loadConfig is loadConfig with the providers' warnings on stderr, as the collector logs them:
// an unset environment variable expands to nothing, which is seldom what was meant.
func (s *session) loadConfig(uris []string) (*confmap.Conf, error) {
	enc := zap.NewDevelopmentEncoderConfig()
	enc.TimeKey, enc.CallerKey, enc.NameKey = "", "", ""
	warn := zap.New(zapcore.NewCore(zapcore.NewConsoleEncoder(enc), zapcore.AddSync(s.stderr), zapcore.WarnLevel))
	return resolveConfig(s.env.ctx, uris, warn)
}

func resolveConfig(ctx context.Context, uris []string, logger *zap.Logger) (*confmap.Conf, error) {
	resolver, err := confmap.NewResolver(confmap.ResolverSettings{
		URIs: uris,
		ProviderFactories: []confmap.ProviderFactory{
			envprovider.NewFactory(), fileprovider.NewFactory(), yamlprovider.NewFactory(),
		},
		ProviderSettings: confmap.ProviderSettings{Logger: logger},
		DefaultScheme:    "env",
	})
	if err != nil {
		return nil, err
	}
	defer func() { _ = resolver.Shutdown(context.WithoutCancel(ctx)) }()
	return resolver.Resolve(ctx)
}

// auditReceivers lists the IDs of the cyberarkisp and xsoaraudit receivers configured, sorted.
// Other receivers are left alone: auditctl has nothing to say about them.
func auditReceivers(conf *confmap.Conf) ([]component.ID, error) {
	section, err := conf.Sub("receivers")
	if err != nil {
		return nil, fmt.Errorf("reading the receivers section: %w", err)
	}
	var ids []component.ID
	for key := range section.ToStringMap() {
		var id component.ID
		if id.UnmarshalText([]byte(key)) != nil {
			continue // the collector reports it; it cannot be one of ours
		}
		if _, ok := kinds[id.Type()]; ok {
			ids = append(ids, id)
		}
	}
	slices.SortFunc(ids, func(a, b component.ID) int { return strings.Compare(a.String(), b.String()) })
	return ids, nil
}

// target is one receiver whose configuration was read, unmarshaled and validated.
type target struct {
	id   component.ID
	kind kind
	cfg  poller.Configured
}

// loadReceiver builds a receiver's configuration as the collector does: the factory's default
// config with receivers::<id> unmarshaled on top, then validated. Before anything can fail, the
// values of its configopaque.String keys join secrets, so that no error message can show them.
func loadReceiver(conf *confmap.Conf, id component.ID, secrets *secretSet) (*target, error) {
	k, ok := kinds[id.Type()]
	if !ok {
		return nil, fmt.Errorf("%q is not a cyberarkisp or xsoaraudit receiver", id)
	}
	sub, err := conf.Sub("receivers::" + id.String())
	if err != nil {
		return nil, fmt.Errorf("error reading configuration for %q: %w", id, err)
	}
	cfg := k.factory.CreateDefaultConfig()
	raw := sub.ToStringMap()
	secrets.add(rawOpaqueValues(raw, reflect.TypeOf(cfg))...)
	proxy, _ := lookup(raw, []string{"proxy_url"})
	secrets.add(httpapi.ProxyPasswords(fmt.Sprint(proxy))...) // also those of HTTPS_PROXY and the like
	unmarshalErr := sub.Unmarshal(&cfg)
	// Also what the unmarshaling produced: a custom unmarshaler may have put values elsewhere.
	secrets.add(httpapi.OpaqueValues(cfg)...)
	if unmarshalErr != nil {
		return nil, fmt.Errorf("error reading configuration for %q: %w", id, unmarshalErr)
	}
	if err := confmap.Validate(cfg); err != nil {
		return nil, fmt.Errorf("invalid configuration: receivers::%s: %w", id, err)
	}
	configured := cfg.(poller.Configured)
	secrets.add(poller.SecretValues(configured)...)
	return &target{id: id, kind: k, cfg: configured}, nil
}

// pickReceiver returns the receiver --receiver names, or the only audit receiver of the file
// when it names none.
func pickReceiver(conf *confmap.Conf, name string) (component.ID, error) {
	ids, err := auditReceivers(conf)
	if err != nil {
		return component.ID{}, err
	}
	list := func() string {
		if len(ids) == 0 {
			return "the configuration has no cyberarkisp or xsoaraudit receiver"
		}
		names := make([]string, len(ids))
		for i, id := range ids {
			names[i] = id.String()
		}
		return "the configuration has " + strings.Join(names, ", ")
	}
	if name == "" {
		if len(ids) == 0 {
			return component.ID{}, errors.New(list())
		}
		if len(ids) != 1 {
			return component.ID{}, flagError{fmt.Errorf("--receiver is required: %s", list())}
		}
		return ids[0], nil
	}
	var id component.ID
	if err := id.UnmarshalText([]byte(name)); err != nil {
		return component.ID{}, flagError{fmt.Errorf("--receiver %q: %w", name, err)}
	}
	if slices.Contains(ids, id) {
		return id, nil
	}
	if _, ok := kinds[id.Type()]; !ok {
		return component.ID{}, flagError{fmt.Errorf("--receiver %q: auditctl reads cyberarkisp and xsoaraudit receivers; %s", name, list())}
	}
	return component.ID{}, flagError{errors.New("--receiver " + name + " is not configured: " + list())}
}

// flagError is a mistake on the command line (a --receiver the configuration does not have):
// it exits with exitUsage, and the hint is not to fix the collector configuration.
type flagError struct{ error }

func (e flagError) Unwrap() error { return e.error }

// isFlagError tells whether err is the command line's fault: a flagError, or a --config file
// that cannot be read.
func isFlagError(err error) bool {
	var fe flagError
	return errors.As(err, &fe) || errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission)
}
