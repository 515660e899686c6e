package poller

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// countingQuery serves pages forever and counts what it did: pages fetched, and decoded (for a
// lazy query, in Decode; for an eager one, in Next, as xsoaraudit does). block makes Next wait
// for its context, as a request to a tenant that hangs does.
type countingQuery struct {
	lazy    bool
	block   bool
	fetched atomic.Int32
	decoded *atomic.Int32 // shared by the queries of one test
}

func (q *countingQuery) Next(ctx context.Context) (Page, bool, error) {
	if q.block {
		<-ctx.Done()
		return Page{}, false, ctx.Err()
	}
	q.fetched.Add(1)
	keys := keysAt(int(q.fetched.Load()), "x")
	if !q.lazy {
		q.decoded.Add(1)
		return pageOf(keys), false, nil
	}
	return Page{Decode: func() (Page, error) {
		q.decoded.Add(1)
		return pageOf(keys), nil
	}}, false, nil
}

func startCounting(t *testing.T, l *leases, queries ...*countingQuery) []*reader {
	t.Helper()
	var readers []*reader
	for _, q := range queries {
		r := startReaderWith(t.Context(), q, time.Now, l)
		t.Cleanup(r.stop)
		readers = append(readers, r)
	}
	return readers
}

// anyPage returns the page of a reader that has one ready.
func anyPage(t *testing.T, readers []*reader) result {
	t.Helper()
	for {
		for _, r := range readers {
			select {
			case res := <-r.pages:
				return res
			default:
			}
		}
		select {
		case <-t.Context().Done():
			t.Fatal("no reader has a page")
		case <-time.After(time.Millisecond):
		}
	}
}

// settled waits until n stays the same for a while, and returns it.
func settled(n *atomic.Int32) int32 {
	last := n.Load()
	for {
		time.Sleep(50 * time.Millisecond)
		if now := n.Load(); now == last {
			return now
		} else {
			last = now
		}
	}
}

// Readers that work ahead of their engines decode no more pages, all together, than the
// process has leases; a page delivered gives its lease to the next. A query that decodes in
// Next (eager) decodes one more page each, which then waits for a lease before the next fetch.
func TestLeasesBoundThePagesDecodedAcrossReaders(t *testing.T) {
	for _, lazy := range []bool{true, false} {
		var decoded atomic.Int32
		var queries []*countingQuery
		for range 6 {
			queries = append(queries, &countingQuery{lazy: lazy, decoded: &decoded})
		}
		l := newLeases(3, time.Hour)
		readers := startCounting(t, l, queries...)
		most := int32(3)
		if !lazy {
			most = 3 + 6
		}
		n := settled(&decoded)
		require.LessOrEqual(t, n, most, "lazy=%v: six readers, three leases", lazy)

		res := anyPage(t, readers)
		require.NotNil(t, res.page.lease)
		n = settled(&decoded)
		assert.LessOrEqual(t, n, most, "lazy=%v: a page the engine holds keeps its lease", lazy)
		// Which reader's page takes the freed lease is up to the scheduler, and that reader may
		// still be handing its previous page over: what is certain is that a waiting page takes it.
		res.page.lease.release()
		assert.Eventually(t, func() bool { return len(l.slots) == 3 }, 5*time.Second, time.Millisecond,
			"lazy=%v: a page delivered frees its lease for a page waiting for one", lazy)
	}
}

// A lease ends by itself: a page stuck with a consumer that never takes it holds the others
// up for no longer than hold.
func TestLeaseEndsAfterHold(t *testing.T) {
	var decoded atomic.Int32
	l := newLeases(1, 100*time.Millisecond)
	readers := startCounting(t, l, &countingQuery{lazy: true, decoded: &decoded})
	_, err := readers[0].next(t.Context()) // taken, never delivered
	require.NoError(t, err)
	other := startCounting(t, l, &countingQuery{lazy: true, decoded: &decoded})[0]
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
	defer cancel()
	start := time.Now()
	_, err = other.next(ctx)
	require.NoError(t, err, "the stuck page's lease ends")
	assert.GreaterOrEqual(t, time.Since(start), 50*time.Millisecond, "not before it ends")
}

// A request that hangs holds no lease: the other tenants' readers take them all.
func TestAHangingRequestHoldsNoLease(t *testing.T) {
	var decoded atomic.Int32
	l := newLeases(1, time.Hour)
	hanging := &countingQuery{block: true, decoded: &decoded}
	healthy := &countingQuery{lazy: true, decoded: &decoded}
	readers := startCounting(t, l, hanging, healthy)
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	for range 5 {
		res, err := readers[1].next(ctx)
		require.NoError(t, err, "the healthy reader gets its pages")
		res.page.lease.release()
	}
}

// Many readers delivering concurrently, then closing their queries, all finish.
func TestLeasesUnderConcurrentDelivery(t *testing.T) {
	var decoded atomic.Int32
	l := newLeases(2, time.Hour)
	var queries []*countingQuery
	for i := range 8 {
		queries = append(queries, &countingQuery{lazy: i%2 == 0, decoded: &decoded})
	}
	readers := startCounting(t, l, queries...)
	var wg sync.WaitGroup
	for _, r := range readers {
		wg.Go(func() {
			for range 20 {
				res, err := r.next(t.Context())
				if !assert.NoError(t, err) {
					return
				}
				assert.LessOrEqual(t, len(l.slots), 2)
				res.page.lease.release()
			}
			r.stop() // as the engine closes a query: the pages read ahead give their leases back
		})
	}
	wg.Wait()
}
