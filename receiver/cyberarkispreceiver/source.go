package cyberarkispreceiver // import "github.com/secaudit/otelcol-audit/receiver/cyberarkispreceiver"

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/receiver"
	"go.uber.org/zap"

	"github.com/secaudit/otelcol-audit/internal/httpapi"
	"github.com/secaudit/otelcol-audit/internal/poller"
)

const (
	opCreateQuery = "createQuery"
	opResults     = "results"
)

// source opens queries against one Audit API tenant. It is shared by the queries the engine
// opens one after the other, so it holds only what outlives a query: the token cache and the
// settings.
type source struct {
	api        *httpapi.Client
	tokens     *tokenSource
	logger     *zap.Logger
	createURL  string
	resultsURL string
	apiKey     configopaque.String
	telemetry  string
	pageSize   int
	appCodes   []string
	conv       *converter
}

// newSource builds the source; it does no I/O, so Start never waits on the network.
func newSource(c *Config, api *httpapi.Client, set receiver.Settings) (poller.Source, error) {
	audit, err := httpapi.BaseURL(c.ClientConfig.Endpoint)
	if err != nil {
		return nil, fmt.Errorf("endpoint %w", err)
	}
	identity, err := httpapi.BaseURL(c.IdentityURL)
	if err != nil {
		return nil, fmt.Errorf("identity_url %w", err)
	}
	if c.Poll.PollInterval < time.Minute {
		set.Logger.Warn("poll_interval is below one minute; the Audit API is reported to accept about one createQuery per minute per API key",
			zap.Duration("poll_interval", c.Poll.PollInterval))
	}
	version := set.BuildInfo.Version
	if version == "" {
		version = "unknown"
	}
	return &source{
		api:        api,
		tokens:     newTokenSource(api, identity, c, set.Logger),
		logger:     set.Logger,
		createURL:  audit.JoinPath("api/audits/stream/createQuery").String(),
		resultsURL: audit.JoinPath("api/audits/stream/results").String(),
		apiKey:     c.APIKey,
		// Informational only: lets CyberArk see which integration calls the API, as the
		// vendor-affiliated SIEM clients do.
		telemetry: base64.StdEncoding.EncodeToString([]byte(
			"in=otelcol-audit&it=SIEM&iv=" + url.QueryEscape(version) + "&vn=OpenTelemetry")),
		pageSize: c.PageSize,
		appCodes: c.ApplicationCodes,
		conv:     newConverter(audit.Host, version, c.PageSize, api.Secrets()),
	}, nil
}

// Open returns a query for the events at or after from's second.
func (s *source) Open(from time.Time) poller.Query {
	return &query{src: s, from: from, newest: from, prev: from}
}

// post sends one Audit API call with a bearer token. A 401 renews the token once: tokens can
// be revoked, or expire early when the web app's lifetime was shortened. A second 401 in a row
// means the token itself is not accepted, which only the tenant configuration can fix.
func (s *source) post(ctx context.Context, op, target string, body []byte) (*httpapi.Response, error) {
	for renewed := false; ; renewed = true {
		token, err := s.tokens.get(ctx)
		if err != nil {
			return nil, err
		}
		resp, err := s.api.Do(ctx, op, func(ctx context.Context) (*http.Request, error) {
			req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
			if err != nil {
				return nil, err
			}
			req.Header.Set("Authorization", token)
			req.Header.Set("x-api-key", string(s.apiKey))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Accept", "application/json")
			req.Header.Set("x-cybr-telemetry", s.telemetry)
			return req, nil
		})
		if httpapi.StatusCode(err) != http.StatusUnauthorized {
			return resp, err
		}
		if renewed {
			return nil, poller.Permanent(fmt.Errorf("the Audit API refused a freshly issued access token (%w); "+
				"check the Advanced tab of the OAuth2 Server web app (web_app_id): its script must set the claims tenant_id and aud (cyberark.isp.audit), "+
				"and that the service user (client_id) has Grant, View, Run and Automatically Deploy permissions on the web app", err))
		}
		s.logger.Info("The Audit API refused the access token; requesting a new one", zap.String("call", op))
		s.tokens.invalidate(token)
	}
}
