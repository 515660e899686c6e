package poller

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/secaudit/otelcol-audit/internal/checkpoint"
)

// fakeAPI is an in-memory vendor API with a time filter of the given granularity: a query from t
// returns every record of t's granule and after, oldest first, pageSize at a time.
type fakeAPI struct {
	mu          sync.Mutex
	records     []checkpoint.Key
	pageSize    int
	granularity time.Duration
	calls       int
	opens       []time.Time
	// fail, when set, is asked before each page; a non-nil error fails that call.
	fail func(call int) error
	// block, when set, makes Next wait for the context to end (a slow request).
	block bool
}

func newFakeAPI(pageSize int, granularity time.Duration) *fakeAPI {
	return &fakeAPI{pageSize: pageSize, granularity: granularity}
}

func (f *fakeAPI) add(t time.Time, n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for range n {
		f.records = append(f.records, checkpoint.Key{ID: fmt.Sprintf("r%05d", len(f.records)), Time: t})
	}
	sort.SliceStable(f.records, func(i, j int) bool { return f.records[i].Time.Before(f.records[j].Time) })
}

func (f *fakeAPI) Open(from time.Time) Query {
	f.mu.Lock()
	f.opens = append(f.opens, from)
	f.mu.Unlock()
	return &fakeQuery{api: f, from: from.Truncate(f.granularity)}
}

type fakeQuery struct {
	api  *fakeAPI
	from time.Time
	pos  int
}

func (q *fakeQuery) Next(ctx context.Context) (Page, bool, error) {
	f := q.api
	f.mu.Lock()
	f.calls++
	call, fail, block := f.calls, f.fail, f.block
	f.mu.Unlock()
	if block {
		<-ctx.Done()
		return Page{}, false, ctx.Err()
	}
	if fail != nil {
		if err := fail(call); err != nil {
			return Page{}, false, err
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var match []checkpoint.Key
	for _, r := range f.records {
		if !r.Time.Before(q.from) {
			match = append(match, r)
		}
	}
	if q.pos >= len(match) {
		return Page{Logs: plog.NewLogs()}, true, nil
	}
	end := min(q.pos+f.pageSize, len(match))
	keys := append([]checkpoint.Key(nil), match[q.pos:end]...)
	q.pos = end
	return pageOf(keys), false, nil
}

func (f *fakeAPI) callCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls
}

func pageOf(keys []checkpoint.Key) Page {
	logs := plog.NewLogs()
	lrs := logs.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
	for _, k := range keys {
		lr := lrs.AppendEmpty()
		lr.SetTimestamp(pcommon.NewTimestampFromTime(k.Time))
		lr.Attributes().PutStr("log.record.uid", k.ID)
	}
	return Page{Logs: logs, Keys: keys}
}
