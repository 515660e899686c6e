package cyberarkispreceiver // import "github.com/secaudit/otelcol-audit/receiver/cyberarkispreceiver"

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/go-json-experiment/json/jsontext"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/secaudit/otelcol-audit/internal/checkpoint"
	"github.com/secaudit/otelcol-audit/internal/httpapi"
	"github.com/secaudit/otelcol-audit/internal/jsonpdata"
	"github.com/secaudit/otelcol-audit/internal/poller"
	"github.com/secaudit/otelcol-audit/receiver/cyberarkispreceiver/internal/metadata"
)

const (
	eventNamePrefix = "cyberark.audit"
	// bodyCapacity pre-sizes a record's body map: events carry about 30 fields, and growing
	// the map step by step would copy it several times.
	bodyCapacity = 36
	// attrCapacity pre-sizes the attribute map (the well-known fields an event usually has).
	attrCapacity = 24
)

// decodeOptions: duplicate-name tracking costs time on every object and a page with a
// repeated key is better kept (last value wins) than refused forever; invalid UTF-8 becomes
// U+FFFD rather than failing the page, as encoding/json does.
var decodeOptions = []jsontext.Options{jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true)}

// knownEventNames avoids building the event name of the usual application codes per record.
var knownEventNames = func() map[string]string {
	m := map[string]string{}
	for _, code := range []string{"IDP", "PAM", "CSM", "SIA", "SHSM", "SCA", "DPA", "EPM", "ITDR", "CEM", "SM"} {
		m[code] = eventNamePrefix + "." + strings.ToLower(code)
	}
	return m
}()

// converter turns results pages into logs.
type converter struct {
	host         string // the Audit API host, on the resource
	scopeVersion string
	pageSize     int
	secrets      *httpapi.Secrets // kept out of error messages
}

func newConverter(host, scopeVersion string, pageSize int, secrets *httpapi.Secrets) *converter {
	return &converter{host: host, scopeVersion: scopeVersion, pageSize: pageSize, secrets: secrets}
}

// pageContext is what decoding a page needs from the query.
type pageContext struct {
	observed time.Time // receive time of the page
	prev     time.Time // time of the last record returned before this page (or the query's from)
	tenant   string    // tenant ID seen on an earlier page, for a page whose events carry none
}

// decodedPage is one converted results page.
type decodedPage struct {
	page       poller.Page
	cursor     string    // paging.cursor.cursorRef: the cursor of the next page
	newest     time.Time // newest valid event time in the page
	tenant     string    // tenant ID on the resource
	badTimes   int       // events without a usable timestamp
	derivedIDs int       // events without a uuid
}

// decodePage converts a results page: {"data":[event...], "paging":{"cursor":{"cursorRef":"..."}}}.
// Anything but a complete JSON object is an error and yields nothing: a cut body or an HTML
// page served with status 200 must not move the checkpoint.
func (c *converter) decodePage(body []byte, pc pageContext) (decodedPage, error) {
	if err := c.checkObject(body); err != nil {
		return decodedPage{}, err
	}
	dp := decodedPage{tenant: pc.tenant}
	logs := plog.NewLogs()
	rl := logs.ResourceLogs().AppendEmpty()
	sl := rl.ScopeLogs().AppendEmpty()
	sl.Scope().SetName(metadata.ScopeName)
	sl.Scope().SetVersion(c.scopeVersion)

	pd := pageDecoder{conv: c, body: body, dec: jsontext.NewDecoder(bytes.NewBuffer(body), decodeOptions...),
		records: sl.LogRecords(), observed: pcommon.NewTimestampFromTime(pc.observed), prev: pc.prev, dp: &dp,
		budget: jsonpdata.NewBudget(c.pageSize)}
	if err := pd.envelope(); err != nil {
		return decodedPage{}, err
	}
	dp.page.Logs = logs
	res := rl.Resource().Attributes()
	res.PutStr("cyberark.audit.host", c.host)
	if dp.tenant != "" {
		res.PutStr("cyberark.tenant.id", dp.tenant)
	}
	return dp, nil
}

// pageDecoder walks one page. Record bodies go straight from JSON into pdata; the envelope is
// walked token by token so that nothing else of the page is materialised.
type pageDecoder struct {
	conv      *converter
	body      []byte
	dec       *jsontext.Decoder
	records   plog.LogRecordSlice
	observed  pcommon.Timestamp
	prev      time.Time
	dp        *decodedPage
	sawTenant bool
	budget    *jsonpdata.Budget // bounds what the page decodes into; notes each event's repairs
}

func (pd *pageDecoder) envelope() (err error) {
	pd.dp.cursor, err = walkEnvelope(pd.dec, pd.body, pd.conv.secrets, pd.data)
	return err
}

// pageEnvelope is what the next request needs from a results page.
type pageEnvelope struct {
	cursor string
	empty  bool // no events: the query is caught up
}

// scanEnvelope reads a results page's cursor and whether it has events, and checks that it is
// one complete JSON object with data, without converting the events: the fetch of the next
// page need not wait for that.
func (c *converter) scanEnvelope(body []byte) (pageEnvelope, error) {
	if err := c.checkObject(body); err != nil {
		return pageEnvelope{}, err
	}
	if len(body) > smallPage {
		if cursor, ok := tailCursor(body); ok {
			return pageEnvelope{cursor: cursor}, nil
		}
	}
	var env pageEnvelope
	dec := jsontext.NewDecoder(bytes.NewReader(body), decodeOptions...)
	cursor, err := walkEnvelope(dec, body, c.secrets, func() error {
		array, err := openData(dec)
		if !array {
			env.empty = true
			return err
		}
		env.empty = dec.PeekKind() == ']'
		for dec.PeekKind() != ']' {
			if err := dec.SkipValue(); err != nil {
				return err
			}
		}
		_, err = dec.ReadToken() // ]
		return err
	})
	env.cursor = cursor
	return env, err
}

// smallPage is the body size up to which scanEnvelope walks the whole page. A page without
// events is a few hundred bytes; above this size the page has events, and its cursor is read
// from the end of the body.
const smallPage = 16 << 10

var pagingName = []byte(`"paging"`)

// tailCursor reads the cursor of a page whose last member is paging, as in every sample of the
// API, without tokenising the events before it: at 20 ms of API latency, walking a 500 KB page
// would cost the fetch loop 4% of its time, and decodePage validates the events next anyway.
// In valid JSON an unescaped "paging" preceded by '{' or ',' and followed by one complete
// member and the final '}' can only be the top-level member. ok is false for any other layout,
// and the caller walks the whole page.
func tailCursor(body []byte) (cursor string, ok bool) {
	i := bytes.LastIndex(body, pagingName)
	if i < 0 {
		return "", false
	}
	before := bytes.TrimRight(body[:i], " \t\r\n")
	if len(before) == 0 || (before[len(before)-1] != ',' && before[len(before)-1] != '{') {
		return "", false
	}
	rest := bytes.TrimRight(body[i:], " \t\r\n")
	if len(rest) == 0 || rest[len(rest)-1] != '}' {
		return "", false
	}
	member := make([]byte, 0, len(rest)+1) // {"paging":{...}}: the member as an object of its own
	member = append(append(append(member, '{'), rest[:len(rest)-1]...), '}')
	dec := jsontext.NewDecoder(bytes.NewReader(member), decodeOptions...)
	sawPaging := false
	err := jsonpdata.Members(dec, func(name string) (err error) {
		if name != "paging" {
			return dec.SkipValue()
		}
		sawPaging = true
		cursor, err = readCursor(dec)
		return err
	})
	if err != nil || !sawPaging {
		return "", false
	}
	if _, err := dec.ReadToken(); !errors.Is(err, io.EOF) {
		return "", false
	}
	return cursor, true
}

// checkObject refuses at once a body that is not a JSON object: an HTML page served with 200.
func (c *converter) checkObject(body []byte) error {
	if trimmed := bytes.TrimLeft(body, " \t\r\n"); len(trimmed) == 0 || trimmed[0] != '{' {
		return fmt.Errorf("expected a JSON object, got %s", describeBody(body, c.secrets))
	}
	return nil
}

// walkEnvelope walks a results page {"data":[...], "paging":{"cursor":{"cursorRef":"..."}}}:
// data reads the data member's value, and the cursor is returned. Anything but one complete
// object with data is an error.
func walkEnvelope(dec *jsontext.Decoder, body []byte, secrets *httpapi.Secrets, data func() error) (cursor string, err error) {
	sawData := false
	err = jsonpdata.Members(dec, func(name string) (err error) {
		switch name {
		case "data":
			sawData = true
			return data()
		case "paging":
			cursor, err = readCursor(dec)
			return err
		default:
			return dec.SkipValue()
		}
	})
	if err != nil {
		return "", err
	}
	if _, err := dec.ReadToken(); !errors.Is(err, io.EOF) {
		return "", errors.New("unexpected data after the JSON object")
	}
	if !sawData {
		return "", fmt.Errorf("the page has no data array (%s)", describeBody(body, secrets))
	}
	return cursor, nil
}

// openData reads the start of the data member: true after the '[' of an events array, false
// after null, which stands for no events.
func openData(dec *jsontext.Decoder) (array bool, err error) {
	switch k := dec.PeekKind(); k {
	case 'n':
		_, err := dec.ReadToken()
		return false, err
	case '[':
		_, err := dec.ReadToken()
		return err == nil, err
	default:
		return false, unexpected("data", k, dec)
	}
}

// data reads the events array.
func (pd *pageDecoder) data() error {
	dec := pd.dec
	if array, err := openData(dec); !array {
		return err
	}
	pd.records.EnsureCapacity(pd.conv.pageSize)
	for {
		switch k := dec.PeekKind(); k {
		case ']':
			_, err := dec.ReadToken()
			return err
		case 'n': // a null element is no event
			if _, err := dec.ReadToken(); err != nil {
				return err
			}
		case '{':
			if err := pd.record(); err != nil {
				return err
			}
		default:
			return unexpected("an event", k, dec)
		}
	}
}

// unexpected reports a value of the wrong kind, or the decoder's own error when there is no value.
func unexpected(what string, k jsontext.Kind, dec *jsontext.Decoder) error {
	if k == 0 {
		if _, err := dec.ReadToken(); err != nil {
			return err
		}
	}
	return fmt.Errorf("%s is a JSON %s, expected an object", what, kindName(k))
}

func kindName(k jsontext.Kind) string {
	switch k {
	case '"':
		return "string"
	case '0':
		return "number"
	case 't', 'f':
		return "boolean"
	case '[':
		return "array"
	case '{':
		return "object"
	case 'n':
		return "null"
	default:
		return "value"
	}
}

// readCursor reads paging.cursor.cursorRef, skipping everything else of paging.
func readCursor(dec *jsontext.Decoder) (string, error) {
	cursor := ""
	err := walkObject(dec, func(name string) error {
		if name != "cursor" {
			return dec.SkipValue()
		}
		return walkObject(dec, func(name string) error {
			if name != "cursorRef" || dec.PeekKind() != '"' {
				return dec.SkipValue()
			}
			tok, err := dec.ReadToken()
			cursor = tok.String()
			return err
		})
	})
	return cursor, err
}

// walkObject calls member for each member name of the next object; member must consume the
// value. Anything but an object (null included) is skipped.
func walkObject(dec *jsontext.Decoder, member func(name string) error) error {
	if dec.PeekKind() != '{' {
		return dec.SkipValue()
	}
	return jsonpdata.Members(dec, member)
}

// fields are the well-known event fields, read from the decoded body in one pass.
type fields struct {
	uuid, tenantID, username, userID, source, sessionID, cloudProvider, originRegion  string
	applicationCode, auditCode, auditType, action, actionType, component, serviceName string
	message, target, command, safe, accountName, accountID, targetPlatform            string
	targetAccount, identityType, accessMethod, correlationID, userAgent               string
	ts                                                                                time.Time
	tsOK                                                                              bool
}

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
	var f fields
	for k, v := range body.All() {
		f.set(k, v)
	}
	lr.SetObservedTimestamp(pd.observed)

	key := checkpoint.Key{ID: f.uuid, Time: f.ts}
	if f.tsOK {
		lr.SetTimestamp(pcommon.NewTimestampFromTime(f.ts))
		pd.prev = f.ts
		if f.ts.After(pd.dp.newest) {
			pd.dp.newest = f.ts
		}
	} else {
		// Timestamp stays 0, so that backends fall back to ObservedTimestamp; the key takes
		// the previous record's time so that the record sorts where the API put it.
		key.Time = pd.prev
		pd.dp.badTimes++
	}
	if key.ID == "" {
		key.ID = derivedID(pd.body[start:pd.dec.InputOffset()])
		pd.dp.derivedIDs++
	}
	if f.tenantID != "" && !pd.sawTenant {
		pd.dp.tenant, pd.sawTenant = f.tenantID, true
	}

	lr.SetEventName(eventName(f.applicationCode))
	lr.SetSeverityNumber(severity(f.auditType))
	lr.SetSeverityText(f.auditType)
	f.attributes(lr.Attributes(), key.ID)
	pd.budget.Repaired().Mark(lr.Attributes())
	pd.dp.page.Keys = append(pd.dp.page.Keys, key)
	return nil
}

// set keeps the value of a well-known field. Values that are null, "" or not scalars are
// ignored (they stay in the body).
func (f *fields) set(k string, v pcommon.Value) {
	switch k {
	case "timestamp":
		f.ts, f.tsOK = eventTime(v)
		return
	case "customData":
		// Identity puts the client's user agent there; PAM nests its data under "PAM".
		if v.Type() == pcommon.ValueTypeMap {
			if ua, ok := v.Map().Get("user_agent"); ok {
				f.userAgent = scalar(ua)
			}
		}
		return
	}
	dst := f.field(k)
	if dst != nil {
		*dst = scalar(v)
	}
}

// field returns where a well-known field is kept, or nil.
func (f *fields) field(k string) *string {
	switch k {
	case "uuid":
		return &f.uuid
	case "tenantId":
		return &f.tenantID
	case "username":
		return &f.username
	case "userId":
		return &f.userID
	case "source":
		return &f.source
	case "sessionId":
		return &f.sessionID
	case "cloudProvider":
		return &f.cloudProvider
	case "originRegion":
		return &f.originRegion
	case "applicationCode":
		return &f.applicationCode
	case "auditCode":
		return &f.auditCode
	case "auditType":
		return &f.auditType
	case "action":
		return &f.action
	case "actionType":
		return &f.actionType
	case "component":
		return &f.component
	case "serviceName":
		return &f.serviceName
	case "message":
		return &f.message
	case "target":
		return &f.target
	case "command":
		return &f.command
	case "safe":
		return &f.safe
	case "accountName":
		return &f.accountName
	case "accountId":
		return &f.accountID
	case "targetPlatform":
		return &f.targetPlatform
	case "targetAccount":
		return &f.targetAccount
	case "identityType":
		return &f.identityType
	case "accessMethod":
		return &f.accessMethod
	case "correlationId":
		return &f.correlationID
	}
	return nil
}

// scalar returns a scalar value as text; "" for null, empty strings, maps and slices.
func scalar(v pcommon.Value) string {
	switch v.Type() {
	case pcommon.ValueTypeStr:
		return v.Str()
	case pcommon.ValueTypeInt, pcommon.ValueTypeDouble, pcommon.ValueTypeBool:
		return v.AsString()
	default:
		return ""
	}
}

// attributes puts the well-known fields on the record, semantic conventions first.
func (f *fields) attributes(attrs pcommon.Map, id string) {
	attrs.EnsureCapacity(attrCapacity)
	attrs.PutStr("log.record.uid", id)
	put(attrs, "user.name", f.username)
	put(attrs, "user.id", f.userID)
	if f.source != "" {
		// Identity events carry the client IP; PAM events a component name such as PVWA.
		if _, err := netip.ParseAddr(f.source); err == nil {
			attrs.PutStr("client.address", f.source)
		} else if ap, err := netip.ParseAddrPort(f.source); err == nil {
			attrs.PutStr("client.address", ap.Addr().String())
			attrs.PutInt("client.port", int64(ap.Port()))
		} else {
			attrs.PutStr("cyberark.source", f.source)
		}
	}
	put(attrs, "user_agent.original", f.userAgent)
	put(attrs, "session.id", f.sessionID)
	put(attrs, "cloud.provider", lower(f.cloudProvider))
	put(attrs, "cloud.region", f.originRegion)
	put(attrs, "cyberark.application_code", f.applicationCode)
	put(attrs, "cyberark.audit_code", f.auditCode)
	put(attrs, "cyberark.audit_type", f.auditType)
	put(attrs, "cyberark.action", f.action)
	put(attrs, "cyberark.action_type", f.actionType)
	put(attrs, "cyberark.component", f.component)
	put(attrs, "cyberark.service_name", f.serviceName)
	put(attrs, "cyberark.message", f.message)
	put(attrs, "cyberark.target", f.target)
	put(attrs, "cyberark.command", f.command)
	put(attrs, "cyberark.safe", f.safe)
	put(attrs, "cyberark.account_name", f.accountName)
	put(attrs, "cyberark.account_id", f.accountID)
	put(attrs, "cyberark.target_platform", f.targetPlatform)
	put(attrs, "cyberark.target_account", f.targetAccount)
	put(attrs, "cyberark.identity_type", f.identityType)
	put(attrs, "cyberark.access_method", f.accessMethod)
	put(attrs, "cyberark.correlation_id", f.correlationID)
}

func put(attrs pcommon.Map, k, v string) {
	if v != "" {
		attrs.PutStr(k, v)
	}
}

// lower lower-cases s, without allocating when it already is.
func lower(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' || c >= 0x80 {
			return strings.ToLower(s)
		}
	}
	return s
}

// eventName is cyberark.audit.<application code>, e.g. cyberark.audit.idp.
func eventName(code string) string {
	if code == "" {
		return eventNamePrefix
	}
	if n, ok := knownEventNames[code]; ok {
		return n
	}
	return eventNamePrefix + "." + lower(code)
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

// derivedID names an event that has no uuid by a hash of its content, so that a re-read of
// the same event gets the same ID. The JSON is canonicalised first: the ID does not depend
// on spacing or member order.
func derivedID(raw []byte) string {
	raw = bytes.TrimLeft(raw, ", \t\r\n")
	v := jsontext.Value(bytes.Clone(raw))
	if err := v.Canonicalize(); err != nil {
		v = raw
	}
	sum := sha256.Sum256(v)
	return "sha256:" + hex.EncodeToString(sum[:16])
}
