package httpapi

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The receivers send credentials: http:// only where the traffic stays on this machine.
func TestBaseURLRefusesCleartextOffLoopback(t *testing.T) {
	for _, in := range []string{"http://example.com", "HTTP://tenant.audit.cyberark.cloud", "http://10.1.2.3:8080", "http://127.0.0.1.nip.io", "http://localhost.example.com"} {
		_, err := BaseURL(in)
		require.Error(t, err, in)
		assert.Contains(t, err.Error(), "uses http://, which would send the credentials in cleartext", in)
	}
	for _, in := range []string{"http://127.0.0.1:8080", "http://127.0.0.2", "http://LOCALHOST:1", "http://[::1]:9"} {
		_, err := BaseURL(in)
		assert.NoError(t, err, in)
	}
}
