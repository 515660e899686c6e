package httpapi

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/config/configretry"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

const secret = "s3cr3t-api-key-value"

// script serves one scripted response per request, then 200 "ok".
type script struct {
	mu    sync.Mutex
	steps []func(w http.ResponseWriter)
	calls atomic.Int32
}

func (s *script) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	s.calls.Add(1)
	s.mu.Lock()
	var step func(http.ResponseWriter)
	if len(s.steps) > 0 {
		step, s.steps = s.steps[0], s.steps[1:]
	}
	s.mu.Unlock()
	if step == nil {
		_, _ = w.Write([]byte("ok"))
		return
	}
	step(w)
}

func status(code int, hdr ...string) func(http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		for i := 0; i+1 < len(hdr); i += 2 {
			w.Header().Set(hdr[i], hdr[i+1])
		}
		w.WriteHeader(code)
		_, _ = w.Write([]byte(`{"error":"nope","echo":"` + secret + `"}`))
	}
}

// recv waits for Do's result, failing the test instead of hanging.
func recv(t *testing.T, done chan error) error {
	t.Helper()
	select {
	case err := <-done:
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("Do did not return")
		return nil
	}
}

func retryConfig() configretry.BackOffConfig {
	return configretry.BackOffConfig{Enabled: true, InitialInterval: time.Second, Multiplier: 2, MaxInterval: 8 * time.Second, MaxElapsedTime: time.Hour}
}

func newClient(t *testing.T, clock clockwork.Clock, s Settings) *Client {
	t.Helper()
	s.HTTP = http.DefaultClient
	s.Clock = clock
	if s.Retry == (configretry.BackOffConfig{}) {
		s.Retry = retryConfig()
	}
	s.Secrets = NewSecrets(secret)
	return New(s)
}

func get(url string) func(context.Context) (*http.Request, error) {
	return func(ctx context.Context) (*http.Request, error) {
		return http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	}
}

// doAsync runs Do in the background so that the test can move the fake clock.
func doAsync(c *Client, url string) chan error {
	done := make(chan error, 1)
	go func() {
		_, err := c.Do(context.Background(), "call", get(url))
		done <- err
	}()
	return done
}

// waits advances the fake clock by each step once Do is waiting, and each time waits for the
// request the step releases.
func waits(t *testing.T, clock *clockwork.FakeClock, s *script, steps ...time.Duration) {
	t.Helper()
	var seen []int32
	for _, d := range steps {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		require.NoError(t, clock.BlockUntilContext(ctx, 1))
		cancel()
		clock.Advance(d)
		require.Eventually(t, func() bool { return s.calls.Load() > int32(len(seen)) }, 5*time.Second, time.Millisecond)
		seen = append(seen, s.calls.Load())
	}
}

func TestRetriesWithExponentialBackoff(t *testing.T) {
	s := &script{steps: []func(http.ResponseWriter){status(503), status(500), status(502)}}
	srv := httptest.NewServer(s)
	defer srv.Close()
	clock := clockwork.NewFakeClock()
	done := doAsync(newClient(t, clock, Settings{}), srv.URL)
	// No jitter configured: 1s, 2s, 4s.
	waits(t, clock, s, time.Second, 2*time.Second, 4*time.Second)
	require.NoError(t, recv(t, done))
	assert.EqualValues(t, 4, s.calls.Load())
}

func TestRetryAfterSecondsIsHonoured(t *testing.T) {
	s := &script{steps: []func(http.ResponseWriter){status(429, "Retry-After", "7")}}
	srv := httptest.NewServer(s)
	defer srv.Close()
	clock := clockwork.NewFakeClock()
	done := doAsync(newClient(t, clock, Settings{}), srv.URL)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(t, clock.BlockUntilContext(ctx, 1))
	clock.Advance(6 * time.Second) // the backoff alone (1s) would have fired by now
	require.NoError(t, clock.BlockUntilContext(ctx, 1), "still waiting for Retry-After")
	assert.EqualValues(t, 1, s.calls.Load())
	clock.Advance(time.Second)
	require.NoError(t, recv(t, done))
	assert.EqualValues(t, 2, s.calls.Load())
}

func TestRetryAfterDateAndCap(t *testing.T) {
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	assert.Equal(t, 30*time.Second, retryAfter(now.Add(30*time.Second).Format(http.TimeFormat), now))
	assert.Equal(t, time.Duration(0), retryAfter(now.Add(-time.Minute).Format(http.TimeFormat), now))
	assert.Equal(t, MaxRetryAfter, retryAfter("86400", now))
	assert.Equal(t, time.Duration(0), retryAfter("soon", now))
}

func TestNoRetryOfClientErrors(t *testing.T) {
	for _, code := range []int{400, 401, 402, 403, 404} {
		s := &script{steps: []func(http.ResponseWriter){status(code)}}
		srv := httptest.NewServer(s)
		_, err := newClient(t, clockwork.NewFakeClock(), Settings{}).Do(context.Background(), "call", get(srv.URL))
		srv.Close()
		require.Error(t, err)
		assert.Equal(t, code, StatusCode(err))
		assert.False(t, Retryable(err))
		assert.EqualValues(t, 1, s.calls.Load(), "HTTP %d is not retried", code)
		assert.NotContains(t, err.Error(), secret, "a secret echoed by the server is scrubbed")
		assert.Contains(t, err.Error(), "[REDACTED]")
	}
}

func TestGivesUpAfterMaxElapsedTime(t *testing.T) {
	s := &script{steps: []func(http.ResponseWriter){status(503), status(503), status(503), status(503)}}
	srv := httptest.NewServer(s)
	defer srv.Close()
	clock := clockwork.NewFakeClock()
	retry := retryConfig()
	retry.MaxElapsedTime = 2500 * time.Millisecond
	done := doAsync(newClient(t, clock, Settings{Retry: retry}), srv.URL)
	waits(t, clock, s, time.Second) // 1s, then 1s+2s would pass 2.5s: give up
	err := recv(t, done)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "gave up after 2 attempts")
	var gaveUp *GaveUpError
	require.ErrorAs(t, err, &gaveUp, "exhausted retries are a typed error")
	assert.Equal(t, 2, gaveUp.Attempts)
	assert.Equal(t, 503, StatusCode(err))
}

func TestRetryDisabled(t *testing.T) {
	s := &script{steps: []func(http.ResponseWriter){status(503)}}
	srv := httptest.NewServer(s)
	defer srv.Close()
	_, err := newClient(t, clockwork.NewFakeClock(), Settings{Retry: configretry.BackOffConfig{Enabled: false, InitialInterval: time.Second}}).Do(context.Background(), "call", get(srv.URL))
	require.Error(t, err)
	assert.EqualValues(t, 1, s.calls.Load())
}

func TestNetworkErrorsAreRetried(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	url := "http://" + l.Addr().String()
	require.NoError(t, l.Close()) // nothing listens: connection refused
	clock := clockwork.NewFakeClock()
	retry := retryConfig()
	retry.MaxElapsedTime = 1500 * time.Millisecond
	done := make(chan error, 1)
	go func() {
		_, err := newClient(t, clock, Settings{Retry: retry}).Do(context.Background(), "call", get(url))
		done <- err
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(t, clock.BlockUntilContext(ctx, 1), "a refused connection waits to retry")
	clock.Advance(time.Second)
	err = recv(t, done)
	require.Error(t, err)
	assert.True(t, Retryable(err))
	assert.Contains(t, err.Error(), "gave up after 2 attempts")
}

func TestShutdownDuringWaitIsPrompt(t *testing.T) {
	s := &script{steps: []func(http.ResponseWriter){status(429, "Retry-After", "300")}}
	srv := httptest.NewServer(s)
	defer srv.Close()
	c := newClient(t, clockwork.NewRealClock(), Settings{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := c.Do(ctx, "call", get(srv.URL))
		done <- err
	}()
	require.Eventually(t, func() bool { return s.calls.Load() == 1 }, 5*time.Second, time.Millisecond)
	start := time.Now()
	cancel()
	select {
	case err := <-done:
		assert.ErrorIs(t, err, context.Canceled)
		assert.Less(t, time.Since(start), 500*time.Millisecond)
	case <-time.After(2 * time.Second):
		t.Fatal("Do kept waiting after its context ended")
	}
}

func TestResponseSizeCap(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(strings.Repeat("x", 2048)))
	}))
	defer srv.Close()
	c := newClient(t, clockwork.NewFakeClock(), Settings{MaxResponseBytes: 1024})
	_, err := c.Do(context.Background(), "results", get(srv.URL))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "larger than 1024 bytes")
	resp, err := newClient(t, clockwork.NewFakeClock(), Settings{MaxResponseBytes: 2048}).Do(context.Background(), "results", get(srv.URL))
	require.NoError(t, err)
	assert.Len(t, resp.Body, 2048)
}

func TestSecretsNeverLogged(t *testing.T) {
	core, logs := observer.New(zap.DebugLevel)
	s := &script{steps: []func(http.ResponseWriter){status(503)}}
	srv := httptest.NewServer(s)
	defer srv.Close()
	clock := clockwork.NewFakeClock()
	c := newClient(t, clock, Settings{Logger: zap.New(core)})
	done := doAsync(c, srv.URL)
	waits(t, clock, s, time.Second)
	require.NoError(t, recv(t, done))
	require.NotZero(t, logs.Len())
	for _, e := range logs.All() {
		for _, v := range e.ContextMap() {
			assert.NotContains(t, e.Message+" "+toString(v), secret)
		}
	}
}

func toString(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return ""
}

func TestBaseURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://Example-Domain.Audit.CyberArk.cloud/": "https://example-domain.audit.cyberark.cloud",
		"abc1234.id.cyberark.cloud":                    "https://abc1234.id.cyberark.cloud",
		"HTTPS://host.example/path//":                  "https://host.example/path",
		"http://127.0.0.1:8080":                        "http://127.0.0.1:8080",
	} {
		u, err := BaseURL(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, u.String())
	}
	for _, in := range []string{"", "ftp://x", "https://user:pw@host", "https://host/?q=1", "https://"} {
		_, err := BaseURL(in)
		assert.Error(t, err, in)
	}
}
