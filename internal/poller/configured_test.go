package poller

import (
	"go.opentelemetry.io/collector/config/confighttp"
)

// testConfig is a receiver configuration for the engine's own tests.
type testConfig struct {
	http   confighttp.ClientConfig
	poll   Config
	tenant string
}

func newTestConfig() *testConfig {
	return &testConfig{http: confighttp.NewDefaultClientConfig(), poll: NewDefaultConfig(), tenant: "tenant.example"}
}

func (c *testConfig) PollSettings() *Config                  { return &c.poll }
func (c *testConfig) HTTPSettings() *confighttp.ClientConfig { return &c.http }
func (c *testConfig) RateLimitKey() string                   { return c.tenant }
func (c *testConfig) CheckpointSource() ([]string, [][]string) {
	return []string{"test", c.tenant}, nil
}
func (c *testConfig) RecordsPerPage() int { return 100 }
