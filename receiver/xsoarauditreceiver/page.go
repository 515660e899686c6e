package xsoarauditreceiver // import "github.com/secaudit/otelcol-audit/receiver/xsoarauditreceiver"

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/go-json-experiment/json/jsontext"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.uber.org/zap"

	"github.com/secaudit/otelcol-audit/internal/checkpoint"
	"github.com/secaudit/otelcol-audit/internal/failkind"
	"github.com/secaudit/otelcol-audit/internal/fieldmap"
	"github.com/secaudit/otelcol-audit/internal/httpapi"
	"github.com/secaudit/otelcol-audit/internal/jsonpdata"
	"github.com/secaudit/otelcol-audit/receiver/xsoarauditreceiver/internal/metadata"
)

// page is one decoded reply.
type page struct {
	logs plog.Logs
	keys []checkpoint.Key
	// total is reply.total_count; hasTotal is false when the reply left it out.
	total    int64
	hasTotal bool
	// newest is the newest valid record time of the page (AUDIT_INSERT_TIME, TIMESTAMP), in
	// epoch ms; 0 when none.
	newest int64
}

// pageDecoder turns reply bodies into pages of logs. It is used by one goroutine at a time.
type pageDecoder struct {
	kind     *logKind
	resource pcommon.Resource // the tenant's attributes, copied into each page
	version  string           // the collector build, for the scope
	logger   *zap.Logger
	names    eventNames
	dec      jsontext.Decoder
	// budget bounds what one page decodes into, the same for every page_size: a page of up to
	// 100 records; it notes each record's repairs.
	budget *jsonpdata.Budget
	// vals holds the fields of the record being converted, reused record after record.
	vals fieldmap.Values
	// attrs are the attributes of the record being converted, for putOwn.
	attrs pcommon.Map
	// putOwn writes the Own fields of kind's table; made once, not per record.
	putOwn func(i int, f fieldmap.Field, v pcommon.Value)
}

// newKindDecoder decodes pages of kind; product is the tenant's product when known, or "".
func newKindDecoder(kind *logKind, tenant, product, version string, logger *zap.Logger) *pageDecoder {
	rb := metadata.NewResourceBuilder(metadata.DefaultResourceAttributesConfig())
	rb.SetXsoarTenantFqdn(tenant)
	if product != "" {
		rb.SetCortexProduct(product)
	}
	d := &pageDecoder{kind: kind, resource: rb.Emit(), version: version, logger: logger, names: eventNames{},
		vals: kind.fields.NewValues()}
	d.putOwn = d.putOwnManagement // an agents' report has no Own fields
	return d
}

// Duplicate names are allowed (the last one wins, as with encoding/json) rather than failing a
// whole page; invalid UTF-8 becomes U+FFFD rather than blocking the checkpoint behind a page that
// can never decode.
var decodeOptions = []jsontext.Options{jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true)}

// decode reads {"reply":{"total_count":T,"result_count":R,"data":[...]}} in any key order.
// observed is the receive time; prev is the time of the record before this page, for records
// whose own time is unusable. A body that is not such a reply, or that reports an error, is an
// error and yields nothing.
func (d *pageDecoder) decode(body []byte, observed, prev time.Time) (page, error) {
	// The decoder reads a bytes.Buffer in place, without copying: its offsets index body.
	d.dec.Reset(bytes.NewBuffer(body), decodeOptions...)
	dec := &d.dec
	d.budget = jsonpdata.NewBudget(maxPageSize)

	p := page{logs: plog.NewLogs(), keys: make([]checkpoint.Key, 0, maxPageSize)}
	rl := p.logs.ResourceLogs().AppendEmpty()
	d.resource.CopyTo(rl.Resource())
	sl := rl.ScopeLogs().AppendEmpty()
	sl.Scope().SetName(scopeName)
	sl.Scope().SetVersion(d.version)

	if k := dec.PeekKind(); k != '{' {
		return page{}, notAReply(body)
	}
	var rerr *replyError
	sawReply := false
	err := jsonpdata.Members(dec, func(name string) error {
		switch name {
		case "reply":
			sawReply = true
			return d.reply(&p, sl.LogRecords(), body, observed, prev, &rerr)
		case "error":
			msg, err := errorText(dec)
			if err != nil {
				return err
			}
			if msg != "" {
				rerr = &replyError{Msg: msg}
			}
			return nil
		default:
			return dec.SkipValue()
		}
	})
	if err != nil {
		return page{}, fmt.Errorf("reading the reply: %w", err)
	}
	if _, err := dec.ReadToken(); !errors.Is(err, io.EOF) {
		return page{}, errors.New("reading the reply: unexpected data after the JSON object")
	}
	if rerr != nil {
		return page{}, rerr
	}
	if !sawReply {
		return page{}, failkind.Tag(failkind.Connection, errors.New(`the response has no "reply" object; check path`))
	}
	return p, nil
}

// reply reads the "reply" object, or tolerates a bare array of records in its place.
func (d *pageDecoder) reply(p *page, records plog.LogRecordSlice, body []byte, observed, prev time.Time, rerr **replyError) error {
	dec := &d.dec
	switch dec.PeekKind() {
	case '[':
		return d.records(p, records, body, observed, prev)
	case 'n':
		_, err := dec.ReadToken()
		return err
	case '{':
	default:
		return fmt.Errorf(`"reply" is a JSON %s, not an object`, dec.PeekKind())
	}
	var code, msg string
	err := jsonpdata.Members(dec, func(name string) (err error) {
		switch name {
		case "data":
			if dec.PeekKind() == 'n' {
				_, err = dec.ReadToken()
				return err
			}
			return d.records(p, records, body, observed, prev)
		case "total_count":
			p.total, p.hasTotal, err = count(dec)
		case "err_code":
			code, err = scalarText(dec)
		case "err_msg":
			msg, err = errorText(dec)
		default:
			err = dec.SkipValue()
		}
		return err
	})
	if err != nil {
		return err
	}
	if code != "" || msg != "" {
		*rerr = &replyError{Code: code, Msg: msg}
	}
	return nil
}

// records reads the data array, one log record per element.
func (d *pageDecoder) records(p *page, records plog.LogRecordSlice, body []byte, observed, prev time.Time) error {
	dec := &d.dec
	if k := dec.PeekKind(); k != '[' {
		if k == 0 {
			_, err := dec.ReadToken()
			return err
		}
		return fmt.Errorf(`"data" is a JSON %s, not an array`, k)
	}
	if _, err := dec.ReadToken(); err != nil {
		return err
	}
	records.EnsureCapacity(maxPageSize)
	for i := 0; dec.PeekKind() != ']'; i++ {
		if k := dec.PeekKind(); k != '{' {
			if k == 0 {
				_, err := dec.ReadToken()
				return err
			}
			return fmt.Errorf("data[%d] is a JSON %s, not an object", i, k)
		}
		start := dec.InputOffset()
		if err := d.budget.Record(); err != nil {
			return fmt.Errorf("data[%d]: %w", i, err)
		}
		lr := records.AppendEmpty()
		if err := decodeBody(dec, lr, d.budget); err != nil {
			return fmt.Errorf("data[%d]: %w", i, err)
		}
		raw := body[start:dec.InputOffset()]
		key, ms := d.kind.convert(d, lr, raw, observed, prev)
		d.budget.Repaired().Mark(lr.Attributes())
		if ms > p.newest {
			p.newest = ms
		}
		prev = key.Time
		p.keys = append(p.keys, key)
	}
	_, err := dec.ReadToken()
	return err
}

// count reads total_count: a number, a numeric string, or null (absent).
func count(dec *jsontext.Decoder) (int64, bool, error) {
	tok, err := dec.ReadToken()
	if err != nil {
		return 0, false, err
	}
	switch tok.Kind() {
	case '0', '"':
		n, err := strconv.ParseInt(tok.String(), 10, 64)
		if err != nil || n < 0 {
			return 0, false, nil // unusable: page by short pages instead
		}
		return n, true, nil
	case '{', '[':
		return 0, false, fmt.Errorf("total_count is a JSON %s", tok.Kind())
	}
	return 0, false, nil
}

// scalarText reads a string or number as text; null and other kinds give "".
func scalarText(dec *jsontext.Decoder) (string, error) {
	switch dec.PeekKind() {
	case '"', '0':
		tok, err := dec.ReadToken()
		if err != nil {
			return "", err
		}
		return tok.String(), nil
	}
	return "", dec.SkipValue()
}

// errorText reads an error description: a string, an object with a message (or its raw JSON),
// or null.
func errorText(dec *jsontext.Decoder) (string, error) {
	switch dec.PeekKind() {
	case '"', '0', 't', 'f':
		tok, err := dec.ReadToken()
		if err != nil {
			return "", err
		}
		return tok.String(), nil
	case 'n':
		_, err := dec.ReadToken()
		return "", err
	}
	v, err := dec.ReadValue()
	if err != nil {
		return "", err
	}
	return httpapi.Quote(string(v), 500, nil), nil
}

// notAReply describes a body that is not JSON: an HTML login or error page says much more
// about the setting at fault than a syntax error would.
func notAReply(body []byte) error {
	if s := bytes.TrimSpace(body); len(s) > 0 && s[0] == '<' {
		return failkind.Tag(failkind.Connection, errors.New(
			"the response is HTML, not JSON: endpoint probably names the web UI or a proxy page, not the API host (api-<tenant>...)"))
	}
	return failkind.Tag(failkind.Connection, errors.New("the response is not a JSON object: "+httpapi.DescribeBody(body, nil)))
}
