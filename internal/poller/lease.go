package poller

import (
	"context"
	"runtime"
	"sync"
	"time"
)

// leases bound the pages that the receivers of a process hold at once. A page takes a lease as
// soon as Next returned it, before its reader asks for the next one, and gives it back when the
// next consumer has taken it; a page waiting for a lease holds up only its own receiver's next
// request. Without them, a hundred receivers catching up together each held two or three pages
// fetched and decoded while their engines waited on a shared exporter and the checkpoints'
// fsync, and decoded them all at once on two CPUs: the heap peaked near 190 MB.
//
// A lease is never taken across an API call, so a tenant that throttles or hangs holds none;
// and it ends by itself after hold, so a page stuck in a stalled pipeline (an exporter that
// refuses, a backend down) keeps the others waiting for no longer than that, once.
type leases struct {
	slots chan struct{}
	hold  time.Duration
}

func newLeases(n int, hold time.Duration) *leases {
	return &leases{slots: make(chan struct{}, n), hold: hold}
}

// processLeases are the leases of every receiver of this process: three pages for each CPU Go
// runs on, as one receiver alone needs three (one delivered, one decoded, one fetched).
var processLeases = newLeases(3*runtime.GOMAXPROCS(0), time.Second)

// lease is one page's share of the budget.
type lease struct {
	once sync.Once
	l    *leases
}

// acquire waits for a lease, unless ctx ends first.
func (l *leases) acquire(ctx context.Context) (*lease, error) {
	select {
	case l.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	ls := &lease{l: l}
	time.AfterFunc(l.hold, ls.release)
	return ls, nil
}

// release gives the lease back; again, or on nil, it does nothing.
func (ls *lease) release() {
	if ls == nil {
		return
	}
	ls.once.Do(func() { <-ls.l.slots })
}
