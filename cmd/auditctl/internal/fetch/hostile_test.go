package fetch_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secaudit/otelcol-audit/cmd/auditctl/internal/fetch"
	"github.com/secaudit/otelcol-audit/internal/httpapi"
)

// serveOn starts h on host (a loopback address) and returns its URL; it stops with the test.
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

// auditctl reads through the receivers' own client: it follows no redirect either.
func TestOpenRefusesRedirects(t *testing.T) {
	var followed atomic.Int32
	elsewhere := serveOn(t, "127.0.0.2", http.HandlerFunc(func(http.ResponseWriter, *http.Request) { followed.Add(1) }))
	api := serveOn(t, "127.0.0.1", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, elsewhere+r.URL.Path, http.StatusTemporaryRedirect)
	}))
	for _, tc := range []struct {
		typ string
		tgt target
	}{{"cyberarkisp", cyberarkSpec(api)}, {"xsoaraudit", xsoarSpec(api)}} {
		t.Run(tc.typ, func(t *testing.T) {
			src, err := tc.tgt.open(t, tc.typ)
			require.NoError(t, err)
			_, err = fetch.Read(context.Background(), src, fetch.Window{MaxPages: 1})
			var re *httpapi.RedirectError
			require.ErrorAs(t, err, &re)
			assert.Equal(t, elsewhere, re.Location)
			assert.Zero(t, followed.Load(), "no request reached the redirect's target")
		})
	}
}

// auditctl caps responses as the receiver does.
func TestOpenCapsResponsesAsTheReceiverDoes(t *testing.T) {
	_, url, _ := startSim(t)
	for _, tc := range []struct {
		typ string
		tgt target
	}{{"cyberarkisp", cyberarkSpec(url)}, {"xsoaraudit", xsoarSpec(url)}} {
		t.Run(tc.typ, func(t *testing.T) {
			require.Positive(t, tc.tgt.spec.MaxResponseBytes(tc.tgt.cfg))
			tc.tgt.spec.RecordBytes, tc.tgt.spec.MinResponseBytes = 0, 64 // below any page of the simulator
			src, err := tc.tgt.open(t, tc.typ)
			require.NoError(t, err)
			_, err = fetch.Read(context.Background(), src, fetch.Window{MaxPages: 1})
			var tl *httpapi.TooLargeError
			require.ErrorAs(t, err, &tl)
			assert.Equal(t, int64(64), tl.Limit)
		})
	}
}
