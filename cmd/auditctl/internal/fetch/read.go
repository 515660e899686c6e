package fetch

import (
	"context"
	"fmt"
	"time"

	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/secaudit/otelcol-audit/internal/poller"
)

// Window says which records to read.
type Window struct {
	// From and To bound the records' key time (the time the receiver checkpoints on), both
	// inclusive. A zero To leaves the window open: the query runs until it is caught up.
	From, To time.Time
	// Limit stops the read once this many records are kept; 0 means no limit.
	Limit int
	// MaxPages stops the read after this many pages; 0 means no limit.
	MaxPages int
}

// Result holds what a read kept.
type Result struct {
	// Logs holds the records kept, one ResourceLogs per page, converted by the receiver.
	Logs plog.Logs
	// Records is the number of log records in Logs.
	Records int
	// Pages is the number of pages the source returned.
	Pages int
	// Duplicates counts records dropped because an earlier page already held their ID: sources
	// may repeat the records of a time-filter granule when they restart a query.
	Duplicates int
	// Limited tells that the read stopped at Limit or MaxPages: more records may match.
	Limited bool
}

// Read opens a query at w.From and reads pages until the source is caught up, a page goes past
// w.To, or a limit is reached. It keeps the records inside the window, each ID once. The
// sources return records oldest first, so the first page that goes past w.To is the last one
// read. On error, Read returns what it kept so far with the error.
func Read(ctx context.Context, src poller.Source, w Window) (Result, error) {
	res := Result{Logs: plog.NewLogs()}
	seen := map[string]struct{}{}
	q := src.Open(w.From)
	for {
		page, done, err := q.Next(ctx)
		if err != nil {
			return res, err
		}
		if done {
			return res, nil
		}
		if page, err = page.Decoded(); err != nil {
			return res, err
		}
		res.Pages++
		st, err := res.keep(page, w, seen)
		if err != nil {
			return res, err
		}
		switch {
		case st.cut || (st.full && !st.past):
			res.Limited = true
			return res, nil
		case st.past || st.full:
			return res, nil
		case w.MaxPages > 0 && res.Pages >= w.MaxPages:
			res.Limited = true
			return res, nil
		}
	}
}

// pageState is what keeping one page found out.
type pageState struct {
	past bool // a record was after the window: no later page can be inside it
	full bool // the limit is reached
	cut  bool // records inside the window were dropped for the limit
}

// keep moves the page's records that are inside the window, and not seen before, into res.
func (res *Result) keep(page poller.Page, w Window, seen map[string]struct{}) (pageState, error) {
	var st pageState
	if page.Logs.ResourceLogs().Len() == 0 {
		return st, nil
	}
	records := page.Logs.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords()
	if records.Len() != len(page.Keys) {
		return st, fmt.Errorf("the source returned a page of %d log records with %d keys", records.Len(), len(page.Keys))
	}
	i := 0
	records.RemoveIf(func(plog.LogRecord) bool {
		k := page.Keys[i]
		i++
		switch {
		case !w.To.IsZero() && k.Time.After(w.To):
			st.past = true
			return true
		case k.Time.Before(w.From): // the rest of from's granule, which a source may return
			return true
		}
		if _, again := seen[k.ID]; again {
			res.Duplicates++
			return true
		}
		if st.full {
			st.cut = true
			return true
		}
		seen[k.ID] = struct{}{}
		res.Records++
		st.full = w.Limit > 0 && res.Records >= w.Limit
		return false
	})
	if records.Len() > 0 {
		page.Logs.ResourceLogs().MoveAndAppendTo(res.Logs.ResourceLogs())
	}
	return st, nil
}
