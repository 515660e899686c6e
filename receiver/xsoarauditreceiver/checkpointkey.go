package xsoarauditreceiver // import "github.com/secaudit/otelcol-audit/receiver/xsoarauditreceiver"

import (
	"net"
	"strings"

	"github.com/secaudit/otelcol-audit/internal/httpapi"
	"github.com/secaudit/otelcol-audit/receiver/xsoarauditreceiver/internal/metadata"
)

// checkpointSource names what selects the records: the API host and the path (with or without
// its trailing slash, in any case, it names the same records). The key ID is left out, so that
// rotating an expiring API key keeps the checkpoint.
func checkpointSource(c *Config) []string {
	origin, _ := apiOrigin(c.ClientConfig.Endpoint) // checked by Validate
	return []string{metadata.Type.String(), "endpoint=" + origin.Host, "path=" + canonicalPath(c.Path)}
}

func canonicalPath(path string) string {
	return strings.TrimRight(strings.ToLower(path), "/")
}

// legacyCheckpointSource is what releases up to 0.1 keyed the checkpoint with, so that an
// upgraded collector finds it (and moves it to checkpointSource's key). Those releases put
// "api-" before every host name, which is kept here as it was.
func legacyCheckpointSource(c *Config) []string {
	u, _ := httpapi.BaseURL(c.ClientConfig.Endpoint)
	host := u.Host
	if name := u.Hostname(); !strings.HasPrefix(name, "api-") && strings.Contains(name, ".") && net.ParseIP(name) == nil {
		host = "api-" + host
	}
	return []string{metadata.Type.String(), host, strings.TrimSpace(c.APIKeyID), canonicalPath(c.Path)}
}
