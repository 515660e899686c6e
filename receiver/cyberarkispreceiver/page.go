package cyberarkispreceiver // import "github.com/secaudit/otelcol-audit/receiver/cyberarkispreceiver"

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/go-json-experiment/json/jsontext"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/secaudit/otelcol-audit/internal/failkind"
	"github.com/secaudit/otelcol-audit/internal/fieldmap"
	"github.com/secaudit/otelcol-audit/internal/httpapi"
	"github.com/secaudit/otelcol-audit/internal/jsonpdata"
	"github.com/secaudit/otelcol-audit/internal/poller"
	"github.com/secaudit/otelcol-audit/receiver/cyberarkispreceiver/internal/metadata"
)

// decodeOptions: duplicate-name tracking costs time on every object and a page with a
// repeated key is better kept (last value wins) than refused forever; invalid UTF-8 becomes
// U+FFFD rather than failing the page, as encoding/json does.
var decodeOptions = []jsontext.Options{jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true)}

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
	cursor     string // paging.cursor.cursorRef: the cursor of the next page
	tenant     string // tenant ID on the resource
	badTimes   int    // events without a usable timestamp
	derivedIDs int    // events without a uuid
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
		budget: jsonpdata.NewBudget(c.pageSize), vals: eventFields.NewValues()}
	pd.own = pd.putOwn
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

	// The record being converted, for putOwn: its fields, attributes and ID. vals is reused
	// record after record, and own is pd.putOwn bound once.
	vals            fieldmap.Values
	attrs           pcommon.Map
	id              string
	sourceIsAddress bool
	own             func(int, fieldmap.Field, pcommon.Value)
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
// API, without tokenising the events before it: walking a full page would hold up the fetch of
// the next one, and decodePage validates the events next anyway.
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
		return failkind.Tag(failkind.Connection, fmt.Errorf("expected a JSON object, got %s", httpapi.DescribeBody(body, c.secrets)))
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
		return "", fmt.Errorf("the page has no data array (%s)", httpapi.DescribeBody(body, secrets))
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
