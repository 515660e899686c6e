package xsoarauditreceiver // import "github.com/secaudit/otelcol-audit/receiver/xsoarauditreceiver"

import (
	"math"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.uber.org/zap"

	"github.com/secaudit/otelcol-audit/internal/checkpoint"
	"github.com/secaudit/otelcol-audit/internal/jsonpdata"
)

// agentReportEvents prefixes the event names of agents' audit reports.
const agentReportEvents = "cortex.agent_report"

// convertAgentReport fills the log record of an agents' audit report from its decoded body and
// returns its key and its time in epoch ms (0 when unusable). Reports carry no ID: the key is
// the hash of the record's canonical JSON, raw, the same on every read however it is spaced.
func (d *pageDecoder) convertAgentReport(lr plog.LogRecord, raw []byte, observed, prev time.Time) (checkpoint.Key, int64) {
	vals := d.vals
	agentReportFields.Read(lr.Body().Map(), vals)
	if _, ok := vals.Text(aVersion); !ok {
		vals[aVersion] = vals[aTrapsVersion]
	}

	lr.SetObservedTimestamp(pcommon.NewTimestampFromTime(observed))
	attrs := lr.Attributes()
	attrs.EnsureCapacity(agentReportAttrs + 1)
	id := jsonpdata.ContentID(raw)
	attrs.PutStr("log.record.uid", id)

	key := checkpoint.Key{ID: id, Earlier: rawContentID(raw)}
	ts := vals[aTime]
	ns, ok := epochNs(ts)
	ms := int64(0)
	if ok {
		// The key and the filter work in whole milliseconds; the log keeps the fraction.
		ms = ns / int64(time.Millisecond)
		key.Time = time.UnixMilli(ms).UTC()
		lr.SetTimestamp(pcommon.Timestamp(ns))
	} else {
		key.Time = prev
		lr.SetTimestamp(pcommon.NewTimestampFromTime(observed))
		d.logger.Debug("Agent report without a usable TIMESTAMP; its timestamp is the receive time",
			zap.String("id", id), zap.Bool("present", ts != (pcommon.Value{})))
	}

	result, _ := vals.Text(aResult)
	lr.SetSeverityNumber(resultSeverity(result))
	typ, _ := vals.Text(aType)
	subtype, _ := vals.Text(aSubtype)
	lr.SetEventName(d.names.named(agentReportEvents, typ, subtype))

	agentReportFields.Put(attrs, vals, nil) // a report has no Own fields
	return key, ms
}

// agentReportAttrs is the most attributes a report gets from its fields.
var agentReportAttrs = attrCount(agentReportFields)

// epochNs reads TIMESTAMP, epoch milliseconds that the API sends with a fraction
// (1575795968414.4631), as a number or a numeric string, in nanoseconds to the microsecond.
func epochNs(v pcommon.Value) (int64, bool) {
	if v == (pcommon.Value{}) { // the field is absent
		return 0, false
	}
	var f float64
	switch v.Type() {
	case pcommon.ValueTypeInt:
		n := v.Int()
		return n * int64(time.Millisecond), n > 0 && n <= maxEpochMs
	case pcommon.ValueTypeDouble:
		f = v.Double()
	case pcommon.ValueTypeStr:
		s := strings.TrimSpace(v.Str())
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return n * int64(time.Millisecond), n > 0 && n <= maxEpochMs
		}
		var err error
		if f, err = strconv.ParseFloat(s, 64); err != nil {
			return 0, false
		}
	default:
		return 0, false
	}
	if !(f > 0 && f <= maxEpochMs) { // NaN fails too
		return 0, false
	}
	// A float64 holds an epoch in ms to about a quarter of a microsecond: keep whole microseconds.
	return int64(math.Floor(f*1000)) * int64(time.Microsecond), true
}
