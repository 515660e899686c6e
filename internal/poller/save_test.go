package poller

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/storage/storagetest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/extension"
	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/secaudit/otelcol-audit/internal/checkpoint"
	"github.com/secaudit/otelcol-audit/internal/httpapi"
	"github.com/secaudit/otelcol-audit/internal/testsupport/statustest"
)

// fullDisk is a storage extension whose writes fail while full is set, as bbolt's do on a full disk.
type fullDisk struct {
	extension.Extension
	full atomic.Bool
}

func (d *fullDisk) GetClient(ctx context.Context, kind component.Kind, id component.ID, name string) (storage.Client, error) {
	c, err := d.Extension.(storage.Extension).GetClient(ctx, kind, id, name)
	return diskClient{c, d}, err
}

type diskClient struct {
	storage.Client
	d *fullDisk
}

func (c diskClient) Batch(ctx context.Context, ops ...*storage.Operation) error {
	if c.d.full.Load() {
		return &syscallError{syscall.ENOSPC}
	}
	return c.Client.Batch(ctx, ops...)
}

type syscallError struct{ errno syscall.Errno }

func (e *syscallError) Error() string {
	return "write /var/lib/otelcol/file_storage/receiver_test_a: " + e.errno.Error()
}

// A full disk is reported once, with its cause and the storage file, while records keep flowing;
// its end is logged once too, and the position saved then covers everything delivered.
func TestFailingCheckpointSaveIsReportedOnceAndItsRecovery(t *testing.T) {
	api := newFakeAPI(10, time.Millisecond)
	h := newHarness(t, api)
	disk := &fullDisk{Extension: storagetest.NewFileBackedStorageExtension("fs", h.dir)}
	core, logs := observer.New(zap.InfoLevel)
	rs := rset()
	rs.Logger = zap.New(core)
	next := &sink{}
	p, err := New(rs, h.settings(), api, next)
	require.NoError(t, err)
	host := statustest.New(storagetest.NewStorageHost().WithExtension(h.storage, disk))
	require.NoError(t, p.Start(context.Background(), host))

	api.add(sec(1), 5)
	require.Eventually(t, func() bool { return len(next.ids()) == 5 }, 5*time.Second, time.Millisecond)
	disk.full.Store(true)
	for i := range 20 { // many pages while the disk is full
		api.add(sec(2+i), 10)
	}
	require.Eventually(t, func() bool { return len(next.ids()) == 205 }, 5*time.Second, time.Millisecond, "records keep flowing")
	failed := logs.FilterMessageSnippet("Saving the checkpoint failed").All()
	require.Len(t, failed, 1, "reported once, not per page")
	msg := failed[0].ContextMap()["error"].(string)
	assert.Contains(t, msg, "no space left on device", "the cause")
	assert.Contains(t, msg, "receiver_test_a", "the storage file")
	require.Eventually(t, func() bool {
		last := host.Last()
		return last != nil && last.Status() == componentstatus.StatusRecoverableError
	}, 5*time.Second, time.Millisecond, "a recoverable status while saving fails")
	time.Sleep(50 * time.Millisecond) // polls go on: the status stays recoverable
	assert.Equal(t, componentstatus.StatusRecoverableError, host.Last().Status())

	disk.full.Store(false)
	api.add(sec(30), 3)
	require.Eventually(t, func() bool { return logs.FilterMessageSnippet("works again").Len() == 1 }, 5*time.Second, time.Millisecond)
	require.Eventually(t, func() bool { return host.Last().Status() == componentstatus.StatusOK }, 5*time.Second, time.Millisecond)
	stop(t, p)
	cp, found := h.stored()
	require.True(t, found)
	assert.Equal(t, sec(30), cp.Time, "the position saved once the disk had room covers every delivery")
	assert.Equal(t, int64(208), cp.Delivered)
}

// The vendor's clock running 90 s ahead is logged once however many polls see it, a jitter of a
// second is not news, a change of sign is, and the clock coming back in step is logged once.
func TestVendorClockSkewIsWarnedOnceAndWhenItChanges(t *testing.T) {
	api := newFakeAPI(10, time.Millisecond)
	h := newHarness(t, api)
	set := h.settings()
	clock := new(httpapi.VendorClock)
	set.VendorClock = clock
	skew := func(d time.Duration) {
		now := time.Now()
		clock.Observe(http.Header{"Date": {now.Add(d).UTC().Format(http.TimeFormat)}}, now)
	}
	polls := func(n int) { // wait for n more polls
		before := api.callCount()
		require.Eventually(t, func() bool { return api.callCount() >= before+n }, 5*time.Second, time.Millisecond)
	}
	skew(90 * time.Second)
	p, _, logs := h.observed(set, api, &sink{})
	defer stop(t, p)
	polls(5)
	skew(91 * time.Second)
	polls(5)
	warned := logs.FilterMessageSnippet("The vendor's clock differs from ours").All()
	require.Len(t, warned, 1, "once, not per poll")
	ahead := warned[0].ContextMap()["vendor_ahead_by"].(time.Duration)
	assert.InDelta(t, 90, ahead.Seconds(), 1.5)

	skew(-30 * time.Second)
	polls(5)
	assert.Equal(t, 2, logs.FilterMessageSnippet("The vendor's clock differs from ours").Len(), "a changed skew is news")
	skew(0)
	polls(5)
	assert.Equal(t, 1, logs.FilterMessageSnippet("in step with ours again").Len())
	assert.Equal(t, 2, logs.FilterMessageSnippet("The vendor's clock differs from ours").Len())
}

// The checkpoint follows the vendor's clock: with it 90 s ahead, a record 30 s old by the
// vendor's clock (60 s ahead of ours) is not dated in the future, and the checkpoint reaches it.
func TestCheckpointFollowsTheVendorsClock(t *testing.T) {
	api := newFakeAPI(10, time.Millisecond)
	h := newHarness(t, api)
	set := h.settings()
	now := time.Now().UTC().Truncate(time.Millisecond)
	set.StartTime = now.Add(-time.Hour).Format(time.RFC3339)
	clock := new(httpapi.VendorClock)
	clock.Observe(http.Header{"Date": {now.Add(90 * time.Second).Format(http.TimeFormat)}}, now)
	set.VendorClock = clock
	vendorRecent := now.Add(60 * time.Second) // 30 s old for the vendor, 60 s ahead of us
	api.add(vendorRecent, 3)
	next := &sink{}
	p, _, logs := h.observed(set, api, next)
	require.Eventually(t, func() bool { return len(next.ids()) == 3 }, 5*time.Second, time.Millisecond)
	stop(t, p)
	cp, found := h.stored()
	require.True(t, found)
	assert.Equal(t, vendorRecent, cp.Time, "not held back at our clock")
	assert.Zero(t, logs.FilterMessageSnippet("dated in the future").Len())
}

// A query that says it cannot go on is replaced at once by one from the checkpoint, which
// re-reads what the first returned but the engine had not delivered, each record once.
func TestReopenedQueryStartsFromTheCheckpoint(t *testing.T) {
	api := newFakeAPI(10, time.Millisecond)
	api.add(sec(1), 35)
	var failed atomic.Bool
	api.fail = func(call int) error {
		if call == 3 && !failed.Swap(true) {
			return Reopen(errors.New("cursor expired"))
		}
		return nil
	}
	h := newHarness(t, api)
	next := &sink{}
	p, _, logs := h.observed(h.settings(), api, next)
	require.Eventually(t, func() bool { return len(next.ids()) == 35 }, 5*time.Second, time.Millisecond)
	time.Sleep(50 * time.Millisecond)
	stop(t, p)
	assertOnce(t, next.ids())
	assert.Len(t, next.ids(), 35)
	assert.Equal(t, 1, logs.FilterMessageSnippet("opening a new one from the checkpoint").Len())
	api.mu.Lock()
	defer api.mu.Unlock()
	require.GreaterOrEqual(t, len(api.opens), 2)
	assert.Equal(t, sec(1), api.opens[1], "the new query starts from the checkpoint, not after the last record read")
}

// A backlog read after a query that reached the live end (a restart after an outage) does not
// hold the re-read window at where that query went live: once the new query is past the
// checkpoint it opened at, the window follows the checkpoint again, and the IDs kept stay few.
func TestBacklogAfterALiveQueryDoesNotHoldTheWindowBack(t *testing.T) {
	api := newFakeAPI(100, time.Millisecond)
	h := newHarness(t, api)
	set := h.settings()
	set.Overlap = 10 * time.Second
	cp := checkpoint.New("test tenant", sec(0), time.Millisecond, set.Overlap)
	cp.Reread = sec(0)
	raw, err := json.Marshal(cp)
	require.NoError(t, err)
	h.write(checkpoint.StorageKey("test", "tenant"), raw)
	for i := range 3000 { // an old backlog, one record a second: never within the overlap of now
		api.add(sec(1+i), 1)
	}
	next := &sink{}
	p, _ := h.start(set, next)
	require.Eventually(t, func() bool { return len(next.ids()) == 3000 }, 10*time.Second, time.Millisecond)
	stop(t, p)
	stored, found := h.stored()
	require.True(t, found)
	assert.Equal(t, sec(3000), stored.Time)
	assert.Zero(t, stored.Reread, "the backlog is past where the last query went live")
	assert.LessOrEqual(t, len(stored.Recent), 11, "only the IDs within the overlap of the checkpoint")
}

// A query that cannot go on is replaced at once, but a replacement that cannot go on either
// before its first page waits for the next poll: a tenant that rejects every cursor is not
// hammered with new queries.
func TestQueryThatKeepsFailingToGoOnWaitsForTheNextPoll(t *testing.T) {
	api := newFakeAPI(10, time.Millisecond)
	api.add(sec(1), 5)
	api.fail = func(int) error { return Reopen(errors.New("cursor expired")) }
	h := newHarness(t, api)
	set := h.settings()
	set.PollInterval = 200 * time.Millisecond
	p, host, logs := h.observed(set, api, &sink{})
	time.Sleep(500 * time.Millisecond)
	stop(t, p)
	api.mu.Lock()
	opens := len(api.opens)
	api.mu.Unlock()
	assert.LessOrEqual(t, opens, 8, "at most two queries per poll interval")
	assert.GreaterOrEqual(t, opens, 2)
	assert.Positive(t, logs.FilterMessageSnippet("Polling failed").Len(), "the second failure is an error of the poll")
	assert.Equal(t, componentstatus.StatusRecoverableError, host.Last().Status())
}
