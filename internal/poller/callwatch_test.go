package poller

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/config/configretry"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/secaudit/otelcol-audit/internal/httpapi"
)

// The first failed call is reported while the client is still retrying, not when the retries
// give up; recovery is logged.
func TestFirstFailedCallIsReportedAtOnce(t *testing.T) {
	var calls atomic.Int32
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if calls.Add(1) == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		<-release // the call is held until the test has seen the report
		w.WriteHeader(http.StatusOK)
	}))
	defer srv.Close()

	core, logs := observer.New(zap.InfoLevel)
	var mu sync.Mutex
	var events []*componentstatus.Event
	watch := &callWatch{Telemetry: Telemetry{}.withDefaults(), logger: zap.New(core), report: func(ev *componentstatus.Event) {
		mu.Lock()
		defer mu.Unlock()
		events = append(events, ev)
	}}
	client := httpapi.New(httpapi.Settings{
		HTTP:     srv.Client(),
		Retry:    configretry.BackOffConfig{Enabled: true, InitialInterval: time.Millisecond, MaxInterval: time.Millisecond, Multiplier: 1},
		Observer: watch,
	})
	done := make(chan error, 1)
	go func() {
		_, err := client.Do(context.Background(), "query", func(ctx context.Context) (*http.Request, error) {
			return http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, http.NoBody)
		})
		done <- err
	}()
	require.Eventually(t, func() bool {
		return logs.FilterMessageSnippet("A vendor API call failed; retrying").Len() == 1
	}, 5*time.Second, time.Millisecond, "warned while the call is still being retried")
	mu.Lock()
	require.Len(t, events, 1)
	assert.Equal(t, componentstatus.StatusRecoverableError, events[0].Status())
	mu.Unlock()
	w := logs.FilterMessageSnippet("A vendor API call failed").All()[0]
	assert.Equal(t, zap.WarnLevel, w.Level)
	assert.Contains(t, w.Message, "check endpoint")
	assert.Contains(t, w.ContextMap()["error"], "503")

	close(release)
	require.NoError(t, <-done)
	assert.Equal(t, 1, logs.FilterMessageSnippet("The vendor API answers again").Len())
}
