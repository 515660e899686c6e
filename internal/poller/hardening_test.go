package poller

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/storage/storagetest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/secaudit/otelcol-audit/internal/checkpoint"
	"github.com/secaudit/otelcol-audit/internal/testsupport/statustest"
)

// observed starts a poller whose log is recorded.
func (h *harness) observed(set Settings, src Source, next *sink) (*Poller, *statustest.Host, *observer.ObservedLogs) {
	h.t.Helper()
	core, logs := observer.New(zap.InfoLevel)
	rs := rset()
	rs.Logger = zap.New(core)
	p, err := New(rs, set, src, next)
	require.NoError(h.t, err)
	host := statustest.New(storagetest.NewStorageHost().WithFileBackedStorageExtension("fs", h.dir))
	require.NoError(h.t, p.Start(context.Background(), host))
	return p, host, logs
}

// write stores raw under key in the harness's storage, as another release or a damaged disk left it.
func (h *harness) write(key string, raw []byte) {
	h.t.Helper()
	ctx := context.Background()
	client, err := checkpoint.Client(ctx, storagetest.NewStorageHost().WithFileBackedStorageExtension("fs", h.dir), &h.storage, rset().ID)
	require.NoError(h.t, err)
	require.NoError(h.t, client.Batch(ctx, storage.SetOperation(key, raw)))
	require.NoError(h.t, client.Close(ctx))
}

func (h *harness) get(key string) []byte {
	h.t.Helper()
	ctx := context.Background()
	client, err := checkpoint.Client(ctx, storagetest.NewStorageHost().WithFileBackedStorageExtension("fs", h.dir), &h.storage, rset().ID)
	require.NoError(h.t, err)
	defer func() { require.NoError(h.t, client.Close(ctx)) }()
	raw, err := client.Get(ctx, key)
	require.NoError(h.t, err)
	return raw
}

// messages is the observed log, one line per entry with its fields.
func messages(logs *observer.ObservedLogs) string {
	var b strings.Builder
	for _, e := range logs.All() {
		fmt.Fprintln(&b, e.Message, e.ContextMap())
	}
	return b.String()
}

// Point 2: one record dated 2100 is delivered once, the checkpoint stays at the time its page
// was read, and the records that arrive after it are still read.
func TestFutureRecordDoesNotMoveTheCheckpointPastNow(t *testing.T) {
	now := time.Now().UTC().Truncate(time.Second)
	api := newFakeAPI(10, time.Second)
	api.add(now.Add(-time.Minute), 2)
	api.records = append(api.records, checkpoint.Key{ID: "from-2100", Time: time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)})
	h := newHarness(t, api)
	s := &sink{}
	set := h.settings()
	p, _, logs := h.observed(set, api, s)
	require.Eventually(t, func() bool { return len(s.ids()) == 3 }, 5*time.Second, time.Millisecond)

	// Records the vendor adds after the bogus one, dated now: a checkpoint in 2100 would skip them.
	api.mu.Lock()
	api.records = append(api.records[:2], checkpoint.Key{ID: "later", Time: time.Now().UTC()}, api.records[2])
	api.mu.Unlock()
	require.Eventually(t, func() bool { return len(s.ids()) == 4 }, 5*time.Second, time.Millisecond)
	api.mu.Lock()
	opens := len(api.opens)
	api.mu.Unlock()
	require.Eventually(t, func() bool { api.mu.Lock(); defer api.mu.Unlock(); return len(api.opens) > opens+2 }, 5*time.Second, time.Millisecond)
	stop(t, p)

	assert.Equal(t, []string{"r00000", "r00001", "from-2100", "later"}, s.ids(), "the future record is delivered once, across later polls")
	cp, found := h.stored()
	require.True(t, found)
	assert.WithinDuration(t, time.Now(), cp.Time, 10*time.Second, "the checkpoint stays at the time the page was read")
	assert.Contains(t, messages(logs), "Records are dated in the future")
}

// Point 2: a checkpoint that an earlier release moved into the future is pulled back to now at
// start, with an error naming the time found, and the records the vendor adds from then on are read.
func TestStoredFutureCheckpointIsClampedAtStart(t *testing.T) {
	api := newFakeAPI(10, time.Millisecond)
	h := newHarness(t, api)
	future := checkpoint.New("test tenant", time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC), time.Second, 0)
	h.write(checkpoint.StorageKey("test", "tenant"), mustJSON(t, &future))
	s := &sink{}
	p, _, logs := h.observed(h.settings(), api, s)
	time.Sleep(20 * time.Millisecond)
	api.add(time.Now(), 1) // a record the future checkpoint would hide
	require.Eventually(t, func() bool { return len(s.ids()) == 1 }, 5*time.Second, time.Millisecond)
	stop(t, p)
	e := logs.FilterMessageSnippet("stored checkpoint lies in the future").All()
	require.Len(t, e, 1)
	assert.Equal(t, zap.ErrorLevel, e[0].Level)
	assert.Contains(t, fmt.Sprint(e[0].ContextMap()["checkpoint_found"]), "9999-01-01")
}

// Point 2: a bounded query (XSOAR's frozen upper bound) keeps the checkpoint at its bound.
func TestCheckpointStaysWithinTheQueryBound(t *testing.T) {
	bound := time.Now().Add(-time.Hour).UTC().Truncate(time.Millisecond)
	api := newFakeAPI(10, time.Millisecond)
	api.add(bound.Add(-time.Second), 1)
	api.add(bound.Add(30*time.Minute), 1) // beyond the bound: the vendor can still add records before it
	h := newHarness(t, api)
	s := &sink{}
	p, _ := h.startSource(h.settings(), boundedAPI{api, bound}, s)
	require.Eventually(t, func() bool { return len(s.ids()) == 2 }, 5*time.Second, time.Millisecond)
	stop(t, p)
	cp, _ := h.stored()
	assert.Equal(t, bound, cp.Time)
}

type boundedAPI struct {
	*fakeAPI
	bound time.Time
}

func (b boundedAPI) Open(from time.Time) Query { return boundedQuery{b.fakeAPI.Open(from), b.bound} }

type boundedQuery struct {
	Query
	bound time.Time
}

func (q boundedQuery) UpperBound() time.Time { return q.bound }

// Point 8: a vendor that serves the same page of delivered records forever does not hold the
// receiver: the query is ended with a warning and the next poll opens a new one.
func TestEndlessQueryOfDeliveredRecordsIsEnded(t *testing.T) {
	src := &loopingAPI{keys: []checkpoint.Key{{ID: "a", Time: sec(1)}, {ID: "b", Time: sec(1)}}}
	h := newHarness(t, newFakeAPI(10, time.Second))
	s := &sink{}
	set := h.settings()
	set.MaxEventsPerPoll = 1 << 30
	p, _, logs := h.observed(set, src, s)
	require.Eventually(t, func() bool { return src.opened() >= 2 }, 5*time.Second, time.Millisecond, "a new query is opened")
	stop(t, p)
	assert.Equal(t, []string{"a", "b"}, s.ids())
	assert.Contains(t, messages(logs), "ending it, the next poll starts again from the checkpoint")
	// One page delivered, repeatPages+1 repeated, and at most two fetched ahead when it ended.
	assert.LessOrEqual(t, src.servedBeforeSecondOpen(), 1+repeatPages+1+2, "the first query ends after repeatPages repeated pages")
}

// loopingAPI returns the same page on every call and never ends a query.
type loopingAPI struct {
	keys  []checkpoint.Key
	mu    sync.Mutex
	opens int
	calls int
	// callsAt are the calls served when each query opened.
	callsAt []int
}

func (l *loopingAPI) Open(time.Time) Query {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.opens++
	l.callsAt = append(l.callsAt, l.calls)
	return loopingQuery{l}
}

func (l *loopingAPI) opened() int { l.mu.Lock(); defer l.mu.Unlock(); return l.opens }
func (l *loopingAPI) servedBeforeSecondOpen() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.callsAt[1]
}

type loopingQuery struct{ l *loopingAPI }

func (q loopingQuery) Next(context.Context) (Page, bool, error) {
	q.l.mu.Lock()
	q.l.calls++
	q.l.mu.Unlock()
	return pageOf(append([]checkpoint.Key(nil), q.l.keys...)), false, nil
}

// Point 12: an unreadable checkpoint stops only its receiver: Start succeeds, the status is a
// permanent error naming the storage extension, the key and what to delete, and nothing is read.
func TestCorruptCheckpointStopsOnlyThisReceiver(t *testing.T) {
	api := newFakeAPI(10, time.Second)
	api.add(sec(1), 1)
	h := newHarness(t, api)
	key := checkpoint.StorageKey("test", "tenant")
	h.write(key, []byte("{not json"))
	p, host, _ := h.observed(h.settings(), api, &sink{})
	ev := host.Last()
	require.NotNil(t, ev)
	assert.Equal(t, componentstatus.StatusPermanentError, ev.Status())
	for _, want := range []string{key, h.storage.String(), "receiver_test_a", "not valid JSON"} {
		assert.ErrorContains(t, ev.Err(), want)
	}
	time.Sleep(50 * time.Millisecond)
	api.mu.Lock()
	assert.Zero(t, api.calls, "nothing is read past an unreadable checkpoint")
	api.mu.Unlock()
	stop(t, p)
	assert.Equal(t, []byte("{not json"), h.get(key), "the damaged document is left for the user to inspect")
}

// Point 1: a checkpoint written under an earlier release's key is found, moved to the current
// key, and the old key removed, in one batch.
func TestLegacyCheckpointIsMovedToTheCurrentKey(t *testing.T) {
	api := newFakeAPI(10, time.Second)
	api.add(sec(1), 2)
	api.add(sec(3), 1)
	h := newHarness(t, api)
	old := checkpoint.New("old", sec(1), time.Second, 0)
	old.Advance([]checkpoint.Key{{ID: "r00000", Time: sec(1)}, {ID: "r00001", Time: sec(1)}}, sec(1))
	legacy := checkpoint.StorageKey("test", "tenant", "key-id-7")
	h.write(legacy, mustJSON(t, &old))
	set := h.settings()
	set.LegacySources = [][]string{{"test", "tenant", "key-id-7"}}
	s := &sink{}
	p, _, logs := h.observed(set, api, s)
	require.Eventually(t, func() bool { return len(s.ids()) == 1 }, 5*time.Second, time.Millisecond)
	stop(t, p)
	assert.Equal(t, []string{"r00002"}, s.ids(), "resumes from the old checkpoint: nothing repeated, nothing skipped")
	assert.Nil(t, h.get(legacy), "the old key is gone")
	cp, found := h.stored()
	require.True(t, found)
	assert.Equal(t, sec(3), cp.Time)
	assert.Equal(t, "test tenant", cp.Source)
	assert.Contains(t, messages(logs), "kept under another key")
}

// Point 1: a receiver that finds no checkpoint for its source, while its storage holds one for
// another source, says what changed.
func TestChangedSourceWarnsWhatChanged(t *testing.T) {
	api := newFakeAPI(10, time.Second)
	api.add(sec(1), 1)
	h := newHarness(t, api)
	set := h.settings()
	set.Source = []string{"test", "endpoint=tenant-a", "codes=IDP,PAM"}
	s := &sink{}
	p, _ := h.start(set, s)
	require.Eventually(t, func() bool { return len(s.ids()) == 1 }, 5*time.Second, time.Millisecond)
	stop(t, p)

	set.Source = []string{"test", "endpoint=tenant-a", "codes=PAM"}
	p, _, logs := h.observed(set, api, &sink{})
	stop(t, p)
	e := logs.FilterMessageSnippet("holds checkpoints for other sources").All()
	require.Len(t, e, 1)
	assert.Equal(t, zap.WarnLevel, e[0].Level)
	assert.Equal(t, []any{"codes"}, e[0].ContextMap()["changed"])
	assert.Equal(t, []any{"test endpoint=tenant-a codes=IDP,PAM"}, e[0].ContextMap()["stored_sources"])
}

func mustJSON(t *testing.T, cp *checkpoint.Checkpoint) []byte {
	t.Helper()
	raw, err := json.Marshal(cp)
	require.NoError(t, err)
	return raw
}
