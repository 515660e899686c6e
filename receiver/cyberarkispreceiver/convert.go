package cyberarkispreceiver // import "github.com/secaudit/otelcol-audit/receiver/cyberarkispreceiver"

import (
	"math"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/secaudit/otelcol-audit/internal/checkpoint"
	"github.com/secaudit/otelcol-audit/internal/fieldmap"
	"github.com/secaudit/otelcol-audit/internal/jsonpdata"
)

const (
	eventNamePrefix = "cyberark.audit"
	// bodyCapacity pre-sizes a record's body map: events carry about 30 fields, and growing
	// the map step by step would copy it several times.
	bodyCapacity = 36
	// attrCapacity pre-sizes the attribute map (the well-known fields an event usually has).
	attrCapacity = 24
)

// knownEventNames avoids building the event name of the usual application codes per record.
var knownEventNames = func() map[string]string {
	m := map[string]string{}
	for _, code := range []string{"IDP", "PAM", "CSM", "SIA", "SHSM", "SCA", "DPA", "EPM", "ITDR", "CEM", "SM"} {
		m[code] = eventNamePrefix + "." + strings.ToLower(code)
	}
	return m
}()

// record converts the next event object into a log record and its key.
func (pd *pageDecoder) record() error {
	start := pd.dec.InputOffset()
	if err := pd.budget.Record(); err != nil {
		return err
	}
	lr := pd.records.AppendEmpty()
	body := lr.Body().SetEmptyMap()
	body.EnsureCapacity(bodyCapacity)
	if err := jsonpdata.Map(pd.dec, body, pd.budget); err != nil {
		return err
	}
	vals := pd.vals
	eventFields.Read(body, vals)
	lr.SetObservedTimestamp(pd.observed)

	uuid, hasUUID := vals.Text(fUUID)
	key := checkpoint.Key{ID: uuid}
	if ts, ok := eventTime(vals[fTimestamp]); ok {
		key.Time = ts
		lr.SetTimestamp(pcommon.NewTimestampFromTime(ts))
		pd.prev = ts
	} else {
		// Timestamp stays 0, so that backends fall back to ObservedTimestamp; the key takes
		// the previous record's time so that the record sorts where the API put it.
		key.Time = pd.prev
		pd.dp.badTimes++
	}
	if !hasUUID {
		key.ID = jsonpdata.ContentID(pd.body[start:pd.dec.InputOffset()])
		pd.dp.derivedIDs++
	}
	if tenant, ok := vals.Text(fTenantID); ok && !pd.sawTenant {
		pd.dp.tenant, pd.sawTenant = tenant, true
	}

	auditType, _ := vals.Text(fAuditType)
	applicationCode, _ := vals.Text(fApplicationCode)
	lr.SetEventName(eventName(applicationCode))
	lr.SetSeverityNumber(severity(auditType))
	lr.SetSeverityText(auditType)

	attrs := lr.Attributes()
	attrs.EnsureCapacity(attrCapacity)
	if vals[fUUID] == (pcommon.Value{}) {
		// Put hands over present fields only; the uid is written first all the same.
		attrs.PutStr(eventFields.Fields()[fUUID].Attr, key.ID)
	}
	pd.attrs, pd.id = attrs, key.ID
	eventFields.Put(attrs, vals, pd.own)
	pd.budget.Repaired().Mark(attrs)
	pd.dp.page.Keys = append(pd.dp.page.Keys, key)
	return nil
}

// putOwn writes the Own fields of eventFields on the record being converted (pd.attrs).
func (pd *pageDecoder) putOwn(i int, f fieldmap.Field, v pcommon.Value) {
	switch i {
	case fUUID:
		pd.attrs.PutStr(f.Attr, pd.id)
	case fClientAddress:
		// Identity events carry the client IP; PAM events a component name such as PVWA.
		s, ok := jsonpdata.Text(v)
		pd.sourceIsAddress = false
		if !ok {
			return
		}
		if _, err := netip.ParseAddr(s); err == nil {
			pd.attrs.PutStr(f.Attr, s)
			pd.sourceIsAddress = true
		} else if ap, err := netip.ParseAddrPort(s); err == nil {
			pd.attrs.PutStr(f.Attr, ap.Addr().String())
			pd.attrs.PutInt("client.port", int64(ap.Port()))
			pd.sourceIsAddress = true
		}
	case fSource:
		// Follows fClientAddress, which told whether the same value is an address.
		if s, ok := jsonpdata.Text(v); ok && !pd.sourceIsAddress {
			pd.attrs.PutStr(f.Attr, s)
		}
	}
}

// eventName is cyberark.audit.<application code>, e.g. cyberark.audit.idp.
func eventName(code string) string {
	if code == "" {
		return eventNamePrefix
	}
	if n, ok := knownEventNames[code]; ok {
		return n
	}
	return eventNamePrefix + "." + strings.ToLower(code)
}

// severity maps auditType. Audit records have no level: success is INFO, refusals and
// failures are WARN, system errors are ERROR, anything unknown is INFO.
func severity(auditType string) plog.SeverityNumber {
	switch auditType {
	case "Info", "Success":
		return plog.SeverityNumberInfo
	case "Warning", "Failure", "Failure reason", "Timeout or URL not found":
		return plog.SeverityNumberWarn
	case "Error", "System Error":
		return plog.SeverityNumberError
	}
	switch strings.ToLower(strings.TrimSpace(auditType)) {
	case "warning", "warn", "failure", "failure reason", "timeout or url not found", "failed":
		return plog.SeverityNumberWarn
	case "error", "system error":
		return plog.SeverityNumberError
	default:
		return plog.SeverityNumberInfo
	}
}

// maxTime is the last instant a pdata timestamp (nanoseconds since 1970 in an int64) can hold.
var maxTime = time.Unix(0, math.MaxInt64)

// eventTime reads timestamp: epoch milliseconds in practice, as a number or a numeric string.
// The unit is told by magnitude, since CyberArk documents seconds but sends milliseconds.
func eventTime(v pcommon.Value) (time.Time, bool) {
	if v == (pcommon.Value{}) { // absent
		return time.Time{}, false
	}
	var t time.Time
	switch v.Type() {
	case pcommon.ValueTypeInt:
		t = fromEpoch(float64(v.Int()), v.Int(), true)
	case pcommon.ValueTypeDouble:
		t = fromEpoch(v.Double(), 0, false)
	case pcommon.ValueTypeStr:
		s := strings.TrimSpace(v.Str())
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			t = fromEpoch(float64(n), n, true)
		} else if x, err := strconv.ParseFloat(s, 64); err == nil {
			t = fromEpoch(x, 0, false)
		} else if p, err := time.Parse(time.RFC3339Nano, s); err == nil {
			t = p
		} else if p, err := time.Parse(dateLayout, s); err == nil {
			t = p
		}
	}
	if t.IsZero() || t.Unix() <= 0 || t.After(maxTime) {
		return time.Time{}, false
	}
	return t.UTC(), true
}

// fromEpoch reads an epoch number whose unit is told by its magnitude: seconds below 1e11
// (until the year 5138), milliseconds below 1e14, microseconds below 1e17, else nanoseconds.
// Integers are read exactly (a float64 loses precision past 2^53); exact tells that n holds x.
func fromEpoch(x float64, n int64, exact bool) time.Time {
	if math.IsNaN(x) || x <= 0 || x >= math.MaxInt64 {
		return time.Time{}
	}
	if !exact && x == math.Trunc(x) {
		n, exact = int64(x), true // a whole number sent as a float: read it exactly
	}
	if exact {
		switch {
		case n < 1e11:
			return time.Unix(n, 0)
		case n < 1e14:
			return time.UnixMilli(n)
		case n < 1e17:
			return time.UnixMicro(n)
		default:
			return time.Unix(0, n)
		}
	}
	perSecond := 1.0
	switch {
	case x < 1e11:
	case x < 1e14:
		perSecond = 1e3
	case x < 1e17:
		perSecond = 1e6
	default:
		perSecond = 1e9
	}
	sec, frac := math.Modf(x / perSecond)
	return time.Unix(int64(sec), int64(frac*1e9))
}
