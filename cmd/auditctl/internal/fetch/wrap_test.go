package fetch_test

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secaudit/otelcol-audit/cmd/auditctl/internal/fetch"
)

type countingTransport struct {
	next http.RoundTripper
	n    *atomic.Int64
}

func (c countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return c.next.RoundTrip(req)
}

// Every request of a read goes through the transports Open is given; a nil one is skipped.
func TestOpenWrapsTheClientsTransport(t *testing.T) {
	sim, url, now := startSim(t)
	var n atomic.Int64
	count := func(next http.RoundTripper) http.RoundTripper { return countingTransport{next: next, n: &n} }
	src, err := cyberarkSpec(url).open(t, "cyberarkisp", nil, count)
	require.NoError(t, err)
	_, err = fetch.Read(context.Background(), src, fetch.Window{From: now.Add(-90 * time.Minute), To: now})
	require.NoError(t, err)
	var sent int64
	for _, byStatus := range sim.Stats().Requests {
		for _, k := range byStatus {
			sent += k
		}
	}
	assert.Positive(t, sent)
	assert.Equal(t, sent, n.Load())
}
