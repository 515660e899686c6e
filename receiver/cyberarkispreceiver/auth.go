package cyberarkispreceiver // import "github.com/secaudit/otelcol-audit/receiver/cyberarkispreceiver"

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/collector/config/configopaque"
	"go.uber.org/zap"

	"github.com/secaudit/otelcol-audit/internal/failkind"
	"github.com/secaudit/otelcol-audit/internal/httpapi"
	"github.com/secaudit/otelcol-audit/internal/poller"
)

const (
	// auditScope is the scope the OAuth2 Server web app must define for the Audit API.
	auditScope = "isp.audit.events:read"
	// defaultTokenLifetime applies when the token response carries no expires_in: the
	// Identity default for web apps is six hours.
	defaultTokenLifetime = 6 * time.Hour
	// renewMargin is how long before expiry a token is renewed, so that a request never
	// leaves with a token that expires on the way.
	renewMargin = time.Minute
	opToken     = "token"
)

// tokenSource obtains and caches the OAuth2 access token of the service user.
// Tokens are not refreshed with a refresh token (Identity issues none for client
// credentials): a new one is requested.
type tokenSource struct {
	api          *httpapi.Client
	url          string
	clientID     string
	clientSecret configopaque.String
	secrets      *httpapi.Secrets // the HTTP client's: each token issued joins it
	logger       *zap.Logger
	now          func() time.Time

	mu      sync.Mutex
	token   string // the Authorization header value, "Bearer <jwt>"
	renewAt time.Time
}

func newTokenSource(api *httpapi.Client, identity *url.URL, c *Config, logger *zap.Logger) *tokenSource {
	u := *identity
	u.Path += "/OAuth2/Token/" + url.PathEscape(c.WebAppID)
	return &tokenSource{
		api:          api,
		url:          u.String(),
		clientID:     c.ClientID,
		clientSecret: c.ClientSecret,
		secrets:      api.Secrets(),
		logger:       logger,
		now:          time.Now,
	}
}

// get returns the Authorization header value, requesting a token when none is cached or the
// cached one is about to expire.
func (t *tokenSource) get(ctx context.Context) (string, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.token != "" && t.now().Before(t.renewAt) {
		return t.token, nil
	}
	token, lifetime, err := t.request(ctx)
	if err != nil {
		return "", err
	}
	t.token = token
	t.renewAt = t.now().Add(lifetime - renewBefore(lifetime))
	t.logger.Debug("Obtained a CyberArk Identity access token", zap.Duration("lifetime", lifetime))
	return t.token, nil
}

// invalidate drops the cached token if it is still the one the Audit API refused, so that
// the next get requests a new one (another caller may already have renewed it).
func (t *tokenSource) invalidate(token string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.token == token {
		t.token = ""
	}
}

// renewBefore returns how long before expiry a token of that lifetime is renewed: 60 s, or a
// tenth of the lifetime when that is shorter, so that short-lived tokens are still used.
func renewBefore(lifetime time.Duration) time.Duration {
	return min(renewMargin, lifetime/10)
}

type tokenResponse struct {
	AccessToken string          `json:"access_token"`
	TokenType   string          `json:"token_type"`
	ExpiresIn   json.RawMessage `json:"expires_in"`
}

func (t *tokenSource) request(ctx context.Context) (string, time.Duration, error) {
	form := url.Values{
		"grant_type":    {"client_credentials"},
		"scope":         {auditScope},
		"client_id":     {t.clientID},
		"client_secret": {string(t.clientSecret)},
	}.Encode()
	resp, err := t.api.Do(ctx, opToken, func(ctx context.Context) (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.url, strings.NewReader(form))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Accept", "application/json")
		return req, nil
	})
	if err != nil {
		return "", 0, tokenError(err, t.secrets)
	}
	var tr tokenResponse
	if err := json.Unmarshal(resp.Body, &tr); err != nil || tr.AccessToken == "" {
		// A 200 without a token is typically a login or proxy page: identity_url is not the
		// Identity tenant. Retried, as a proxy page may be transient.
		return "", 0, failkind.Tag(failkind.Connection, fmt.Errorf("the token endpoint of identity_url answered without an access_token (%s); check identity_url (e.g. https://abc1234.id.cyberark.cloud)",
			httpapi.DescribeBody(resp.Body, t.secrets)))
	}
	if tt := tr.TokenType; tt != "" && !strings.EqualFold(tt, "bearer") {
		return "", 0, poller.Permanent(fmt.Errorf("the token endpoint issued a %q token, the Audit API needs a bearer token; set the web app's Token Type to jwtRS256", tt))
	}
	// Before the token is used: a server that echoes the Authorization header, or the token
	// alone, in an error body then shows [REDACTED].
	t.secrets.Rotate(opToken, tr.AccessToken)
	return "Bearer " + tr.AccessToken, lifetime(tr.ExpiresIn), nil
}

// lifetime reads expires_in, a number of seconds sent as a JSON number or string.
func lifetime(raw json.RawMessage) time.Duration {
	s := strings.Trim(strings.TrimSpace(string(raw)), `"`)
	secs, err := strconv.ParseFloat(s, 64)
	if err != nil || secs <= 0 || secs > 366*24*3600 {
		return defaultTokenLifetime
	}
	return time.Duration(secs * float64(time.Second))
}
