// Package jsonpdatatest helps the receivers' tests check what they emit.
package jsonpdatatest // import "github.com/secaudit/otelcol-audit/internal/jsonpdata/jsonpdatatest"

import (
	"fmt"
	"unicode/utf8"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
)

// InvalidUTF8 returns where ld holds a string that is not valid UTF-8: attribute keys and
// values, bodies, event names, severity texts, scope names and versions. A strict OTLP
// backend refuses a whole batch for one such string.
func InvalidUTF8(ld plog.Logs) []string {
	var bad []string
	check := func(where, s string) {
		if !utf8.ValidString(s) {
			bad = append(bad, fmt.Sprintf("%s: %q", where, s))
		}
	}
	var value func(where string, v pcommon.Value)
	attrs := func(where string, m pcommon.Map) {
		for k, v := range m.All() {
			check(where+" key", k)
			value(where+"."+k, v)
		}
	}
	value = func(where string, v pcommon.Value) {
		switch v.Type() {
		case pcommon.ValueTypeStr:
			check(where, v.Str())
		case pcommon.ValueTypeMap:
			attrs(where, v.Map())
		case pcommon.ValueTypeSlice:
			for i, x := range v.Slice().All() {
				value(fmt.Sprintf("%s[%d]", where, i), x)
			}
		}
	}
	for i, rl := range ld.ResourceLogs().All() {
		attrs(fmt.Sprintf("resource %d", i), rl.Resource().Attributes())
		for _, sl := range rl.ScopeLogs().All() {
			check("scope name", sl.Scope().Name())
			check("scope version", sl.Scope().Version())
			attrs("scope", sl.Scope().Attributes())
			for j, lr := range sl.LogRecords().All() {
				where := fmt.Sprintf("record %d", j)
				check(where+" event name", lr.EventName())
				check(where+" severity text", lr.SeverityText())
				attrs(where+" attributes", lr.Attributes())
				value(where+" body", lr.Body())
			}
		}
	}
	return bad
}
