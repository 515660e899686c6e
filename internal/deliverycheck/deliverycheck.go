// Package deliverycheck is a configuration converter built into otelcol-audit. When the collector
// starts it reads the final configuration and warns about every pipeline that can lose audit
// records after cyberarkisp or xsoaraudit checkpointed them: a receiver can only checkpoint what
// the pipeline acknowledged, so an exporter that acknowledges into memory, or gives up on a down
// backend, breaks end-to-end delivery. It also warns about an exporter that sends the records
// in cleartext to another host. It never changes the configuration, and refuses only what the
// collector would refuse too (see Convert).
package deliverycheck // import "github.com/secaudit/otelcol-audit/internal/deliverycheck"

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"go.opentelemetry.io/collector/confmap"
	"go.uber.org/zap"
)

// auditReceivers are the receiver types whose pipelines are checked.
var auditReceivers = map[string]bool{"cyberarkisp": true, "xsoaraudit": true}

// NewFactory returns the converter factory ocb wires into the distribution.
func NewFactory() confmap.ConverterFactory {
	return confmap.NewConverterFactory(func(set confmap.ConverterSettings) confmap.Converter {
		logger := set.Logger
		if logger == nil {
			logger = zap.NewNop()
		}
		return converter{logger: logger}
	})
}

type converter struct{ logger *zap.Logger }

// Convert logs the warnings, and refuses only what the collector would refuse anyway: every
// audit receiver's configuration error at once (ReceiverErrors; the collector stops at the
// first), and what it refuses only at start (StorageErrors), so that `validate` refuses it too.
func (c converter) Convert(_ context.Context, conf *confmap.Conf) error {
	for _, w := range Check(conf) {
		c.logger.Warn(w)
	}
	return errors.Join(ReceiverErrors(conf), StorageErrors(conf))
}

// Check returns one warning per unsafe setting on the path of an audit receiver's records.
func Check(conf *confmap.Conf) []string {
	pipelines, _ := conf.Get("service::pipelines").(map[string]any)
	names := make([]string, 0, len(pipelines))
	for name := range pipelines {
		names = append(names, name)
	}
	sort.Strings(names)
	var warnings []string
	for _, name := range names {
		if typeOf(name) != "logs" {
			continue
		}
		p, _ := pipelines[name].(map[string]any)
		receivers := auditReceiversOf(p["receivers"])
		if len(receivers) == 0 {
			continue
		}
		who := fmt.Sprintf("pipeline %s (receivers %s)", name, strings.Join(receivers, ", "))
		for _, proc := range list(p["processors"]) {
			if typeOf(proc) == "batch" {
				warnings = append(warnings, fmt.Sprintf("%s: processor %s acknowledges records before they are exported, so a crash loses records the receivers already checkpointed; batch in the exporter instead (sending_queue.batch)", who, proc))
			}
		}
		for _, exp := range list(p["exporters"]) {
			warnings = append(warnings, checkExporter(conf, who, exp)...)
		}
	}
	return warnings
}

func checkExporter(conf *confmap.Conf, who, id string) []string {
	switch typeOf(id) {
	case "debug", "nop":
		return nil // not a delivery
	case "file":
		return []string{fmt.Sprintf("%s: exporter %s buffers records for flush_interval, so a crash loses the last interval of records the receivers already checkpointed; "+
			"deliver to a backend that acknowledges (otlp_http or otlp_grpc with sending_queue.storage), or use debug to only look at records", who, id)}
	}
	prefix := "exporters::" + id + "::"
	warnings := checkCleartext(conf, who, id)
	queueOn := conf.Get(prefix+"sending_queue::enabled") != false
	waits := conf.Get(prefix+"sending_queue::wait_for_result") == true
	if queueOn && conf.Get(prefix+"sending_queue::storage") == nil && !waits {
		warnings = append(warnings, fmt.Sprintf("%s: exporter %s keeps its sending queue in memory, so a crash loses records the receivers already checkpointed; set sending_queue.storage: file_storage (or sending_queue.wait_for_result: true)", who, id))
	}
	retryOn := conf.Get(prefix+"retry_on_failure::enabled") != false
	if retryOn {
		if v := conf.Get(prefix + "retry_on_failure::max_elapsed_time"); !isZero(v) {
			warnings = append(warnings, fmt.Sprintf("%s: exporter %s drops records when the backend stays down longer than retry_on_failure.max_elapsed_time (%v); set it to 0 to retry until the backend is back", who, id, orDefault(v)))
		}
	}
	return warnings
}

func auditReceiversOf(v any) []string {
	var out []string
	for _, r := range list(v) {
		if auditReceivers[typeOf(r)] {
			out = append(out, r)
		}
	}
	return out
}

func list(v any) []string {
	items, _ := v.([]any)
	out := make([]string, 0, len(items))
	for _, it := range items {
		if s, ok := it.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// typeOf returns the type part of a component ID such as "otlp_grpc/siem".
func typeOf(id string) string {
	t, _, _ := strings.Cut(id, "/")
	return t
}

func isZero(v any) bool {
	switch x := v.(type) {
	case string:
		return x == "0" || x == "0s"
	case int:
		return x == 0
	case int64:
		return x == 0
	case float64:
		return x == 0
	}
	return false // unset: the exporters' default is 5m
}

func orDefault(v any) any {
	if v == nil {
		return "default 5m"
	}
	return v
}
