package cyberarkispreceiver

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componentstatus"
)

// A redirect on any call is a permanent error that names where it pointed and the setting to
// check; it is never followed.
func TestRedirectsNameTheSetting(t *testing.T) {
	for _, tt := range []struct {
		op      string
		setting string
	}{
		{"token", "identity_url"},
		{"createQuery", "endpoint"},
		{"results", "endpoint"},
	} {
		t.Run(tt.op, func(t *testing.T) {
			s := newFakeISP(t)
			s.add(makeEvents("r", 5, time.Now().Add(-time.Hour), 5)...)
			for n := 1; n <= 50; n++ {
				s.respondAt(tt.op, n, fakeResponse{status: http.StatusTemporaryRedirect,
					header: map[string]string{"Location": "https://login.example.com:8443/sso?token=abc"}})
			}
			cfg := testConfig(s)
			cfg.Poll.PollInterval = time.Hour // one poll: any second call would be a retry
			h := start(t, cfg, t.TempDir())
			require.Eventually(t, func() bool { return h.host.LastErr(componentstatus.StatusPermanentError) != nil }, waitFor, 10*time.Millisecond)
			msg := h.host.LastErr(componentstatus.StatusPermanentError).Error()
			for _, want := range []string{tt.setting, "redirect", "HTTP 307", "https://login.example.com:8443"} {
				assert.Contains(t, msg, want)
			}
			assert.NotContains(t, msg, "token=abc")
			assert.Equal(t, 1, s.count(tt.op), "a redirect is not retried")
			assert.Zero(t, h.sink.LogRecordCount())
		})
	}
}
