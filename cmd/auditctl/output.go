package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
)

// Output formats of get-events.
const (
	formatTable    = "table"
	formatJSON     = "json"
	formatOTLPJSON = "otlp-json"
)

// writeRecords prints logs in format. Every format shows the records as the receiver built them;
// json and table only lay them out differently.
func writeRecords(w io.Writer, format, receiverID string, logs plog.Logs) error {
	switch format {
	case formatOTLPJSON:
		// The OTLP/JSON encoding, as the file exporter writes it and an OTLP/HTTP receiver reads it.
		b, err := (&plog.JSONMarshaler{}).MarshalLogs(logs)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(w, "%s\n", b)
		return err
	case formatJSON:
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false) // records are read by people and jq, not embedded in HTML
		return eachRecord(logs, func(res pcommon.Resource, scope pcommon.InstrumentationScope, lr plog.LogRecord) error {
			return enc.Encode(newJSONRecord(receiverID, res, scope, lr))
		})
	default:
		return writeTable(w, logs)
	}
}

func eachRecord(logs plog.Logs, fn func(pcommon.Resource, pcommon.InstrumentationScope, plog.LogRecord) error) error {
	for i := 0; i < logs.ResourceLogs().Len(); i++ {
		rl := logs.ResourceLogs().At(i)
		for j := 0; j < rl.ScopeLogs().Len(); j++ {
			sl := rl.ScopeLogs().At(j)
			for k := 0; k < sl.LogRecords().Len(); k++ {
				if err := fn(rl.Resource(), sl.Scope(), sl.LogRecords().At(k)); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// jsonRecord is one record as a flat JSON object, one per line: easier to read and to feed to
// jq than OTLP/JSON, whose attributes are lists of typed key-value pairs.
type jsonRecord struct {
	Receiver       string         `json:"receiver"`
	Time           string         `json:"time,omitempty"`
	ObservedTime   string         `json:"observed_time,omitempty"`
	SeverityNumber int32          `json:"severity_number,omitempty"`
	SeverityText   string         `json:"severity_text,omitempty"`
	EventName      string         `json:"event_name,omitempty"`
	Attributes     map[string]any `json:"attributes"`
	Body           any            `json:"body"`
	Resource       map[string]any `json:"resource"`
	Scope          jsonScope      `json:"scope"`
}

type jsonScope struct {
	Name    string `json:"name"`
	Version string `json:"version,omitempty"`
}

func newJSONRecord(receiverID string, res pcommon.Resource, scope pcommon.InstrumentationScope, lr plog.LogRecord) jsonRecord {
	return jsonRecord{
		Receiver:       receiverID,
		Time:           timeText(lr.Timestamp(), time.RFC3339Nano),
		ObservedTime:   timeText(lr.ObservedTimestamp(), time.RFC3339Nano),
		SeverityNumber: int32(lr.SeverityNumber()),
		SeverityText:   lr.SeverityText(),
		EventName:      lr.EventName(),
		Attributes:     lr.Attributes().AsRaw(),
		Body:           lr.Body().AsRaw(),
		Resource:       res.Attributes().AsRaw(),
		Scope:          jsonScope{Name: scope.Name(), Version: scope.Version()},
	}
}

// timeText formats a timestamp in UTC; a record without one (0) gives "".
func timeText(ts pcommon.Timestamp, layout string) string {
	if ts == 0 {
		return ""
	}
	return ts.AsTime().UTC().Format(layout)
}

// detailWidth bounds the DETAIL column, so that a row stays on one terminal line or two.
const detailWidth = 72

// tableLayout is millisecond precision: enough to tell records apart, short enough for a column.
const tableLayout = "2006-01-02T15:04:05.000Z07:00"

// writeTable prints one row per record: the fields that tell records apart at a glance.
func writeTable(w io.Writer, logs plog.Logs) error {
	if logs.LogRecordCount() == 0 {
		return nil // the summary on stderr says so; a lone header row says nothing more
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	if _, err := fmt.Fprintln(tw, "TIME\tSEVERITY\tEVENT\tUSER\tID\tDETAIL"); err != nil {
		return err
	}
	err := eachRecord(logs, func(_ pcommon.Resource, _ pcommon.InstrumentationScope, lr plog.LogRecord) error {
		attrs := lr.Attributes()
		_, err := fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n",
			cell(timeText(lr.Timestamp(), tableLayout), 0), cell(lr.SeverityText(), 0), cell(lr.EventName(), 0),
			cell(first(attrs, "user.name", "user.email", "user.id"), 40), cell(first(attrs, "log.record.uid"), 0),
			cell(first(attrs, "cyberark.message", "xsoar.audit.description", "cyberark.action"), detailWidth))
		return err
	})
	if err != nil {
		return err
	}
	return tw.Flush()
}

// first returns the first of the attributes that is set and not empty, as text.
func first(attrs pcommon.Map, keys ...string) string {
	for _, k := range keys {
		if v, ok := attrs.Get(k); ok {
			if s := v.AsString(); s != "" {
				return s
			}
		}
	}
	return ""
}

// cell makes a value fit a table cell: one line, no tabs, no escape sequence, at most width
// runes (0: no limit), "-" when empty.
func cell(s string, width int) string {
	s = strings.Join(strings.FieldsFunc(terminalSafe(s), unicode.IsSpace), " ")
	if s == "" {
		return "-"
	}
	if r := []rune(s); width > 0 && len(r) > width {
		return string(r[:width-1]) + "…"
	}
	return s
}
