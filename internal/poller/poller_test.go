package poller

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/storage/storagetest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/receivertest"
	"go.uber.org/goleak"

	"github.com/secaudit/otelcol-audit/internal/checkpoint"
	"github.com/secaudit/otelcol-audit/internal/testsupport/logtest"
	"github.com/secaudit/otelcol-audit/internal/testsupport/statustest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var (
	testType = component.MustNewType("test")
	t0       = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
)

// settings returns receiver settings with a stable ID, as a restarted collector has.
func rset() receiver.Settings {
	s := receivertest.NewNopSettings(testType)
	s.ID = component.NewIDWithName(testType, "a")
	return s
}

func sec(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }

// sink records what the consumer accepted; fail decides the answer to each call (nil: accept).
type sink struct {
	mu       sync.Mutex
	accepted []string
	calls    int
	fail     func(call int) error
}

func (s *sink) ConsumeLogs(_ context.Context, ld plog.Logs) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	if s.fail != nil {
		if err := s.fail(s.calls); err != nil {
			return err
		}
	}
	s.accepted = append(s.accepted, logtest.UIDs(ld)...)
	return nil
}

func (s *sink) ids() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.accepted...)
}

type harness struct {
	t       *testing.T
	dir     string
	api     *fakeAPI
	storage component.ID
}

func newHarness(t *testing.T, api *fakeAPI) *harness {
	t.Helper()
	return &harness{t: t, dir: t.TempDir(), api: api, storage: storagetest.NewStorageID("fs")}
}

func (h *harness) settings() Settings {
	return Settings{
		Config: Config{
			StartTime:        "2026-11-23 10:00:00",
			PollInterval:     20 * time.Millisecond,
			MaxEventsPerPoll: 1000,
			StorageID:        &h.storage,
			Retry:            configretry.BackOffConfig{InitialInterval: time.Millisecond, MaxInterval: 5 * time.Millisecond, Multiplier: 2},
		},
		Granularity: h.api.granularity,
		Source:      []string{"test", "tenant"},
	}
}

// start runs a new poller (as a restarted collector would) over the harness's storage directory.
func (h *harness) start(set Settings, next consumer.Logs) (*Poller, *statustest.Host) {
	h.t.Helper()
	return h.startSource(set, h.api, next)
}

// startSource is start with another source than the harness's fake API.
func (h *harness) startSource(set Settings, src Source, next consumer.Logs) (*Poller, *statustest.Host) {
	h.t.Helper()
	p, err := New(rset(), set, src, next)
	require.NoError(h.t, err)
	host := statustest.New(storagetest.NewStorageHost().WithFileBackedStorageExtension("fs", h.dir))
	require.NoError(h.t, p.Start(context.Background(), host))
	return p, host
}

// stored reads the persisted checkpoint, as the next start will.
func (h *harness) stored() (checkpoint.Checkpoint, bool) {
	h.t.Helper()
	ctx := context.Background()
	host := storagetest.NewStorageHost().WithFileBackedStorageExtension("fs", h.dir)
	client, err := checkpoint.Client(ctx, host, &h.storage, rset().ID)
	require.NoError(h.t, err)
	store := checkpoint.NewStore(client, checkpoint.StorageKey("test", "tenant"), "test tenant")
	defer func() { require.NoError(h.t, store.Close(ctx)) }()
	loaded, err := store.Load(ctx, h.api.granularity, 0)
	require.NoError(h.t, err)
	return loaded.Checkpoint, loaded.Found
}

func stop(t *testing.T, p *Poller) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(t, p.Shutdown(ctx))
}

var errDown = errors.New("vendor API down")

// TestCheckpointPersistence follows contrib's awscloudwatch checkpoint tests: each case asserts
// the persisted checkpoint, then a new poller over the same file storage must resume there and
// deliver every record exactly once.
func TestCheckpointPersistence(t *testing.T) {
	tests := []struct {
		name    string
		records func(api *fakeAPI)
		apiFail func(call int) error
		consume func(call int) error
		// settled tells when the first run has done all it can.
		settled     func(s *sink, api *fakeAPI) bool
		wantStored  bool
		wantTime    time.Time
		wantIDs     []string
		firstRunIDs []string
	}{
		{
			name:        "success",
			records:     func(api *fakeAPI) { api.add(sec(1), 2); api.add(sec(2), 2); api.add(sec(3), 1) },
			settled:     func(s *sink, _ *fakeAPI) bool { return len(s.ids()) == 5 },
			wantStored:  true,
			wantTime:    sec(3),
			wantIDs:     []string{"r00004"},
			firstRunIDs: []string{"r00000", "r00001", "r00002", "r00003", "r00004"},
		},
		{
			name:       "empty page",
			records:    func(*fakeAPI) {},
			settled:    func(_ *sink, api *fakeAPI) bool { api.mu.Lock(); defer api.mu.Unlock(); return api.calls >= 2 },
			wantStored: false,
		},
		{
			name:    "API failure after the first page",
			records: func(api *fakeAPI) { api.add(sec(1), 2); api.add(sec(2), 2) },
			apiFail: func(call int) error {
				if call >= 2 {
					return errDown
				}
				return nil
			},
			settled:     func(s *sink, api *fakeAPI) bool { api.mu.Lock(); defer api.mu.Unlock(); return api.calls >= 3 },
			wantStored:  true,
			wantTime:    sec(1),
			wantIDs:     []string{"r00000", "r00001"},
			firstRunIDs: []string{"r00000", "r00001"},
		},
		{
			name:    "partial success: the consumer refuses the second page",
			records: func(api *fakeAPI) { api.add(sec(1), 1); api.add(sec(2), 1); api.add(sec(2), 1); api.add(sec(3), 1) },
			consume: func(call int) error {
				if call >= 2 {
					return errors.New("exporter queue full")
				}
				return nil
			},
			settled:     func(s *sink, _ *fakeAPI) bool { s.mu.Lock(); defer s.mu.Unlock(); return s.calls >= 4 },
			wantStored:  true,
			wantTime:    sec(2),
			wantIDs:     []string{"r00001"},
			firstRunIDs: []string{"r00000", "r00001"},
		},
		{
			name:    "retryable consumer failure is retried with the same data",
			records: func(api *fakeAPI) { api.add(sec(1), 2); api.add(sec(2), 1) },
			consume: func(call int) error {
				if call <= 3 {
					return errors.New("backend unavailable")
				}
				return nil
			},
			settled:     func(s *sink, _ *fakeAPI) bool { return len(s.ids()) == 3 },
			wantStored:  true,
			wantTime:    sec(2),
			wantIDs:     []string{"r00002"},
			firstRunIDs: []string{"r00000", "r00001", "r00002"},
		},
		{
			name:    "permanent consumer failure moves past the refused page",
			records: func(api *fakeAPI) { api.add(sec(1), 2); api.add(sec(2), 1) },
			consume: func(call int) error {
				if call == 1 {
					return consumererror.NewPermanent(errors.New("malformed for the backend"))
				}
				return nil
			},
			settled:     func(s *sink, _ *fakeAPI) bool { return len(s.ids()) == 1 },
			wantStored:  true,
			wantTime:    sec(2),
			wantIDs:     []string{"r00002"},
			firstRunIDs: []string{"r00002"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := newFakeAPI(2, time.Second)
			tt.records(api)
			api.fail = tt.apiFail
			h := newHarness(t, api)
			first := &sink{fail: tt.consume}
			p, _ := h.start(h.settings(), first)
			require.Eventually(t, func() bool { return tt.settled(first, api) }, 5*time.Second, time.Millisecond)
			stop(t, p)
			assert.Equal(t, tt.firstRunIDs, first.ids())

			cp, found := h.stored()
			require.Equal(t, tt.wantStored, found)
			if found {
				assert.Equal(t, tt.wantTime, cp.Time)
				assert.ElementsMatch(t, tt.wantIDs, recentIDs(cp))
			}

			// Restart: the vendor is healthy now, and a new record arrived.
			api.mu.Lock()
			api.fail = nil
			api.mu.Unlock()
			api.add(sec(4), 1)
			second := &sink{}
			p, host := h.start(h.settings(), second)
			all := append(first.ids(), "")
			require.Eventually(t, func() bool {
				ids, ev := second.ids(), host.Last()
				return len(ids) > 0 && ids[len(ids)-1] == api.records[len(api.records)-1].ID &&
					ev != nil && ev.Status() == componentstatus.StatusOK
			}, 5*time.Second, time.Millisecond)
			stop(t, p)
			all = append(all[:len(all)-1], second.ids()...)
			assertOnce(t, all)
			if tt.name == "permanent consumer failure moves past the refused page" {
				assert.NotContains(t, second.ids(), "r00000", "data refused permanently is never resent")
			} else {
				assert.Len(t, all, len(api.records), "every record arrives")
			}
		})
	}
}

func recentIDs(cp checkpoint.Checkpoint) []string {
	var ids []string
	for id := range cp.Recent {
		ids = append(ids, id)
	}
	return ids
}

func assertOnce(t *testing.T, ids []string) {
	t.Helper()
	seen := map[string]bool{}
	for _, id := range ids {
		assert.False(t, seen[id], "record %s delivered twice", id)
		seen[id] = true
	}
}

func TestBurstInOneGranuleLargerThanAPollIsDeliveredOnce(t *testing.T) {
	api := newFakeAPI(7, time.Second)
	api.add(sec(1), 1)
	api.add(sec(2).Add(123*time.Millisecond), 250) // one shared timestamp
	api.add(sec(3), 1)
	h := newHarness(t, api)
	set := h.settings()
	set.MaxEventsPerPoll = 20
	set.PollInterval = time.Hour // only the continuation of a full poll can finish in time
	s := &sink{}
	p, _ := h.start(set, s)
	require.Eventually(t, func() bool { return len(s.ids()) == 252 }, 10*time.Second, time.Millisecond)
	stop(t, p)
	assertOnce(t, s.ids())
	api.mu.Lock()
	assert.Len(t, api.opens, 1, "the continuation keeps reading the same query instead of re-reading the burst")
	api.mu.Unlock()

	// A restart re-reads the last granule and emits nothing from it.
	again := &sink{}
	p, _ = h.start(set, again)
	require.Eventually(t, func() bool { api.mu.Lock(); defer api.mu.Unlock(); return len(api.opens) == 2 && api.calls > 38 }, 5*time.Second, time.Millisecond)
	stop(t, p)
	assert.Empty(t, again.ids())
}

func TestBurstRestartInsideTheGranule(t *testing.T) {
	api := newFakeAPI(10, time.Second)
	api.add(sec(5), 60)
	h := newHarness(t, api)
	set := h.settings()
	s := &sink{fail: func(call int) error {
		if call > 3 {
			return errors.New("down")
		}
		return nil
	}}
	p, _ := h.start(set, s)
	require.Eventually(t, func() bool { return len(s.ids()) == 30 }, 5*time.Second, time.Millisecond)
	stop(t, p)
	cp, _ := h.stored()
	assert.Len(t, cp.Recent, 30)
	rest := &sink{}
	p, _ = h.start(set, rest)
	require.Eventually(t, func() bool { return len(rest.ids()) == 30 }, 5*time.Second, time.Millisecond)
	stop(t, p)
	assertOnce(t, append(s.ids(), rest.ids()...))
}

func TestDuplicateInsideAPageIsDeliveredOnce(t *testing.T) {
	api := newFakeAPI(10, time.Second)
	api.records = []checkpoint.Key{{ID: "a", Time: sec(1)}, {ID: "b", Time: sec(2)}, {ID: "a", Time: sec(1)}, {ID: "c", Time: sec(3)}}
	h := newHarness(t, api)
	s := &sink{}
	p, _ := h.start(h.settings(), s)
	require.Eventually(t, func() bool { return len(s.ids()) == 3 }, 5*time.Second, time.Millisecond)
	stop(t, p)
	assert.Equal(t, []string{"a", "b", "c"}, s.ids())
}

func TestPermanentSourceErrorReportsStatusAndKeepsRunning(t *testing.T) {
	api := newFakeAPI(10, time.Second)
	api.add(sec(1), 1)
	api.fail = func(int) error { return Permanent(errors.New("api_key refused: check api_key")) }
	h := newHarness(t, api)
	p, host := h.start(h.settings(), &sink{})
	require.Eventually(t, func() bool {
		ev := host.Last()
		return ev != nil && ev.Status() == componentstatus.StatusPermanentError
	}, 5*time.Second, time.Millisecond)
	assert.ErrorContains(t, host.Last().Err(), "check api_key")
	require.Eventually(t, func() bool { api.mu.Lock(); defer api.mu.Unlock(); return api.calls >= 3 }, 5*time.Second, time.Millisecond, "keeps polling")
	stop(t, p)
}

func TestRetryableSourceErrorReportsRecoverable(t *testing.T) {
	api := newFakeAPI(10, time.Second)
	api.add(sec(1), 1)
	api.fail = func(call int) error {
		if call == 1 {
			return errDown
		}
		return nil
	}
	h := newHarness(t, api)
	s := &sink{}
	p, host := h.start(h.settings(), s)
	require.Eventually(t, func() bool {
		ev := host.Last()
		return len(s.ids()) == 1 && ev != nil && ev.Status() == componentstatus.StatusOK
	}, 5*time.Second, time.Millisecond)
	stop(t, p)
	var statuses []componentstatus.Status
	for _, ev := range host.Events() {
		statuses = append(statuses, ev.Status())
	}
	assert.Equal(t, []componentstatus.Status{componentstatus.StatusRecoverableError, componentstatus.StatusOK}, statuses)
}

func TestShutdownIsPrompt(t *testing.T) {
	for name, setup := range map[string]func(api *fakeAPI, s *sink, set *Settings){
		"during a consumer backoff": func(api *fakeAPI, s *sink, set *Settings) {
			api.add(sec(1), 1)
			s.fail = func(int) error { return errors.New("down") }
			set.Retry.InitialInterval, set.Retry.MaxInterval = time.Hour, time.Hour
		},
		"during a slow request": func(api *fakeAPI, _ *sink, _ *Settings) { api.block = true },
		"between polls":         func(_ *fakeAPI, _ *sink, set *Settings) { set.PollInterval = time.Hour },
	} {
		t.Run(name, func(t *testing.T) {
			api := newFakeAPI(10, time.Second)
			h := newHarness(t, api)
			s := &sink{}
			set := h.settings()
			setup(api, s, &set)
			p, _ := h.start(set, s)
			require.Eventually(t, func() bool { api.mu.Lock(); defer api.mu.Unlock(); return api.calls >= 1 }, 5*time.Second, time.Millisecond)
			time.Sleep(20 * time.Millisecond) // let the loop reach its wait
			start := time.Now()
			stop(t, p)
			assert.Less(t, time.Since(start), 500*time.Millisecond)
		})
	}
}

func TestShutdownWithoutStartAndTwice(t *testing.T) {
	p, err := New(receivertest.NewNopSettings(testType), Settings{}, newFakeAPI(1, time.Second), &sink{})
	require.NoError(t, err)
	require.NoError(t, p.Shutdown(context.Background()))
	require.NoError(t, p.Shutdown(context.Background()))
}

func TestRetentionClampsTheStart(t *testing.T) {
	api := newFakeAPI(10, time.Second)
	h := newHarness(t, api)
	set := h.settings()
	set.StartTime = "30 days ago"
	set.Retention = 7 * 24 * time.Hour
	p, _ := h.start(set, &sink{})
	require.Eventually(t, func() bool { api.mu.Lock(); defer api.mu.Unlock(); return len(api.opens) >= 1 }, 5*time.Second, time.Millisecond)
	stop(t, p)
	assert.WithinDuration(t, time.Now().Add(-7*24*time.Hour), api.opens[0], time.Minute)
}

var _ consumer.Logs = (*sink)(nil)

func (s *sink) Capabilities() consumer.Capabilities { return consumer.Capabilities{} }

func TestOverlapCatchesLateRecordsOnce(t *testing.T) {
	for _, overlap := range []time.Duration{0, 5 * time.Second} {
		t.Run(overlap.String(), func(t *testing.T) {
			api := newFakeAPI(3, time.Second)
			for s := 1; s <= 10; s++ {
				api.add(sec(s), 1)
			}
			h := newHarness(t, api)
			set := h.settings()
			set.Overlap = overlap
			s := &sink{}
			p, _ := h.start(set, s)
			require.Eventually(t, func() bool { return len(s.ids()) == 10 }, 5*time.Second, time.Millisecond)
			api.add(sec(8).Add(300*time.Millisecond), 1) // inserted late, before the checkpoint
			api.add(sec(11), 1)
			require.Eventually(t, func() bool { ids := s.ids(); return len(ids) > 0 && ids[len(ids)-1] == "r00011" }, 5*time.Second, time.Millisecond)
			stop(t, p)
			assertOnce(t, s.ids())
			if overlap == 0 {
				assert.NotContains(t, s.ids(), "r00010", "without an overlap a record older than the checkpoint is not read")
			} else {
				assert.Contains(t, s.ids(), "r00010", "the overlap re-reads the last seconds and finds the late record")
			}
		})
	}
}
