package xsoarauditreceiver

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// The checkpoint follows the data, not the reader: a rotated key keeps it.
func TestCheckpointSourceIsWhatSelectsTheData(t *testing.T) {
	base := createDefaultConfig().(*Config)
	base.ClientConfig.Endpoint = "https://api-acme.xdr.us.paloaltonetworks.com"
	base.APIKeyID, base.APIKey = "7", "key-7"
	key := func(mutate func(*Config)) []string {
		c := *base
		mutate(&c)
		return spec(&c).Source
	}
	same := map[string]func(*Config){
		"rotated key":        func(c *Config) { c.APIKeyID, c.APIKey = "8", "key-8" },
		"other level":        func(c *Config) { c.SecurityLevel = securityStandard },
		"path with a slash":  func(c *Config) { c.Path = defaultPath + "/" },
		"path in upper case": func(c *Config) { c.Path = "/PUBLIC_API/v1/audits/management_logs" },
	}
	for name, mutate := range same {
		assert.Equal(t, key(func(*Config) {}), key(mutate), name)
	}
	assert.NotEqual(t, key(func(*Config) {}), key(func(c *Config) { c.ClientConfig.Endpoint = "https://api-other.xdr.us.paloaltonetworks.com" }))
}

// An upgraded collector finds the checkpoint the previous release wrote, including on hosts the
// previous release prefixed with "api-".
func TestLegacyCheckpointSourceIsThePreviousReleasesKey(t *testing.T) {
	c := createDefaultConfig().(*Config)
	c.APIKeyID = " 7 "
	c.Path = defaultPath + "/"
	for endpoint, host := range map[string]string{
		"acme.xdr.us.paloaltonetworks.com":             "api-acme.xdr.us.paloaltonetworks.com",
		"https://api-acme.xdr.us.paloaltonetworks.com": "api-acme.xdr.us.paloaltonetworks.com",
		"xsoar.corp.example:8443":                      "api-xsoar.corp.example:8443",
		"http://127.0.0.1:9000":                        "127.0.0.1:9000",
		"http://localhost:9000":                        "localhost:9000",
	} {
		c.ClientConfig.Endpoint = endpoint
		assert.Equal(t, []string{"xsoaraudit", host, "7", defaultPath}, legacyCheckpointSource(c), endpoint)
	}
}
