package httpapi

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/jonboulle/clockwork"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// serveOn starts srv on host (a loopback address) and returns its URL; it stops with the test.
func serveOn(t *testing.T, host string, h http.Handler) string {
	t.Helper()
	l, err := net.Listen("tcp", host+":0")
	require.NoError(t, err)
	srv := httptest.NewUnstartedServer(h)
	srv.Listener = l
	srv.Start()
	t.Cleanup(srv.Close)
	return srv.URL
}

// post builds a request that carries credentials in its headers and its body, as the vendor calls do.
func post(url string) func(context.Context) (*http.Request, error) {
	return func(ctx context.Context) (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader("client_secret="+secret))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Authorization", "Bearer "+secret)
		req.Header.Set("x-api-key", secret)
		return req, nil
	}
}

func TestRedirectsAreNotFollowed(t *testing.T) {
	var elsewhere atomic.Int32
	other := serveOn(t, "127.0.0.2", http.HandlerFunc(func(http.ResponseWriter, *http.Request) { elsewhere.Add(1) }))
	samePort := serveOn(t, "127.0.0.1", http.HandlerFunc(func(http.ResponseWriter, *http.Request) { elsewhere.Add(1) }))
	for _, c := range []struct {
		name, location, want string
		code                 int
	}{
		{"another host, 301", other + "/api?token=abc", other, http.StatusMovedPermanently},
		{"another host, 302", other, other, http.StatusFound},
		{"another host, 303", other, other, http.StatusSeeOther},
		{"another host, 307 (would re-send the body)", other + "/x", other, http.StatusTemporaryRedirect},
		{"another host, 308 (would re-send the body)", other + "/x", other, http.StatusPermanentRedirect},
		{"the same host, another port", samePort + "/x", samePort, http.StatusTemporaryRedirect},
		{"https on the same host", "https://127.0.0.1:1/x", "https://127.0.0.1:1", http.StatusPermanentRedirect},
		{"no Location", "", "", http.StatusMultipleChoices},
	} {
		t.Run(c.name, func(t *testing.T) {
			var calls atomic.Int32
			api := serveOn(t, "127.0.0.1", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				calls.Add(1)
				if c.location != "" {
					w.Header().Set("Location", c.location)
				}
				w.WriteHeader(c.code)
			}))
			_, err := newClient(t, clockwork.NewFakeClock(), Settings{}).Do(context.Background(), "token", post(api+"/oauth"))
			var re *RedirectError
			require.ErrorAs(t, err, &re)
			assert.Equal(t, RedirectError{Op: "token", Status: c.code, Location: c.want}, *re)
			assert.False(t, Retryable(err), "a redirect is not retried")
			assert.Equal(t, c.code, StatusCode(err))
			assert.EqualValues(t, 1, calls.Load())
			assert.Zero(t, elsewhere.Load(), "nothing reached the redirect's target")
			if c.want != "" {
				assert.Contains(t, err.Error(), "redirects to "+c.want)
			}
			assert.NotContains(t, err.Error(), "abc", "the Location's path and query are left out")
		})
	}
}

func TestRedirectLocationIsResolvedAgainstTheRequest(t *testing.T) {
	api := serveOn(t, "127.0.0.1", http.RedirectHandler("/login", http.StatusFound))
	_, err := newClient(t, clockwork.NewFakeClock(), Settings{}).Do(context.Background(), "results", post(api+"/api"))
	var re *RedirectError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, api, re.Location)
}

func TestCallerRedirectPolicyIsNotChanged(t *testing.T) {
	hc := &http.Client{}
	New(Settings{HTTP: hc})
	assert.Nil(t, hc.CheckRedirect, "the client refuses redirects on its own copy")
}

// countingBody counts the bytes read from it.
type countingBody struct {
	r    io.Reader
	read int
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	b.read += n
	return n, err
}

func (b *countingBody) Close() error { return nil }

func TestBodyAnnouncedLargerThanTheLimitIsNotRead(t *testing.T) {
	c := New(Settings{MaxResponseBytes: 1 << 20})
	body := &countingBody{r: strings.NewReader(strings.Repeat("x", 4<<20))}
	_, err := c.readBody(&http.Response{ContentLength: 4 << 20, Body: body})
	require.NoError(t, err)
	assert.Zero(t, body.read, "a body announced over the limit is not read into memory")
}

func TestResponseOverTheLimitIsATooLargeError(t *testing.T) {
	big := strings.Repeat("x", 3<<20)
	for name, announce := range map[string]bool{"announced": true, "chunked": false} {
		t.Run(name, func(t *testing.T) {
			var calls atomic.Int32
			api := serveOn(t, "127.0.0.1", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				calls.Add(1)
				if announce {
					w.Header().Set("Content-Length", strconv.Itoa(len(big)))
				}
				_, _ = io.WriteString(w, big)
			}))
			_, err := newClient(t, clockwork.NewFakeClock(), Settings{MaxResponseBytes: 2 << 20}).Do(context.Background(), "results", get(api))
			var tl *TooLargeError
			require.ErrorAs(t, err, &tl)
			assert.Equal(t, int64(2<<20), tl.Limit)
			assert.Contains(t, err.Error(), "larger than 2097152 bytes (2 MiB)", "the error names the limit")
			if announce {
				assert.Contains(t, err.Error(), "3145728 bytes announced")
			}
			assert.False(t, Retryable(err), "the same request would bring the same body")
			assert.NotErrorIs(t, err, io.EOF)
			assert.EqualValues(t, 1, calls.Load())
		})
	}
}
