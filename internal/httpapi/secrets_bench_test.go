package httpapi

import (
	"strings"
	"testing"

	"github.com/secaudit/otelcol-audit/internal/testsupport/secrettest"
)

// The cost of scrubbing one error text (the HTTP client's snippet is at most 512 bytes) with a
// receiver's secrets: two credentials, a header, an inline TLS key, the access token.
func BenchmarkScrubErrorText(b *testing.B) {
	pem := "-----BEGIN PRIVATE KEY-----\n" + strings.Repeat("MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7+/=\n", 25) + "-----END PRIVATE KEY-----"
	s := NewSecrets(secrettest.Tricky, "ak-9f8e7d6c5b4a", "hdr-tok-3", pem)
	s.Rotate("token", "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzdmMifQ.c2lnbmF0dXJl")
	text := strings.Repeat(`{"message":"the request was refused for reasons the server explains at length"} `, 7)[:512]
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		_ = s.Scrub(text)
	}
}

// The cost of registering a renewed access token: the replacer of every form is rebuilt.
func BenchmarkRotateToken(b *testing.B) {
	pem := "-----BEGIN PRIVATE KEY-----\n" + strings.Repeat("MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7+/=\n", 25) + "-----END PRIVATE KEY-----"
	s := NewSecrets(secrettest.Tricky, "ak-9f8e7d6c5b4a", "hdr-tok-3", pem)
	for b.Loop() {
		s.Rotate("token", "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzdmMifQ.c2lnbmF0dXJl")
	}
	b.ReportMetric(float64(len(s.current.Load().forms)), "forms")
}
