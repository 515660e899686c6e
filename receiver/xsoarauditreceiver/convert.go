package xsoarauditreceiver // import "github.com/secaudit/otelcol-audit/receiver/xsoarauditreceiver"

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/go-json-experiment/json/jsontext"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.uber.org/zap"

	"github.com/secaudit/otelcol-audit/internal/checkpoint"
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

// Attribute slots: the record fields lifted into attributes, in the order they are written.
const (
	slotOwnerName = iota
	slotOwnerEmail
	slotRoles
	slotSourceIP
	slotUserAgent
	slotSession
	slotResult
	slotEntity
	slotSubtype
	slotDescription
	slotReason
	slotHostname
	slotAssetNames
	slotCaseID
	slotLink
	slotObjectID
	slotCount
)

// slotAttr names the attribute of each slot. Semantic conventions where one exists, xsoar.audit.* otherwise.
var slotAttr = [slotCount]string{
	slotOwnerName:   "user.name",
	slotOwnerEmail:  "user.email",
	slotRoles:       "user.roles",
	slotSourceIP:    "client.address",
	slotUserAgent:   "user_agent.original",
	slotSession:     "session.id",
	slotResult:      "xsoar.audit.result",
	slotEntity:      "xsoar.audit.entity",
	slotSubtype:     "xsoar.audit.entity_subtype",
	slotDescription: "xsoar.audit.description",
	slotReason:      "xsoar.audit.reason",
	slotHostname:    "xsoar.audit.hostname",
	slotAssetNames:  "xsoar.audit.asset_names",
	slotCaseID:      "xsoar.audit.case_id",
	slotLink:        "xsoar.audit.link",
	slotObjectID:    "xsoar.audit.object_id",
}

// fields are the values of one record that the conversion reads, found in one pass over the body.
type fields struct {
	id, insertTime, severity pcommon.Value
	slots                    [slotCount]pcommon.Value
	present                  uint32 // bit i set: slots[i] was found
}

func (f *fields) set(slot int, v pcommon.Value) {
	f.slots[slot] = v
	f.present |= 1 << slot
}

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
	var f fields
	for k, v := range lr.Body().Map().All() {
		switch k {
		case "AUDIT_ID":
			f.id = v
		case "AUDIT_INSERT_TIME":
			f.insertTime = v
		case "AUDIT_SEVERITY":
			f.severity = v
		case "AUDIT_OWNER_NAME":
			f.set(slotOwnerName, v)
		case "AUDIT_OWNER_EMAIL":
			f.set(slotOwnerEmail, v)
		case "AUDIT_USER_ROLES":
			f.set(slotRoles, v)
		case "AUDIT_SOURCE_IP":
			f.set(slotSourceIP, v)
		case "AUDIT_USER_AGENT":
			f.set(slotUserAgent, v)
		case "AUDIT_SESSION_ID":
			f.set(slotSession, v)
		case "AUDIT_RESULT":
			f.set(slotResult, v)
		case "AUDIT_ENTITY":
			f.set(slotEntity, v)
		case "AUDIT_ENTITY_SUBTYPE":
			f.set(slotSubtype, v)
		case "AUDIT_DESCRIPTION":
			f.set(slotDescription, v)
		case "AUDIT_REASON":
			f.set(slotReason, v)
		case "AUDIT_HOSTNAME":
			f.set(slotHostname, v)
		case "AUDIT_ASSET_NAMES":
			f.set(slotAssetNames, v)
		case "AUDIT_CASE_ID":
			f.set(slotCaseID, v)
		case "AUDIT_LINK":
			f.set(slotLink, v)
		case "AUDIT_OBJECT_ID":
			f.set(slotObjectID, v)
		}
	}

	lr.SetObservedTimestamp(pcommon.NewTimestampFromTime(observed))
	attrs := lr.Attributes()
	attrs.EnsureCapacity(slotCount + 1)

	id, hasID := text(f.id)
	if !hasID {
		id = contentID(raw)
		d.logger.Debug("Audit record without AUDIT_ID; using a hash of its content as its ID", zap.String("id", id))
	}
	attrs.PutStr("log.record.uid", id)

	key := checkpoint.Key{ID: id}
	ms, ok := epochMs(f.insertTime)
	if ok {
		key.Time = time.UnixMilli(ms).UTC()
		lr.SetTimestamp(pcommon.Timestamp(ms * int64(time.Millisecond)))
	} else {
		ms = 0
		key.Time = prev
		lr.SetTimestamp(pcommon.NewTimestampFromTime(observed))
		d.logger.Debug("Audit record without a usable AUDIT_INSERT_TIME; its timestamp is the receive time",
			zap.String("id", id), zap.Bool("present", f.insertTime != (pcommon.Value{})))
	}

	sevText, _ := text(f.severity)
	result, _ := text(f.slots[slotResult])
	num, sevText := severity(sevText, result)
	lr.SetSeverityNumber(num)
	lr.SetSeverityText(sevText)

	entity, _ := text(f.slots[slotEntity])
	subtype, _ := text(f.slots[slotSubtype])
	lr.SetEventName(d.names.name(entity, subtype))

	for slot := range slotCount {
		if f.present&(1<<slot) == 0 {
			continue
		}
		v := f.slots[slot]
		switch slot {
		case slotRoles:
			putRoles(attrs, v)
		case slotCaseID, slotObjectID:
			putScalar(attrs, slotAttr[slot], v)
		default:
			if s, ok := text(v); ok {
				attrs.PutStr(slotAttr[slot], s)
			}
		}
	}
	return key, ms
}

// text returns a scalar as a string: strings as they are, numbers in decimal. null, "",
// objects and arrays give false: they are left to the body.
func text(v pcommon.Value) (string, bool) {
	if v == (pcommon.Value{}) { // the field is absent
		return "", false
	}
	switch v.Type() {
	case pcommon.ValueTypeStr:
		s := v.Str()
		return s, s != ""
	case pcommon.ValueTypeInt:
		return strconv.FormatInt(v.Int(), 10), true
	case pcommon.ValueTypeDouble:
		f := v.Double()
		if f == math.Trunc(f) && math.Abs(f) < 1e15 {
			return strconv.FormatInt(int64(f), 10), true
		}
		return strconv.FormatFloat(f, 'g', -1, 64), true
	case pcommon.ValueTypeBool:
		return strconv.FormatBool(v.Bool()), true
	}
	return "", false
}

// putScalar copies a scalar keeping its type (an integer ID stays an integer).
func putScalar(attrs pcommon.Map, name string, v pcommon.Value) {
	switch v.Type() {
	case pcommon.ValueTypeInt, pcommon.ValueTypeDouble, pcommon.ValueTypeBool:
		v.CopyTo(attrs.PutEmpty(name))
	case pcommon.ValueTypeStr:
		if v.Str() != "" {
			attrs.PutStr(name, v.Str())
		}
	}
}

// putRoles writes user.roles as a string slice: from an array (scalars as text), or from a
// single string.
func putRoles(attrs pcommon.Map, v pcommon.Value) {
	switch v.Type() {
	case pcommon.ValueTypeSlice:
		src := v.Slice()
		var dst pcommon.Slice
		made := false
		for i := range src.Len() {
			s, ok := text(src.At(i))
			if !ok {
				continue
			}
			if !made {
				dst, made = attrs.PutEmptySlice(slotAttr[slotRoles]), true
				dst.EnsureCapacity(src.Len())
			}
			dst.AppendEmpty().SetStr(s)
		}
	case pcommon.ValueTypeStr:
		if s := v.Str(); s != "" {
			attrs.PutEmptySlice(slotAttr[slotRoles]).AppendEmpty().SetStr(s)
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

// contentID derives a stable ID for a record that has none: the same bytes give the same ID
// on every read, so that re-reads of the record are still recognised.
func contentID(raw []byte) string {
	sum := sha256.Sum256(bytes.Trim(raw, ", \t\r\n"))
	return "sha256:" + hex.EncodeToString(sum[:16])
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
