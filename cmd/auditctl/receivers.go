package main

import (
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/receiver"

	"github.com/secaudit/otelcol-audit/internal/poller"
	"github.com/secaudit/otelcol-audit/receiver/cyberarkispreceiver"
	"github.com/secaudit/otelcol-audit/receiver/xsoarauditreceiver"
)

// kind is what auditctl knows about one receiver type: how the collector builds its
// configuration, how to reach its client code, and what to advise for each kind of failure.
type kind struct {
	factory receiver.Factory
	spec    poller.Spec
	// hints completes the receiver's own error message with the checklist of its group, drawn
	// from the Troubleshooting section of the receiver's README.
	hints map[group]string
}

// kinds are the audit receivers of this distribution, by type.
var kinds = map[component.Type]kind{
	cyberarkispreceiver.NewFactory().Type(): {
		factory: cyberarkispreceiver.NewFactory(),
		spec:    cyberarkispreceiver.PollerSpec(),
		hints: map[group]string{
			groupAuth: "CyberArk checks two credentials: the service user's OAuth2 token, which identity_url issues for " +
				"web_app_id, client_id and client_secret, and the Export to SIEM api_key, which the Audit API at endpoint checks. " +
				"The message names the one refused (receiver/cyberarkispreceiver/README.md, Troubleshooting > Authentication).",
			groupConn: "Check endpoint (the Audit API base URL shown on the Export to SIEM integration, not the Identity or portal URL), " +
				"identity_url (https://<tenant>.id.cyberark.cloud), DNS and firewall rules from this host, proxy_url, " +
				"and tls.ca_file behind a TLS-inspecting proxy.",
			groupMissing: "The credentials work but the query found no events in the window: widen --from, check application_codes " +
				"(a server-side filter), and that the activity you expect is audited on this tenant. " +
				"The receiver's start_time only applies when it has no checkpoint.",
			groupOther: "See Troubleshooting in receiver/cyberarkispreceiver/README.md; --verbose shows the receiver's own logs (retries, warnings).",
		},
	},
	xsoarauditreceiver.NewFactory().Type(): {
		factory: xsoarauditreceiver.NewFactory(),
		spec:    xsoarauditreceiver.PollerSpec(),
		hints: map[group]string{
			groupAuth: "Check that api_key and api_key_id are correct and belong together (api_key_id is the number in the ID column " +
				"of Settings > API Keys), that the key has not expired, was created on this tenant, and has the security_level " +
				"configured, and that its role may view management audit logs. HTTP 402 means the tenant's licence lacks the public API.",
			groupConn: "Check endpoint (the tenant FQDN from Settings > API Keys > Copy URL), path (default " +
				"/public_api/v1/audits/management_logs), DNS and firewall rules for the api- host from this host, proxy_url, and tls settings.",
			groupMissing: "The credentials work but nothing was logged in the window: widen --from, check that audit logging is on " +
				"(the console's Management Audit Logs page for the same period) and that the key's role may see those logs. " +
				"The receiver's start_time only applies when it has no checkpoint.",
			groupOther: "See Troubleshooting in receiver/xsoarauditreceiver/README.md; --verbose shows the receiver's own logs (retries, warnings).",
		},
	},
}

// clientHint is the advice when the receiver's HTTP client cannot be built: auditctl builds it
// as the receiver does, but outside a collector, so without extensions.
const clientHint = "The HTTP client settings of the receiver (endpoint, proxy_url, tls, headers, auth) cannot be used as they are. " +
	"Files named under tls must be readable from this host. auth and middlewares need a collector's extensions, " +
	"which auditctl does not run: check such a receiver from a collector."

// diagnoseClient explains a failure to build the receiver's HTTP client or source.
func (k kind) diagnoseClient(err error) diagnosis {
	d := k.diagnose(groupConfig, err)
	d.Hint = clientHint
	return d
}

// hint returns the advice for a failure of group g.
func (k kind) hint(g group) string {
	switch g {
	case groupConfig:
		return "Fix the setting named in the message in the collector configuration."
	case groupPush:
		return "The records were read; check the --push endpoint (an OTLP/HTTP receiver's base URL, e.g. http://localhost:4318)."
	}
	if h, ok := k.hints[g]; ok {
		return h
	}
	return k.hints[groupOther]
}
