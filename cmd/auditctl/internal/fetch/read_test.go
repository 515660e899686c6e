package fetch

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/secaudit/otelcol-audit/internal/checkpoint"
	"github.com/secaudit/otelcol-audit/internal/poller"
	"github.com/secaudit/otelcol-audit/internal/testsupport/logtest"
)

var t0 = time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC)

// rec is one scripted record: its ID and its offset from t0 in seconds.
type rec struct {
	id  string
	sec int
}

// script is a poller.Source whose only query returns the given pages, then done, or err
// after the pages when err is set.
type script struct {
	pages [][]rec
	err   error
	opens []time.Time
	nexts int
}

func (s *script) Open(from time.Time) poller.Query {
	s.opens = append(s.opens, from)
	return s
}

func (s *script) Next(context.Context) (poller.Page, bool, error) {
	s.nexts++
	if s.nexts > len(s.pages) {
		return poller.Page{}, s.err == nil, s.err
	}
	return page(s.pages[s.nexts-1]...), false, nil
}

// page builds a page as the receivers do: one ResourceLogs, one ScopeLogs, keys matching records.
func page(recs ...rec) poller.Page {
	p := poller.Page{Logs: plog.NewLogs()}
	rl := p.Logs.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr("tenant", "t1")
	records := rl.ScopeLogs().AppendEmpty().LogRecords()
	for _, r := range recs {
		lr := records.AppendEmpty()
		lr.Attributes().PutStr("log.record.uid", r.id)
		at := t0.Add(time.Duration(r.sec) * time.Second)
		p.Keys = append(p.Keys, checkpoint.Key{ID: r.id, Time: at})
	}
	return p
}

func TestReadKeepsTheWindowAndStopsAfterAPagePastTo(t *testing.T) {
	src := &script{pages: [][]rec{
		{{"early", -1}, {"a", 0}, {"b", 5}},
		{{"c", 10}, {"late", 11}},
		{{"never", 20}},
	}}
	res, err := Read(context.Background(), src, Window{From: t0, To: t0.Add(10 * time.Second)})
	require.NoError(t, err)
	assert.Equal(t, []string{"a", "b", "c"}, logtest.UIDs(res.Logs), "records before from (the rest of its granule) and after to are dropped")
	assert.Equal(t, 3, res.Records)
	assert.Equal(t, 2, src.nexts, "no page is fetched after one that went past to")
	assert.Equal(t, []time.Time{t0}, src.opens, "one query, opened at from")
	assert.False(t, res.Limited)
	assert.Equal(t, 2, res.Logs.ResourceLogs().Len(), "one ResourceLogs per page, as the receiver delivers them")
	tenant, _ := res.Logs.ResourceLogs().At(1).Resource().Attributes().Get("tenant")
	assert.Equal(t, "t1", tenant.Str(), "the resource comes with the records")
}

func TestReadStopsAtTheLimit(t *testing.T) {
	src := &script{pages: [][]rec{{{"a", 0}, {"b", 1}, {"c", 2}}, {{"d", 3}, {"e", 4}, {"f", 5}}, {{"g", 6}}}}
	res, err := Read(context.Background(), src, Window{From: t0, Limit: 4})
	require.NoError(t, err)
	assert.Equal(t, []string{"a", "b", "c", "d"}, logtest.UIDs(res.Logs))
	assert.Equal(t, 2, src.nexts)
	assert.True(t, res.Limited, "records were left behind")
}

func TestReadAtTheLimitAndPastToIsNotLimited(t *testing.T) {
	src := &script{pages: [][]rec{{{"a", 0}, {"b", 1}, {"late", 9}}}}
	res, err := Read(context.Background(), src, Window{From: t0, To: t0.Add(5 * time.Second), Limit: 2})
	require.NoError(t, err)
	assert.Equal(t, []string{"a", "b"}, logtest.UIDs(res.Logs))
	assert.False(t, res.Limited, "nothing inside the window was left")
}

func TestReadDropsRepeatedIDs(t *testing.T) {
	src := &script{pages: [][]rec{{{"a", 0}, {"b", 1}}, {{"b", 1}, {"c", 2}}}}
	res, err := Read(context.Background(), src, Window{From: t0})
	require.NoError(t, err)
	assert.Equal(t, []string{"a", "b", "c"}, logtest.UIDs(res.Logs))
	assert.Equal(t, 1, res.Duplicates)
	assert.Equal(t, 2, res.Pages)
	assert.False(t, res.Limited, "the query was caught up")
}

func TestReadMaxPages(t *testing.T) {
	src := &script{pages: [][]rec{{{"a", 0}}, {{"b", 1}}}}
	res, err := Read(context.Background(), src, Window{From: t0, MaxPages: 1})
	require.NoError(t, err)
	assert.Equal(t, []string{"a"}, logtest.UIDs(res.Logs))
	assert.Equal(t, 1, src.nexts)
	assert.True(t, res.Limited)
}

func TestReadReturnsWhatItKeptWithTheError(t *testing.T) {
	boom := errors.New("results: HTTP 503 Service Unavailable")
	src := &script{pages: [][]rec{{{"a", 0}}}, err: boom}
	res, err := Read(context.Background(), src, Window{From: t0})
	require.ErrorIs(t, err, boom)
	assert.Equal(t, []string{"a"}, logtest.UIDs(res.Logs))
}

func TestReadRefusesAPageWhoseKeysDoNotMatch(t *testing.T) {
	bad := page(rec{"a", 0}, rec{"b", 1})
	bad.Keys = bad.Keys[:1]
	src := &badPage{p: bad}
	_, err := Read(context.Background(), src, Window{From: t0})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "2 log records with 1 keys")
}

type badPage struct{ p poller.Page }

func (b *badPage) Open(time.Time) poller.Query { return b }
func (b *badPage) Next(context.Context) (poller.Page, bool, error) {
	return b.p, false, nil
}
