package xsoarauditreceiver // import "github.com/secaudit/otelcol-audit/receiver/xsoarauditreceiver"

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"time"

	"github.com/go-json-experiment/json/jsontext"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.uber.org/zap"

	"github.com/secaudit/otelcol-audit/internal/checkpoint"
	"github.com/secaudit/otelcol-audit/internal/fieldmap"
	"github.com/secaudit/otelcol-audit/internal/jsonpdata"
	"github.com/secaudit/otelcol-audit/receiver/xsoarauditreceiver/internal/metadata"
)

var scopeName = metadata.ScopeName

const (
	// recordFields is a little above the 21 fields of the extended record shape: the body map
	// is sized once instead of growing five times.
	recordFields = 24
	// maxEpochMs is 9999-12-31T23:59:59.999Z: anything later is not a time but a bad value.
	maxEpochMs = 253402300799999
	// eventNameFallback names records without AUDIT_ENTITY.
	eventNameFallback = "xsoar.audit"
)

// decodeBody decodes the next record of dec, an object, into the log record's body, a map,
// within the page's budget. Member names are interned by jsonpdata: the record's field names
// repeat in every record.
func decodeBody(dec *jsontext.Decoder, lr plog.LogRecord, budget *jsonpdata.Budget) error {
	body := lr.Body().SetEmptyMap()
	body.EnsureCapacity(recordFields)
	return jsonpdata.Map(dec, body, budget)
}

// convert fills the log record from its decoded body and returns the record's key and its
// insert time in epoch ms (0 when unusable). raw is the record's JSON, for records without an ID.
func (d *pageDecoder) convert(lr plog.LogRecord, raw []byte, observed, prev time.Time) (checkpoint.Key, int64) {
	vals := d.vals
	managementFields.Read(lr.Body().Map(), vals)

	lr.SetObservedTimestamp(pcommon.NewTimestampFromTime(observed))
	attrs := lr.Attributes()
	attrs.EnsureCapacity(managementAttrs)

	key := checkpoint.Key{}
	id, hasID := vals.Text(mID)
	if !hasID {
		id, key.Earlier = jsonpdata.ContentID(raw), rawContentID(raw)
		d.logger.Debug("Audit record without AUDIT_ID; using a hash of its content as its ID", zap.String("id", id))
	}
	attrs.PutStr("log.record.uid", id)
	key.ID = id
	ms, ok := epochMs(vals[mInsertTime])
	if ok {
		key.Time = time.UnixMilli(ms).UTC()
		lr.SetTimestamp(pcommon.Timestamp(ms * int64(time.Millisecond)))
	} else {
		ms = 0
		key.Time = prev
		lr.SetTimestamp(pcommon.NewTimestampFromTime(observed))
		d.logger.Debug("Audit record without a usable AUDIT_INSERT_TIME; its timestamp is the receive time",
			zap.String("id", id), zap.Bool("present", vals[mInsertTime] != (pcommon.Value{})))
	}

	sevText, _ := vals.Text(mSeverity)
	result, _ := vals.Text(mResult)
	num, sevText := severity(sevText, result)
	lr.SetSeverityNumber(num)
	lr.SetSeverityText(sevText)

	entity, _ := vals.Text(mEntity)
	subtype, _ := vals.Text(mSubtype)
	lr.SetEventName(d.names.name(entity, subtype))

	d.attrs = attrs
	managementFields.Put(attrs, vals, d.putOwn)
	return key, ms
}

// managementAttrs is the most attributes a management record gets from its fields.
var managementAttrs = attrCount(managementFields)

// putOwnManagement writes the Own fields of a management record into d.attrs: the ID is
// written first by convert, the roles become a list.
func (d *pageDecoder) putOwnManagement(i int, f fieldmap.Field, v pcommon.Value) {
	if i == mRoles {
		putRoles(d.attrs, f.Attr, v)
	}
}

// putRoles writes user.roles as a string slice: from an array (scalars as text), or from a
// single string.
func putRoles(attrs pcommon.Map, name string, v pcommon.Value) {
	switch v.Type() {
	case pcommon.ValueTypeSlice:
		src := v.Slice()
		var dst pcommon.Slice
		made := false
		for i := range src.Len() {
			s, ok := jsonpdata.Text(src.At(i))
			if !ok {
				continue
			}
			if !made {
				dst, made = attrs.PutEmptySlice(name), true
				dst.EnsureCapacity(src.Len())
			}
			dst.AppendEmpty().SetStr(s)
		}
	case pcommon.ValueTypeStr:
		if s := v.Str(); s != "" {
			attrs.PutEmptySlice(name).AppendEmpty().SetStr(s)
		}
	}
}

// epochMs reads AUDIT_INSERT_TIME: epoch milliseconds as a number, or as a numeric string.
func epochMs(v pcommon.Value) (int64, bool) {
	if v == (pcommon.Value{}) { // the field is absent
		return 0, false
	}
	switch v.Type() {
	case pcommon.ValueTypeInt:
		n := v.Int()
		return n, n > 0 && n <= maxEpochMs
	case pcommon.ValueTypeDouble:
		f := v.Double()
		if f > 0 && f <= maxEpochMs {
			return int64(f), true
		}
	case pcommon.ValueTypeStr:
		n, err := strconv.ParseInt(strings.TrimSpace(v.Str()), 10, 64)
		return n, err == nil && n > 0 && n <= maxEpochMs
	}
	return 0, false
}

// severity maps AUDIT_SEVERITY to a severity number; the text stays the vendor's value. Both
// spellings of the lowest level seen in public material (SEV_010_INFO, SEV_010_INFORMATIONAL)
// are matched by their number, and the word alone is accepted too. A missing or unknown level
// falls back to the outcome: a failed or partial action is a warning.
func severity(sev, result string) (plog.SeverityNumber, string) {
	if sev != "" {
		u := strings.ToUpper(strings.TrimSpace(sev))
		switch {
		case strings.HasPrefix(u, "SEV_010"):
			return plog.SeverityNumberInfo, sev
		case strings.HasPrefix(u, "SEV_020"):
			return plog.SeverityNumberInfo2, sev
		case strings.HasPrefix(u, "SEV_030"):
			return plog.SeverityNumberWarn, sev
		case strings.HasPrefix(u, "SEV_040"):
			return plog.SeverityNumberError, sev
		case strings.HasPrefix(u, "SEV_050"):
			return plog.SeverityNumberFatal, sev
		}
		switch u[strings.LastIndexByte(u, '_')+1:] {
		case "INFO", "INFORMATIONAL":
			return plog.SeverityNumberInfo, sev
		case "LOW":
			return plog.SeverityNumberInfo2, sev
		case "MEDIUM":
			return plog.SeverityNumberWarn, sev
		case "HIGH":
			return plog.SeverityNumberError, sev
		case "CRITICAL":
			return plog.SeverityNumberFatal, sev
		}
	}
	return resultSeverity(result), sev
}

// resultSeverity derives a level from AUDIT_RESULT, for records without a known AUDIT_SEVERITY.
func resultSeverity(result string) plog.SeverityNumber {
	switch strings.ToUpper(strings.TrimSpace(result)) {
	case "FAIL", "FAILED", "FAILURE", "PARTIAL":
		return plog.SeverityNumberWarn
	default: // SUCCESS, or no outcome at all: an audit entry records an action that happened
		return plog.SeverityNumberInfo
	}
}

// eventNames builds and caches event names: the pair of fields has few values, so the name
// string is built once per pair instead of once per record.
type eventNames map[[2]string]string

// maxEventNames bounds the cache should a tenant send free text in these fields.
const maxEventNames = 512

func (c eventNames) name(entity, subtype string) string {
	return c.named(eventNameFallback, entity, subtype)
}

// named is name for the event names under prefix. A cache serves one prefix: one decoder
// reads one log type.
func (c eventNames) named(prefix, entity, subtype string) string {
	if n, ok := c[[2]string{entity, subtype}]; ok {
		return n
	}
	n := prefixedEventName(prefix, entity, subtype)
	if len(c) < maxEventNames {
		c[[2]string{entity, subtype}] = n
	}
	return n
}

// eventName is xsoar.audit.<entity>.<subtype>, each part lower case with runs of anything else
// than letters and digits turned into one "_" (AUTH/Login → xsoar.audit.auth.login;
// "NotCreated - Incident" → notcreated_incident).
func eventName(entity, subtype string) string {
	return prefixedEventName(eventNameFallback, entity, subtype)
}

// prefixedEventName is eventName under another prefix; the prefix alone without an entity.
func prefixedEventName(prefix, entity, subtype string) string {
	e := eventPart(entity)
	if e == "" {
		return prefix
	}
	if s := eventPart(subtype); s != "" {
		return prefix + "." + e + "." + s
	}
	return prefix + "." + e
}

// maxEventPart keeps names short and of low cardinality even if a field holds free text.
const maxEventPart = 64

func eventPart(s string) string {
	b := make([]byte, 0, min(len(s), maxEventPart))
	sep := false
	for i := 0; i < len(s) && len(b) < maxEventPart; i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
		case 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
		default:
			sep = len(b) > 0
			continue
		}
		if sep {
			b = append(b, '_')
			sep = false
		}
		b = append(b, c)
	}
	return strings.TrimRight(string(b), "_")
}

// rawContentID is the ID that builds up to 0.1 derived for a record without one: the hash of
// its bytes as sent, which changes when the same record is re-encoded. The key carries it as
// checkpoint.Key.Earlier, so that what those builds delivered in the re-read window before an
// upgrade is not delivered again after it.
func rawContentID(raw []byte) string {
	sum := sha256.Sum256(bytes.Trim(raw, ", \t\r\n"))
	return "sha256:" + hex.EncodeToString(sum[:16])
}
