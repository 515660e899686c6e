package poller

import (
	"context"
	"sync"
)

// reader fetches the next page of a query while the engine delivers the current one, so that
// the API's latency and the pipeline's work overlap instead of adding up. It never runs more
// than one page ahead: memory stays bounded by two pages whatever the backlog.
type reader struct {
	pages  chan result
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

type result struct {
	page Page
	done bool
	err  error
}

func startReader(ctx context.Context, q Query) *reader {
	ctx, cancel := context.WithCancel(ctx)
	r := &reader{pages: make(chan result), cancel: cancel}
	r.wg.Go(func() {
		for {
			page, done, err := q.Next(ctx)
			select {
			case r.pages <- result{page: page, done: done, err: err}:
			case <-ctx.Done():
				return
			}
			if done || err != nil {
				return
			}
		}
	})
	return r
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

// stop ends the fetch goroutine and waits for it.
func (r *reader) stop() {
	r.cancel()
	r.wg.Wait()
}
