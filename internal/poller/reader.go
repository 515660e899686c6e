package poller

import (
	"context"
	"sync"
	"time"
)

// reader runs a query as a pipeline of three steps, each on its own goroutine: fetch page k+2
// from the API, decode page k+1, deliver page k (the engine's loop). The API's latency, the
// conversion and the pipeline's work then overlap instead of adding up, while the pages still
// reach the engine in order. Unbuffered channels keep at most three pages in memory, whatever
// the backlog; and every page fetched holds one of the process's leases until delivered, so
// that many receivers together hold a bounded number.
type reader struct {
	pages  chan result
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

type result struct {
	page Page
	done bool
	err  error
	// read is when the response arrived: the vendor cannot have added a record dated later.
	read time.Time
}

func startReader(ctx context.Context, q Query, now func() time.Time) *reader {
	return startReaderWith(ctx, q, now, processLeases)
}

func startReaderWith(ctx context.Context, q Query, now func() time.Time, leases *leases) *reader {
	ctx, cancel := context.WithCancel(ctx)
	r := &reader{pages: make(chan result), cancel: cancel}
	fetched := make(chan result)
	r.wg.Go(func() { // fetch: requests are sequential, each may need the previous cursor
		defer close(fetched)
		for {
			page, done, err := q.Next(ctx)
			read := now()
			if err == nil && !done { // the next request waits until this page has its lease
				if page.lease, err = leases.acquire(ctx); err != nil {
					return
				}
			}
			if !send(ctx, fetched, result{page: page, done: done, err: err, read: read}) {
				page.lease.release()
				return
			}
			if done || err != nil {
				return
			}
		}
	})
	r.wg.Go(func() { // decode, while the next request is in flight
		for res := range fetched {
			if res.err == nil && !res.done && res.page.Decode != nil {
				ls := res.page.lease
				if res.page, res.err = res.page.Decoded(); res.err != nil {
					ls.release()
				} else {
					res.page.lease = ls
				}
			}
			if !send(ctx, r.pages, res) {
				res.page.lease.release()
				return
			}
			if res.done || res.err != nil {
				return
			}
		}
	})
	return r
}

// send hands res on, unless ctx ends first.
func send(ctx context.Context, ch chan<- result, res result) bool {
	select {
	case ch <- res:
		return true
	case <-ctx.Done():
		return false
	}
}

// next returns the next page, or the context's error when ctx ends first.
func (r *reader) next(ctx context.Context) (result, error) {
	select {
	case res := <-r.pages:
		return res, nil
	case <-ctx.Done():
		return result{}, ctx.Err()
	}
}

// stop ends the fetch and decode goroutines and waits for them.
func (r *reader) stop() {
	r.cancel()
	r.wg.Wait()
}
