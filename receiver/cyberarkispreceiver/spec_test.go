package cyberarkispreceiver

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// The checkpoint follows the data, not the reader: a rotated service user or a reordered filter
// keeps it; another tenant or another filter does not.
func TestCheckpointSourceIsWhatSelectsTheData(t *testing.T) {
	base := loadConfig(t, "all")
	key := func(mutate func(*Config)) []string {
		c := *base
		c.ApplicationCodes = append([]string(nil), base.ApplicationCodes...)
		mutate(&c)
		source, _ := c.CheckpointSource()
		return source
	}
	same := map[string]func(*Config){
		"rotated client":      func(c *Config) { c.ClientID, c.ClientSecret = "svc-new", "other-secret" },
		"new SIEM key":        func(c *Config) { c.APIKey = "rotated-key" },
		"other web app":       func(c *Config) { c.WebAppID = "OtherApp" },
		"other identity host": func(c *Config) { c.IdentityURL = "https://xyz9876.id.cyberark.cloud" },
		"reordered codes":     func(c *Config) { c.ApplicationCodes = []string{"PAM", "IDP"} },
		"repeated code":       func(c *Config) { c.ApplicationCodes = []string{"IDP", "PAM", " IDP"} },
	}
	for name, mutate := range same {
		assert.Equal(t, key(func(*Config) {}), key(mutate), name)
	}
	different := map[string]func(*Config){
		"other tenant": func(c *Config) { c.ClientConfig.Endpoint = "https://other.audit.cyberark.cloud" },
		"other filter": func(c *Config) { c.ApplicationCodes = []string{"PAM"} },
	}
	for name, mutate := range different {
		assert.NotEqual(t, key(func(*Config) {}), key(mutate), name)
	}
}

// An upgraded collector finds the checkpoint the previous release wrote: the legacy parts are
// exactly what it hashed.
func TestLegacyCheckpointSourceIsThePreviousReleasesKey(t *testing.T) {
	c := loadConfig(t, "all")
	assert.Equal(t, []string{"cyberarkisp", "example-domain.audit.cyberark.cloud", "abc1234.id.cyberark.cloud",
		c.WebAppID, c.ClientID, "IDP,PAM"}, legacyCheckpointSource(c))
}
