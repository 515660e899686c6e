package logtest

import (
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
)

// UIDKey is the attribute that carries a record's ID (OpenTelemetry's log.record.uid).
const UIDKey = "log.record.uid"

// Each calls fn with every record of ld, with its resource and scope, in order.
func Each(ld plog.Logs, fn func(res pcommon.Resource, scope pcommon.InstrumentationScope, lr plog.LogRecord)) {
	for _, rl := range ld.ResourceLogs().All() {
		for _, sl := range rl.ScopeLogs().All() {
			for _, lr := range sl.LogRecords().All() {
				fn(rl.Resource(), sl.Scope(), lr)
			}
		}
	}
}

// Records returns every record of lds, in order.
func Records(lds ...plog.Logs) []plog.LogRecord {
	var out []plog.LogRecord
	for _, ld := range lds {
		Each(ld, func(_ pcommon.Resource, _ pcommon.InstrumentationScope, lr plog.LogRecord) {
			out = append(out, lr)
		})
	}
	return out
}

// UID returns lr's log.record.uid, "" when it has none.
func UID(lr plog.LogRecord) string {
	v, ok := lr.Attributes().Get(UIDKey)
	if !ok {
		return "" // AsString on the zero Value panics
	}
	return v.AsString()
}

// UIDs returns the log.record.uid of every record of lds, in order, "" for a record without
// one (so that a test can fail on it rather than miss it).
func UIDs(lds ...plog.Logs) []string {
	var out []string
	for _, lr := range Records(lds...) {
		out = append(out, UID(lr))
	}
	return out
}
