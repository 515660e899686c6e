package xsoarauditreceiver

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/receiver/receivertest"

	"github.com/secaudit/otelcol-audit/internal/httpapi"
	"github.com/secaudit/otelcol-audit/internal/poller"
	"github.com/secaudit/otelcol-audit/receiver/xsoarauditreceiver/internal/metadata"
)

// testSource builds the source straight on the fake tenant, without the engine.
func testSource(t *testing.T, f *fakeXSOAR, mutate func(*Config)) *source {
	t.Helper()
	cfg := testConfig(t, f, 0)
	if mutate != nil {
		mutate(cfg)
	}
	origin, err := url.Parse(f.url())
	require.NoError(t, err)
	retry := configretry.NewDefaultBackOffConfig()
	retry.Enabled = false
	api := httpapi.New(httpapi.Settings{HTTP: f.srv.Client(), Retry: retry})
	src, err := newSource(cfg, origin, api, receivertest.NewNopSettings(metadata.Type))
	require.NoError(t, err)
	return src.(*source)
}

func drain(t *testing.T, q poller.Query) (pages []poller.Page) {
	t.Helper()
	for range 1000 {
		p, done, err := q.Next(t.Context())
		require.NoError(t, err)
		if done {
			return pages
		}
		pages = append(pages, p)
	}
	t.Fatal("the query never ended")
	return nil
}

func TestRequestBody(t *testing.T) {
	q := &query{s: &source{pageSize: 100}, gte: 1744456200000, lte: 1744456500000, offset: 200}
	assert.JSONEq(t, `{"request_data":{"filters":[{"field":"timestamp","operator":"gte","value":1744456200000},`+
		`{"field":"timestamp","operator":"lte","value":1744456500000}],"search_from":200,"search_to":300,`+
		`"sort":{"field":"timestamp","keyword":"asc"}}}`, string(q.requestBody()))
}

func TestOpenFreezesUpperBound(t *testing.T) {
	f := newFakeXSOAR(t, true)
	src := testSource(t, f, func(c *Config) { c.SettleDelay = 5 * time.Second })
	now := time.UnixMilli(1744456500000)
	src.now = func() time.Time { return now }

	// from is inside the settle delay, by a clock the tenant's Date has not confirmed yet (it
	// may run ahead of ours): one request for from's millisecond alone, nothing else.
	from := now.Add(-2 * time.Second)
	drain(t, src.Open(from))
	require.Len(t, f.log(), 1)
	assert.Equal(t, from.UnixMilli(), f.log()[0].GTE)
	assert.Equal(t, from.UnixMilli(), f.log()[0].LTE)

	// from is older: the window ends settle_delay before now, in milliseconds.
	f.add(1, now.Add(-10*time.Second).UnixMilli(), now.Add(-6*time.Second).UnixMilli(), now.Add(-4*time.Second).UnixMilli())
	pages := drain(t, src.Open(now.Add(-time.Minute+time.Nanosecond)))
	require.Len(t, pages, 1)
	assert.Equal(t, []string{"1", "2"}, []string{pages[0].Keys[0].ID, pages[0].Keys[1].ID}, "the record inside the settle delay waits")
	require.Len(t, f.log(), 2)
	assert.Equal(t, now.Add(-time.Minute).UnixMilli(), f.log()[1].GTE, "from is floored to the millisecond")
	assert.Equal(t, now.Add(-5*time.Second).UnixMilli(), f.log()[1].LTE)

	// Once the tenant's clock is known, a window that cannot hold anything asks nothing.
	clock := new(httpapi.VendorClock)
	clock.Observe(http.Header{"Date": {now.UTC().Format(http.TimeFormat)}}, now)
	src.api = httpapi.New(httpapi.Settings{HTTP: f.srv.Client(), VendorClock: clock})
	q := src.Open(now.Add(-2 * time.Second))
	_, done, err := q.Next(t.Context())
	require.NoError(t, err)
	assert.True(t, done)
	assert.Len(t, f.log(), 2)
}

func TestRekeyOnlyWhenTimeMoved(t *testing.T) {
	f := newFakeXSOAR(t, true)
	src := testSource(t, f, nil)
	base := pastMs()
	f.add(1, same(base, 1500)...)
	pages := drain(t, src.Open(time.UnixMilli(base)))
	// Every record shares the window's first millisecond: no re-key, 15 pages by offset.
	require.Len(t, pages, 15)
	for i, l := range f.log() {
		assert.Equal(t, base, l.GTE)
		assert.Equal(t, i*100, l.SearchFrom)
	}
}

func TestStopsOnTotalCount(t *testing.T) {
	f := newFakeXSOAR(t, true)
	src := testSource(t, f, nil)
	base := pastMs()
	f.add(1, spaced(base, 300, 1)...)
	pages := drain(t, src.Open(time.UnixMilli(base)))
	require.Len(t, pages, 3)
	assert.Len(t, f.log(), 3, "offset reached total_count: no request for an empty page")
}

func TestSmallPageSize(t *testing.T) {
	f := newFakeXSOAR(t, false)
	src := testSource(t, f, func(c *Config) { c.PageSize = 7 })
	base := pastMs()
	f.add(1, spaced(base, 20, 1)...)
	pages := drain(t, src.Open(time.UnixMilli(base)))
	require.Len(t, pages, 3)
	for i, l := range f.log() {
		assert.Equal(t, i*7, l.SearchFrom)
		assert.Equal(t, i*7+7, l.SearchTo)
	}
}

// A report a fraction of a millisecond past the query's upper bound is not returned by that
// query (the bound compares with the exact time); the checkpoint stops at the bound, so the
// next query, which starts there, returns it.
func TestAgentsReportFractionPastTheUpperBound(t *testing.T) {
	f := newFakeXSOAR(t, true)
	src := testSource(t, f, func(c *Config) {
		c.LogType, c.Path, c.SettleDelay = logTypeAgentsReports, agentsReportsPath, 0
	})
	bound := pastMs()
	now := time.UnixMilli(bound)
	src.now = func() time.Time { return now }
	ids := f.addReports(bound*1000-250, bound*1000, bound*1000+500)

	q := src.Open(time.UnixMilli(bound - 1000))
	pages := drain(t, q)
	require.Len(t, pages, 1)
	assert.Equal(t, ids[:2], keyIDs(pages[0].Keys), "the report at bound.5 waits")
	assert.Equal(t, time.UnixMilli(bound), q.(*query).UpperBound())

	now = now.Add(time.Second)
	pages = drain(t, src.Open(q.(*query).UpperBound()))
	require.Len(t, pages, 1)
	assert.Equal(t, ids[1:], keyIDs(pages[0].Keys), "read from the bound: the engine drops the one it delivered")
}

func TestAgentsReportsCallLabel(t *testing.T) {
	f := newFakeXSOAR(t, false)
	src := testSource(t, f, func(c *Config) { c.LogType, c.Path = logTypeAgentsReports, agentsReportsPath })
	f.fault = func(int, auditRequest) *fakeResponse { return &fakeResponse{status: http.StatusNotFound} }
	_, _, err := src.Open(time.UnixMilli(pastMs())).Next(t.Context())
	var se *httpapi.StatusError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, "agents_reports", se.Op, "metrics and logs name the call")
}
