package fetch_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/secaudit/otelcol-audit/cmd/auditctl/internal/fetch"
	"github.com/secaudit/otelcol-audit/internal/poller"
	"github.com/secaudit/otelcol-audit/internal/testsupport/logtest"
	"github.com/secaudit/otelcol-audit/internal/testsupport/simulator"
	"github.com/secaudit/otelcol-audit/receiver/cyberarkispreceiver"
	"github.com/secaudit/otelcol-audit/receiver/xsoarauditreceiver"
)

// startSim starts a simulator whose clock stands still a minute in the past, so that a window
// computed by the test is exactly the window the simulator's ground truth is asked about.
func startSim(t *testing.T) (*simulator.Simulator, string, time.Time) {
	t.Helper()
	now := time.Now().Add(-time.Minute).Truncate(time.Millisecond).UTC()
	sim, err := simulator.New(simulator.Options{
		CyberArkBackfill: 300, XSOARBackfill: 300, BackfillSpan: 2 * time.Hour,
		Seed: 7, Now: func() time.Time { return now }, XSOARRateLimit: -1,
	})
	require.NoError(t, err)
	url, err := sim.Start()
	require.NoError(t, err)
	t.Cleanup(func() { _ = sim.Close() })
	return sim, url, now
}

// target is what auditctl holds of a receiver: its type's engine spec and a configuration.
type target struct {
	spec poller.Spec
	cfg  poller.Configured
}

func (tg target) open(t *testing.T, typ string, wrap ...func(http.RoundTripper) http.RoundTripper) (poller.Source, error) {
	t.Helper()
	return fetch.Open(t.Context(), tg.spec, tg.cfg, fetch.Settings(component.MustNewID(typ), nil, "9.9.9"), wrap...)
}

func cyberarkSpec(url string) target {
	cfg := cyberarkispreceiver.NewFactory().CreateDefaultConfig().(*cyberarkispreceiver.Config)
	cfg.ClientConfig.Endpoint = url
	cfg.IdentityURL = url
	cfg.WebAppID = simulator.DefaultWebAppID
	cfg.ClientID = simulator.DefaultClientID
	cfg.ClientSecret = simulator.DefaultClientSecret
	cfg.APIKey = simulator.DefaultAPIKey
	return target{cyberarkispreceiver.PollerSpec(), cfg}
}

func xsoarSpec(url string) target {
	cfg := xsoarauditreceiver.NewFactory().CreateDefaultConfig().(*xsoarauditreceiver.Config)
	cfg.ClientConfig.Endpoint = url
	cfg.APIKeyID = simulator.DefaultXSOARKeyID
	cfg.APIKey = simulator.DefaultXSOARKey
	return target{xsoarauditreceiver.PollerSpec(), cfg}
}

func uids(t *testing.T, l plog.Logs) []string {
	t.Helper()
	out := logtest.UIDs(l)
	require.NotContains(t, out, "", "every record has a log.record.uid")
	return out
}

func TestOpenReadsThroughEachReceiversClient(t *testing.T) {
	sim, url, now := startSim(t)
	for _, tc := range []struct {
		vendor simulator.Vendor
		tgt    target
		typ    string
	}{
		{simulator.CyberArk, cyberarkSpec(url), "cyberarkisp"},
		{simulator.XSOAR, xsoarSpec(url), "xsoaraudit"},
	} {
		t.Run(tc.typ, func(t *testing.T) {
			src, err := tc.tgt.open(t, tc.typ)
			require.NoError(t, err)
			w := fetch.Window{From: now.Add(-90 * time.Minute), To: now.Add(-30 * time.Minute)}
			res, err := fetch.Read(context.Background(), src, w)
			require.NoError(t, err)
			want, err := sim.IDsBetween(tc.vendor, w.From, w.To)
			require.NoError(t, err)
			require.NotEmpty(t, want)
			assert.Equal(t, want, uids(t, res.Logs), "every record of the window, once, oldest first")
			assert.Equal(t, len(want), res.Records)
			assert.Equal(t, "9.9.9", res.Logs.ResourceLogs().At(0).ScopeLogs().At(0).Scope().Version(),
				"the scope carries the version given, as a distribution's records carry its build version")
		})
	}
}

func TestOpenFailsOnClientSettingsItCannotHonour(t *testing.T) {
	tgt := cyberarkSpec("https://example.invalid")
	tgt.cfg.HTTPSettings().TLS.CAFile = "/nonexistent/ca.pem"
	_, err := tgt.open(t, "cyberarkisp")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "creating HTTP client")
}
