package main

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/storage/filestorage"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"

	"github.com/secaudit/otelcol-audit/internal/deliverycheck"
)

// distribution is the component types otelcol-audit is built with, by section (see
// builder-config.yaml; an end-to-end test checks it against `otelcol-audit components`).
// Renamed types keep the names the collector still accepts.
var distribution = map[string][]string{
	"receivers":  {"cyberarkisp", "otlp", "xsoaraudit"},
	"processors": {"attributes", "batch", "delta_to_cumulative", "filter", "groupbyattrs", "memory_limiter", "redaction", "resource", "transform"},
	"exporters":  {"awss3", "debug", "file", "kafka", "otlp", "otlp_grpc", "otlp_http", "otlphttp", "prometheus"},
	"extensions": {"bearertokenauth", "file_storage", "health_check", "pprof", "zpages"},
	"connectors": {"count"},
}

// pipelineKinds are the sections a pipeline names components of, by the pipeline's key.
var pipelineKinds = []struct{ key, section, what string }{
	{"receivers", "receivers", "receiver"},
	{"processors", "processors", "processor"},
	{"exporters", "exporters", "exporter"},
}

// gate refuses what the collector refuses before it starts a receiver: a component type the
// distribution does not have, a pipeline or service::extensions naming a component that is
// not configured, no pipeline, and an audit receiver's storage naming a missing extension.
// The messages are the collector's own, so that `check` says what the collector would say.
func gate(conf *confmap.Conf) error {
	var errs []error
	for _, section := range slices.Sorted(maps.Keys(distribution)) {
		m, _ := conf.Get(section).(map[string]any)
		for _, key := range slices.Sorted(maps.Keys(m)) {
			var id component.ID
			if err := id.UnmarshalText([]byte(key)); err != nil {
				errs = append(errs, fmt.Errorf("'%s' %w", section, err))
				continue
			}
			if !slices.Contains(distribution[section], id.Type().String()) {
				errs = append(errs, fmt.Errorf("'%s' unknown type: %q for id: %q (valid values: %v)", section, id.Type(), key, distribution[section]))
			}
		}
	}
	extensions, _ := conf.Get("extensions").(map[string]any)
	for _, key := range slices.Sorted(maps.Keys(extensions)) {
		// file_storage's own Validate: its directory must exist, unless create_directory.
		var id component.ID
		if id.UnmarshalText([]byte(key)) == nil && id.Type() == filestorage.NewFactory().Type() {
			if err := validateFileStorage(conf, id); err != nil {
				errs = append(errs, fmt.Errorf("extensions::%s: %w", key, err))
			}
		}
	}
	for _, ref := range names(conf.Get("service::extensions")) {
		if _, ok := extensions[ref]; !ok {
			errs = append(errs, fmt.Errorf("service::extensions: references extension %q which is not configured", ref))
		}
	}
	pipelines, _ := conf.Get("service::pipelines").(map[string]any)
	if len(pipelines) == 0 {
		errs = append(errs, errors.New("service must have at least one pipeline"))
	}
	for _, name := range slices.Sorted(maps.Keys(pipelines)) {
		p, _ := pipelines[name].(map[string]any)
		for _, k := range pipelineKinds {
			configured, _ := conf.Get(k.section).(map[string]any)
			connectors, _ := conf.Get("connectors").(map[string]any)
			for _, ref := range names(p[k.key]) {
				_, ok := configured[ref]
				if _, isConnector := connectors[ref]; isConnector && k.what != "processor" {
					ok = true
				}
				if !ok {
					errs = append(errs, fmt.Errorf("service::pipelines::%s: references %s %q which is not configured", name, k.what, ref))
				}
			}
		}
	}
	if err := deliverycheck.StorageErrors(conf); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// validateFileStorage decodes and validates a file_storage extension's settings as the
// collector does.
func validateFileStorage(conf *confmap.Conf, id component.ID) error {
	sub, err := conf.Sub("extensions::" + id.String())
	if err != nil {
		return err
	}
	cfg := filestorage.NewFactory().CreateDefaultConfig()
	if err := sub.Unmarshal(&cfg); err != nil {
		return err
	}
	return confmap.Validate(cfg)
}

// names reads a list of component IDs as written.
func names(v any) []string {
	items, _ := v.([]any)
	out := make([]string, 0, len(items))
	for _, it := range items {
		out = append(out, strings.TrimSpace(fmt.Sprint(it)))
	}
	return out
}
