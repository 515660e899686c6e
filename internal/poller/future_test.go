package poller

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.uber.org/zap"

	"github.com/secaudit/otelcol-audit/internal/checkpoint"
)

// A checkpoint moved into the future by hand (auditctl checkpoint set --time 2099-01-01 in an
// earlier build) carries a floor there: every record up to it would count as delivered. The
// receiver reports it as a recoverable error, reads from now, delivers what the vendor adds,
// and the next start finds a checkpoint that is no longer ahead.
func TestStoredFutureFloorDropsNoRecord(t *testing.T) {
	api := newFakeAPI(10, time.Millisecond)
	h := newHarness(t, api)
	cp := checkpoint.New("test tenant", time.Now(), time.Millisecond, 0)
	cp.MoveTo(time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC))
	h.write(checkpoint.StorageKey("test", "tenant"), mustJSON(t, &cp))

	s := &sink{}
	p, host, logs := h.observed(h.settings(), api, s)
	time.Sleep(20 * time.Millisecond)
	api.add(time.Now(), 3)
	require.Eventually(t, func() bool { return len(s.ids()) == 3 }, 5*time.Second, time.Millisecond, "no record dropped as delivered")
	stop(t, p)

	events := host.Events()
	require.NotEmpty(t, events)
	assert.Equal(t, componentstatus.StatusRecoverableError, events[0].Status())
	assert.Contains(t, events[0].Err().Error(), "2099-01-01T00:00:00Z")
	assert.Contains(t, events[0].Err().Error(), "auditctl checkpoint set --time")
	e := logs.FilterMessageSnippet("stored checkpoint lies in the future").All()
	require.Len(t, e, 1)
	assert.Equal(t, zap.ErrorLevel, e[0].Level)
	assert.NotContains(t, messages(logs), "earlier release", "the cause is not known")

	stored, found := h.stored()
	require.True(t, found)
	assert.False(t, stored.Time.After(time.Now()))
	assert.False(t, stored.Floor.After(time.Now()))
}
