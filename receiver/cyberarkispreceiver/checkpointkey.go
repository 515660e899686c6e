package cyberarkispreceiver // import "github.com/secaudit/otelcol-audit/receiver/cyberarkispreceiver"

import (
	"slices"
	"strings"

	"github.com/secaudit/otelcol-audit/internal/httpapi"
	"github.com/secaudit/otelcol-audit/receiver/cyberarkispreceiver/internal/metadata"
)

// checkpointSource names what selects the events: the Audit API tenant and the application
// filter, as a set (order and repeats do not change what is read). Who reads them (client_id,
// web_app_id, the Identity tenant) is left out, so that rotating a service user keeps the
// checkpoint.
func checkpointSource(c *Config) []string {
	audit, _ := httpapi.BaseURL(c.ClientConfig.Endpoint) // checked by Validate
	return []string{metadata.Type.String(), "endpoint=" + audit.Host, "application_codes=" + strings.Join(canonicalCodes(c.ApplicationCodes), ",")}
}

func canonicalCodes(codes []string) []string {
	out := make([]string, 0, len(codes))
	for _, code := range codes {
		out = append(out, strings.TrimSpace(code))
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// legacyCheckpointSource is what releases up to 0.1 keyed the checkpoint with, so that an
// upgraded collector finds it (and moves it to checkpointSource's key).
func legacyCheckpointSource(c *Config) []string {
	audit, _ := httpapi.BaseURL(c.ClientConfig.Endpoint)
	identity, _ := httpapi.BaseURL(c.IdentityURL)
	return []string{metadata.Type.String(), audit.Host, identity.Host, c.WebAppID, c.ClientID, strings.Join(c.ApplicationCodes, ",")}
}
