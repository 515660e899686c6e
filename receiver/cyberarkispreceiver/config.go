package cyberarkispreceiver // import "github.com/secaudit/otelcol-audit/receiver/cyberarkispreceiver"

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/confmap"

	"github.com/secaudit/otelcol-audit/internal/confkeys"
	"github.com/secaudit/otelcol-audit/internal/httpapi"
	"github.com/secaudit/otelcol-audit/internal/poller"
)

// maxPageSize is the largest pageSize createQuery accepts; above it the API answers 400.
const maxPageSize = 500

// reservedHeaders carry the credentials; the receiver sets them on every request.
var reservedHeaders = []string{"Authorization", "x-api-key"}

// Config is the configuration of the cyberarkisp receiver.
type Config struct {
	// ClientConfig is a named field, not an embedded one: confighttp.ClientConfig (v0.161 on) has an
	// Unmarshal method that, once promoted, would silently drop every other key of this struct.
	ClientConfig confighttp.ClientConfig `mapstructure:",squash"`
	Poll         poller.Config           `mapstructure:",squash"`

	// IdentityURL is the CyberArk Identity tenant that issues OAuth2 tokens.
	IdentityURL string `mapstructure:"identity_url"`
	// WebAppID is the Application ID of the OAuth2 Server web app (case-sensitive).
	WebAppID string `mapstructure:"web_app_id"`
	// ClientID is the service user (an OAuth confidential client).
	ClientID string `mapstructure:"client_id"`
	// ClientSecret is the service user's password.
	ClientSecret configopaque.String `mapstructure:"client_secret"`
	// APIKey is the key of the "Export to SIEM" integration.
	APIKey configopaque.String `mapstructure:"api_key"`
	// PageSize is the number of events per results page, 1 to 500.
	PageSize int `mapstructure:"page_size"`
	// ApplicationCodes filters events by application on the server side (IDP, PAM, ...).
	ApplicationCodes []string `mapstructure:"application_codes"`

	_ struct{}
}

// Unmarshal refuses keys this receiver does not define, naming them, before decoding.
func (c *Config) Unmarshal(conf *confmap.Conf) error {
	return confkeys.HideSecrets(c.Poll.WithChecks(confkeys.Unmarshal(conf, c)), poller.SecretValues(c))
}

// Validate checks the configuration, naming the key at fault.
func (c *Config) Validate() error {
	errs := []error{c.Poll.Check(time.Now())}
	errs = append(errs, httpapi.CheckClientSettings(&c.ClientConfig, reservedHeaders...)...)
	if _, err := httpapi.BaseURL(c.ClientConfig.Endpoint); err != nil {
		errs = append(errs, fmt.Errorf("endpoint (the Audit API base URL of the Export to SIEM integration) %w", err))
	}
	if _, err := httpapi.BaseURL(c.IdentityURL); err != nil {
		errs = append(errs, fmt.Errorf("identity_url (the CyberArk Identity tenant URL) %w", err))
	}
	if err := httpapi.CheckProxyURL(c.ClientConfig.ProxyURL); err != nil {
		errs = append(errs, err)
	}
	// In the order the README lists them, the same at every run.
	for _, req := range []struct{ key, value string }{
		{"web_app_id", c.WebAppID}, {"client_id", c.ClientID},
		{"client_secret", string(c.ClientSecret)}, {"api_key", string(c.APIKey)},
	} {
		if strings.TrimSpace(req.value) == "" {
			errs = append(errs, fmt.Errorf("%s is required", req.key))
		}
	}
	if c.PageSize < 1 || c.PageSize > maxPageSize {
		errs = append(errs, fmt.Errorf("page_size must be between 1 and %d, got %d", maxPageSize, c.PageSize))
	}
	for _, code := range c.ApplicationCodes {
		if strings.TrimSpace(code) == "" {
			errs = append(errs, errors.New("application_codes must not hold empty values"))
			break
		}
	}
	return confkeys.HideSecrets(errors.Join(errs...), poller.SecretValues(c))
}
