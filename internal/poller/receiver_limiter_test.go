package poller

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/receivertest"

	"github.com/secaudit/otelcol-audit/internal/httpapi"
)

// A receiver holds its tenant's rate limiter from Start to Shutdown: while it runs, another
// receiver on the tenant shares its budget; once it is shut down, as on a configuration reload,
// the next one gets the rate it asks for.
func TestReceiverReleasesItsTenantLimiterAtShutdown(t *testing.T) {
	const tenant = "limiter-release.example"
	cfg := newTestConfig()
	cfg.tenant = tenant
	cfg.poll.RequestsPerSecond = 2
	spec := Spec{
		Granularity:  time.Second,
		NewTelemetry: func(component.TelemetrySettings) (Telemetry, func(), error) { return Telemetry{}, func() {}, nil },
		NewSource: func(Configured, *httpapi.Client, receiver.Settings) (Source, error) {
			return newFakeAPI(10, time.Second), nil
		},
	}
	r := NewReceiver(receivertest.NewNopSettings(receivertest.NopType), spec, cfg, consumertest.NewNop())
	require.NoError(t, r.Start(t.Context(), componenttest.NewNopHost()))

	shared, release := httpapi.AcquireLimiter(tenant, 8)
	assert.InDelta(t, 2.0, float64(shared.Limit()), 0, "the running receiver's lower rate applies to both")
	release()

	require.NoError(t, r.Shutdown(t.Context()))
	reloaded, release := httpapi.AcquireLimiter(tenant, 8)
	defer release()
	assert.InDelta(t, 8.0, float64(reloaded.Limit()), 0, "the receiver shut down holds no budget any more")
}
