package poller

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secaudit/otelcol-audit/internal/checkpoint"
)

// lazySource serves pages whose Decode runs apart from Next, as cyberarkisp's do. Each page's
// Decode waits until the engine has started fetching the next page: an engine that fetched
// only after decoding would never get past the first page.
type lazySource struct {
	pages   [][]checkpoint.Key
	failAt  int // Decode of this page (1-based) fails; 0: none
	mu      sync.Mutex
	fetched []chan struct{} // closed when Next for page i starts
	decoded []int           // pages in the order Decode ran
}

func newLazySource(pages ...[]checkpoint.Key) *lazySource {
	s := &lazySource{pages: pages}
	for range len(pages) + 1 {
		s.fetched = append(s.fetched, make(chan struct{}))
	}
	return s
}

func (s *lazySource) Open(time.Time) Query { return &lazyQuery{s: s} }

type lazyQuery struct {
	s *lazySource
	i int
}

func (q *lazyQuery) Next(context.Context) (Page, bool, error) {
	s, i := q.s, q.i
	if i < len(s.fetched) {
		select {
		case <-s.fetched[i]: // a later query of the same source
		default:
			close(s.fetched[i])
		}
	}
	if i >= len(s.pages) {
		return Page{}, true, nil
	}
	q.i++
	return Page{Decode: func() (Page, error) {
		s.mu.Lock()
		s.decoded = append(s.decoded, i)
		s.mu.Unlock()
		select {
		case <-s.fetched[i+1]:
		case <-time.After(5 * time.Second):
			return Page{}, fmt.Errorf("page %d: the next fetch did not start while this page was decoded", i)
		}
		if i+1 == s.failAt {
			return Page{}, errors.New("malformed page")
		}
		return pageOf(s.pages[i]), nil
	}}, false, nil
}

func keysAt(s int, ids ...string) []checkpoint.Key {
	keys := make([]checkpoint.Key, len(ids))
	for i, id := range ids {
		keys[i] = checkpoint.Key{ID: id, Time: sec(s + i)}
	}
	return keys
}

func TestNextPageIsFetchedWhileThisOneDecodes(t *testing.T) {
	src := newLazySource(keysAt(1, "a", "b"), keysAt(3, "c", "d"), keysAt(5, "e"))
	h := newHarness(t, newFakeAPI(10, time.Second))
	s := &sink{}
	p, _ := h.startSource(h.settings(), src, s)
	require.Eventually(t, func() bool { return len(s.ids()) == 5 }, 5*time.Second, time.Millisecond)
	stop(t, p)
	assert.Equal(t, []string{"a", "b", "c", "d", "e"}, s.ids(), "delivered in page order")
	src.mu.Lock()
	defer src.mu.Unlock()
	assert.Equal(t, []int{0, 1, 2}, src.decoded[:3], "decoded once each, in page order")
}

// A page whose Decode fails is a failed page: the checkpoint stays after the page before it.
func TestAPageThatFailsToDecodeMovesNothing(t *testing.T) {
	src := newLazySource(keysAt(1, "a", "b"), keysAt(3, "c", "d"), keysAt(5, "e"))
	src.failAt = 2
	h := newHarness(t, newFakeAPI(10, time.Second))
	s := &sink{}
	set := h.settings()
	set.PollInterval = time.Hour // one poll only
	p, _ := h.startSource(set, src, s)
	require.Eventually(t, func() bool { return len(s.ids()) == 2 }, 5*time.Second, time.Millisecond)
	time.Sleep(50 * time.Millisecond) // page 3 is fetched, but must not be delivered past the failure
	stop(t, p)
	assert.Equal(t, []string{"a", "b"}, s.ids())
	cp, found := h.stored()
	require.True(t, found)
	assert.Equal(t, sec(2), cp.Time, "the checkpoint stays after the last page delivered")
}
