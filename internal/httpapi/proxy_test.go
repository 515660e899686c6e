package httpapi

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestCheckProxyURLRefusesCredentials(t *testing.T) {
	for _, ok := range []string{"", "http://127.0.0.1:3128", "proxy.internal:8080", "https://proxy.internal"} {
		assert.NoError(t, CheckProxyURL(ok), ok)
	}
	for bad, secret := range map[string]string{
		"http://user:Pr0xy-Pass@127.0.0.1:3128": "Pr0xy-Pass", "http://Token-Only@proxy:1": "Token-Only",
		"user:P/ss#x@proxy:1": "P/ss#x", "http://u:P%40ss@proxy": "P%40ss",
	} {
		err := CheckProxyURL(bad)
		if assert.ErrorIs(t, err, ErrProxyCredentials, bad) {
			assert.Contains(t, err.Error(), "proxy_url")
			assert.Contains(t, err.Error(), "HTTPS_PROXY")
			assert.NotContains(t, err.Error(), secret, "the message quotes nothing of the URL")
		}
	}
}

func TestProxyPasswordsFromTheSettingAndTheEnvironment(t *testing.T) {
	for _, name := range proxyEnv {
		t.Setenv(name, "")
	}
	t.Setenv("HTTPS_PROXY", "http://svc:Env-Pass-1@127.0.0.1:3128")
	t.Setenv("http_proxy", "http://Token-Only-2@127.0.0.1:3128")
	got := ProxyPasswords("http://user:p%40ss-3@127.0.0.1:3128")
	assert.ElementsMatch(t, []string{"p%40ss-3", "p@ss-3", "Env-Pass-1", "Token-Only-2"}, got)
	assert.ElementsMatch(t, []string{"Env-Pass-1", "Token-Only-2"}, ProxyPasswords(""))
}
