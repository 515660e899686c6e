package main

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
)

// --push refuses http:// off loopback, as the receivers do: the records would travel in
// cleartext. Nothing is read from the vendor first.
func TestPushRefusesCleartextOffLoopback(t *testing.T) {
	f := backfilled(t)
	for _, endpoint := range []string{"http://siem.example:4318", "http://192.0.2.10:4318", "HTTP://[2001:db8::1]:4318"} {
		r := f.run(t, "get-events", "--config", f.config(t, f.xsoar("")), "--from", "3 days ago", "--push", endpoint)
		assert.Equal(t, exitUsage, r.code, endpoint)
		assert.Contains(t, r.stderr, "which would send the audit records in cleartext: use https://", endpoint)
	}
	assert.Zero(t, simRequests(f))
}

// A redirect is not followed: the records reach only the endpoint given, and the error names
// where the redirect pointed.
func TestPushDoesNotFollowARedirect(t *testing.T) {
	f := backfilled(t)
	sink := &otlpSink{}
	elsewhere := httptest.NewServer(sink)
	defer elsewhere.Close()
	for _, status := range []int{http.StatusTemporaryRedirect, http.StatusPermanentRedirect, http.StatusFound} {
		redirect := httptest.NewServer(http.RedirectHandler(elsewhere.URL+"/v1/logs", status))
		r := f.run(t, "get-events", "--config", f.config(t, f.xsoar("")), "--from", "3 days ago", "--limit", "3", "--push", redirect.URL)
		redirect.Close()
		assert.Equal(t, 1, r.code, status)
		assert.Contains(t, r.stderr, "pushing to "+redirect.URL+"/v1/logs: HTTP ", status)
		assert.Contains(t, r.stderr, "redirects to "+elsewhere.URL+"; the redirect is not followed", status)
	}
	assert.Zero(t, sink.requests, "no record reached the other host")
}
