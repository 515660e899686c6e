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
)

// agentReportEvents prefixes the event names of agents' audit reports.
const agentReportEvents = "cortex.agent_report"

// Attribute slots of an agents' audit report, in the order they are written.
const (
	arSlotEndpointID = iota
	arSlotEndpointName
	arSlotDomain
	arSlotVersion
	arSlotCategory
	arSlotType
	arSlotSubtype
	arSlotResult
	arSlotReason
	arSlotDescription
	arSlotCount
)

// arSlotAttr names the attribute of each slot: semantic conventions for the endpoint, a
// cortex.* name otherwise.
var arSlotAttr = [arSlotCount]string{
	arSlotEndpointID:   "host.id",
	arSlotEndpointName: "host.name",
	arSlotDomain:       "cortex.endpoint.domain",
	arSlotVersion:      "cortex.agent.version",
	arSlotCategory:     "cortex.agent_report.category",
	arSlotType:         "cortex.agent_report.type",
	arSlotSubtype:      "cortex.agent_report.subtype",
	arSlotResult:       "cortex.agent_report.result",
	arSlotReason:       "cortex.agent_report.reason",
	arSlotDescription:  "cortex.agent_report.description",
}

// convertAgentReport fills the log record of an agents' audit report from its decoded body and
// returns its key and its time in epoch ms (0 when unusable). Reports carry no ID: the key is
// the hash of the record's JSON, raw, which the API sends the same on every read.
func (d *pageDecoder) convertAgentReport(lr plog.LogRecord, raw []byte, observed, prev time.Time) (checkpoint.Key, int64) {
	var ts, traps pcommon.Value
	var slots [arSlotCount]pcommon.Value
	for k, v := range lr.Body().Map().All() {
		switch k {
		case "TIMESTAMP":
			ts = v
		case "ENDPOINTID":
			slots[arSlotEndpointID] = v
		case "ENDPOINTNAME":
			slots[arSlotEndpointName] = v
		case "DOMAIN":
			slots[arSlotDomain] = v
		case "XDRVERSION":
			slots[arSlotVersion] = v
		case "TRAPSVERSION": // the older name of XDRVERSION, in Palo Alto's own samples
			traps = v
		case "CATEGORY":
			slots[arSlotCategory] = v
		case "TYPE":
			slots[arSlotType] = v
		case "SUBTYPE":
			slots[arSlotSubtype] = v
		case "RESULT":
			slots[arSlotResult] = v
		case "REASON":
			slots[arSlotReason] = v
		case "DESCRIPTION":
			slots[arSlotDescription] = v
		}
	}
	if _, ok := text(slots[arSlotVersion]); !ok {
		slots[arSlotVersion] = traps
	}

	lr.SetObservedTimestamp(pcommon.NewTimestampFromTime(observed))
	attrs := lr.Attributes()
	attrs.EnsureCapacity(arSlotCount + 1)
	id := contentID(raw)
	attrs.PutStr("log.record.uid", id)

	key := checkpoint.Key{ID: id}
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

	result, _ := text(slots[arSlotResult])
	lr.SetSeverityNumber(resultSeverity(result))
	typ, _ := text(slots[arSlotType])
	subtype, _ := text(slots[arSlotSubtype])
	lr.SetEventName(d.names.named(agentReportEvents, typ, subtype))

	for slot, v := range slots {
		if s, ok := text(v); ok {
			attrs.PutStr(arSlotAttr[slot], s)
		}
	}
	return key, ms
}

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
