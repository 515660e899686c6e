package xsoarauditreceiver // import "github.com/secaudit/otelcol-audit/receiver/xsoarauditreceiver"

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/confmap"

	"github.com/secaudit/otelcol-audit/internal/confkeys"
	"github.com/secaudit/otelcol-audit/internal/httpapi"
	"github.com/secaudit/otelcol-audit/internal/poller"
)

const (
	// maxPageSize is the largest window the API serves: 0 < search_to - search_from <= 100.
	maxPageSize = 100
	// defaultPath is where every working XSOAR 8 caller finds the management audit logs.
	defaultPath = "/public_api/v1/audits/management_logs"
	// agentsReportsPath is where XDR and XSIAM tenants serve the agents' audit reports.
	agentsReportsPath = "/public_api/v1/audits/agents_reports"
	// maxSettleDelay: each poll reads only records older than settle_delay, so a longer delay
	// holds back every record that long.
	maxSettleDelay = time.Hour
	// vendorDomain is the Cortex tenants' domain, where the API host is the console host with
	// an "api-" prefix.
	vendorDomain = ".paloaltonetworks.com"

	securityStandard = "standard"
	securityAdvanced = "advanced"
)

// Config is the configuration of the xsoaraudit receiver.
type Config struct {
	// ClientConfig is a named field, not an embedded one: confighttp.ClientConfig (v0.161 on) has an
	// Unmarshal method that, once promoted, would silently drop every other key of this struct.
	ClientConfig confighttp.ClientConfig `mapstructure:",squash"`
	Poll         poller.Config           `mapstructure:",squash"`

	// APIKeyID is the number in the ID column of the API Keys page (sent as x-xdr-auth-id).
	APIKeyID string `mapstructure:"api_key_id"`
	// APIKey is the key itself.
	APIKey configopaque.String `mapstructure:"api_key"`
	// SecurityLevel is the level the key was created with: advanced or standard.
	SecurityLevel string `mapstructure:"security_level"`
	// PageSize is the number of records per request, 1 to 100.
	PageSize int `mapstructure:"page_size"`
	// SettleDelay keeps each poll's upper bound this far behind now, so that records inserted
	// a little late still fall after the checkpoint.
	SettleDelay time.Duration `mapstructure:"settle_delay"`
	// Path is the request path on the API host, for tenants that serve it elsewhere. It
	// defaults to the path of LogType.
	Path string `mapstructure:"path"`
	// LogType is the audit trail read: management (the management audit log) or agents_reports
	// (the agents' audit reports of XDR and XSIAM tenants).
	LogType string `mapstructure:"log_type"`
	// Product is the Cortex product of the tenant, as the user states it: xsoar, xdr, xsiam or
	// xpanse. Optional: the API host tells only the product family.
	Product string `mapstructure:"product"`

	_ struct{}
}

// Unmarshal refuses keys this receiver does not define, naming them, before decoding. A path
// left out follows log_type.
func (c *Config) Unmarshal(conf *confmap.Conf) error {
	if err := confkeys.Unmarshal(conf, c); err != nil {
		return confkeys.HideSecrets(c.Poll.WithChecks(err), poller.SecretValues(c))
	}
	if k, ok := logKinds[strings.ToLower(c.LogType)]; ok && !conf.IsSet("path") {
		c.Path = k.path
	}
	return nil
}

// Validate checks the configuration, naming the key at fault.
func (c *Config) Validate() error {
	errs := []error{c.Poll.Check(time.Now())}
	errs = append(errs, httpapi.CheckClientSettings(&c.ClientConfig, headerAuthID, headerNonce, headerTimestamp, "Authorization")...)
	if _, err := apiOrigin(c.ClientConfig.Endpoint); err != nil {
		errs = append(errs, fmt.Errorf("endpoint (the tenant FQDN from Settings > API Keys) %w", err))
	}
	if err := httpapi.CheckProxyURL(c.ClientConfig.ProxyURL); err != nil {
		errs = append(errs, err)
	}
	if id := strings.TrimSpace(c.APIKeyID); id == "" {
		errs = append(errs, errors.New("api_key_id is required (the ID column of the API Keys page)"))
	} else if n, err := strconv.ParseUint(id, 10, 63); err != nil || n == 0 {
		// Not echoed: a key pasted into the wrong setting would show in the message.
		errs = append(errs, errors.New("api_key_id must be the number in the ID column of the API Keys page (1 or more)"))
	}
	if strings.TrimSpace(string(c.APIKey)) == "" {
		errs = append(errs, errors.New("api_key is required"))
	}
	switch strings.ToLower(c.SecurityLevel) {
	case securityStandard, securityAdvanced:
	default:
		errs = append(errs, fmt.Errorf("security_level must be %q or %q, as the key was created, got %s", securityAdvanced, securityStandard, confkeys.Quote(c.SecurityLevel)))
	}
	if c.PageSize < 1 || c.PageSize > maxPageSize {
		errs = append(errs, fmt.Errorf("page_size must be between 1 and %d, got %d", maxPageSize, c.PageSize))
	}
	if c.SettleDelay < 0 || c.SettleDelay > maxSettleDelay {
		errs = append(errs, fmt.Errorf("settle_delay must be between 0s and %s, got %s", maxSettleDelay, c.SettleDelay))
	}
	if !strings.HasPrefix(c.Path, "/") || strings.ContainsAny(c.Path, "?# \t") {
		errs = append(errs, fmt.Errorf("path must start with / and hold no query, fragment or space, got %q", c.Path))
	}
	errs = append(errs, c.checkLogType()...)
	return confkeys.HideSecrets(errors.Join(errs...), poller.SecretValues(c))
}

// apiOrigin finds the API host from what users paste: a bare FQDN, https://host, a URL with
// /xsoar/public/v1/, or the console host of a Cortex tenant, which gets the "api-" prefix of
// its API host. Any other host (a proxy, an on-premises name, the simulator) is used as
// written. It returns scheme and host only.
func apiOrigin(endpoint string) (*url.URL, error) {
	u, err := httpapi.BaseURL(endpoint)
	if err != nil {
		return nil, err
	}
	u.Path = ""
	if host := u.Hostname(); strings.HasSuffix(host, vendorDomain) && !strings.HasPrefix(host, "api-") {
		u.Host = "api-" + u.Host
	}
	return u, nil
}
