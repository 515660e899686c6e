package deliverycheck

import (
	"errors"
	"fmt"
	"maps"
	"slices"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/receiver"

	"github.com/secaudit/otelcol-audit/receiver/cyberarkispreceiver"
	"github.com/secaudit/otelcol-audit/receiver/xsoarauditreceiver"
)

// auditFactories build the audit receivers' configurations, by type.
var auditFactories = map[string]receiver.Factory{
	"cyberarkisp": cyberarkispreceiver.NewFactory(),
	"xsoaraudit":  xsoarauditreceiver.NewFactory(),
}

// ReceiverErrors decodes and validates every audit receiver of conf as the collector does, and
// returns all their errors, each under its receiver's key. The collector stops at the first
// receiver it cannot decode, so a file with several tenants would need one run per mistake.
func ReceiverErrors(conf *confmap.Conf) error {
	receivers, _ := conf.Get("receivers").(map[string]any)
	var errs []error
	for _, key := range slices.Sorted(maps.Keys(receivers)) {
		var id component.ID
		if id.UnmarshalText([]byte(key)) != nil {
			continue // the collector names it
		}
		factory, ok := auditFactories[id.Type().String()]
		if !ok {
			continue
		}
		sub, err := conf.Sub("receivers::" + key)
		if err != nil {
			errs = append(errs, fmt.Errorf("receivers::%s: %w", key, err))
			continue
		}
		cfg := factory.CreateDefaultConfig()
		if err := sub.Unmarshal(&cfg); err != nil {
			errs = append(errs, fmt.Errorf("receivers::%s: %w", key, err))
			continue
		}
		if err := confmap.Validate(cfg); err != nil {
			errs = append(errs, fmt.Errorf("receivers::%s: %w", key, err))
		}
	}
	return errors.Join(errs...)
}
