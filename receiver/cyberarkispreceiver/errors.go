package cyberarkispreceiver // import "github.com/secaudit/otelcol-audit/receiver/cyberarkispreceiver"

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/secaudit/otelcol-audit/internal/httpapi"
	"github.com/secaudit/otelcol-audit/internal/poller"
)

// auditError turns a failed Audit API call into an error that names the setting to fix.
// 429, 5xx and network errors were already retried by the HTTP client and stay retryable.
func auditError(err error) error {
	var re *httpapi.RedirectError
	if errors.As(err, &re) && !poller.IsPermanent(err) {
		return poller.Permanent(fmt.Errorf("the Audit API answered the %s call with a redirect, which is not followed (%w); check endpoint: "+
			"it must be the API base URL shown on the Export to SIEM integration (e.g. https://example-domain.audit.cyberark.cloud), not a portal address", re.Op, err))
	}
	var se *httpapi.StatusError
	if poller.IsPermanent(err) || httpapi.Retryable(err) || !errors.As(err, &se) {
		return err
	}
	switch {
	case se.Status == http.StatusForbidden:
		return poller.Permanent(fmt.Errorf("the Audit API refused the API key (%w); check api_key: it must be the key of an existing Export to SIEM integration "+
			"(a deleted or re-created integration invalidates its key)", err))
	case se.Status == http.StatusNotFound:
		return poller.Permanent(fmt.Errorf("the Audit API path was not found (%w); check endpoint: it must be the API base URL shown on the Export to SIEM integration "+
			"(e.g. https://example-domain.audit.cyberark.cloud), and the integration must be active", err))
	case se.Status == http.StatusBadRequest && se.Op == opResults:
		// A cursor the API has just issued was refused: nothing to configure, try again later.
		return fmt.Errorf("the Audit API refused a new query cursor (%w)", err)
	default:
		return poller.Permanent(fmt.Errorf("the Audit API refused the %s call with HTTP %d (%w)", se.Op, se.Status, err))
	}
}

// describeBody says what a body that should have been JSON looks like, for error messages:
// typically an HTML login or proxy page. It is short and free of secrets.
func describeBody(body []byte, secrets *httpapi.Secrets) string {
	const max = 80
	// Scrub before cutting, so that a secret cut in half cannot slip through.
	s := secrets.Scrub(strings.Join(strings.Fields(string(body)), " "))
	if s == "" {
		return "an empty body"
	}
	if len(s) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	kind := "a body"
	if strings.HasPrefix(s, "<") {
		kind = "an HTML page"
	}
	return fmt.Sprintf("%s starting %q", kind, s)
}

// oauthError is the error body of the OAuth2 token endpoint (RFC 6749 section 5.2).
type oauthError struct {
	Error       string `json:"error"`
	Description string `json:"error_description"`
}

// tokenError turns a failed token request into a message that names the setting to fix.
// Retryable failures (429, 5xx, network) stay retryable.
func tokenError(err error, secrets *httpapi.Secrets) error {
	var re *httpapi.RedirectError
	if errors.As(err, &re) {
		return poller.Permanent(fmt.Errorf("the token endpoint of identity_url answered with a redirect, which is not followed (%w); "+
			"check identity_url: it must be the Identity tenant itself (e.g. https://abc1234.id.cyberark.cloud), not a portal or login address that forwards to it", err))
	}
	status := httpapi.StatusCode(err)
	if status == 0 || httpapi.Retryable(err) {
		return fmt.Errorf("requesting an access token from identity_url: %w", err)
	}
	var se *httpapi.StatusError
	errors.As(err, &se)
	var oe oauthError
	_ = json.Unmarshal([]byte(se.Body), &oe)
	reason := fmt.Sprintf("HTTP %d", status)
	if oe.Error != "" || oe.Description != "" {
		// Scrubbed again once decoded: JSON escapes such as \u0070 can spell a secret.
		reason += ": " + secrets.Scrub(strings.TrimSpace(oe.Error+" "+oe.Description))
	} else if se.Body != "" {
		reason += ": " + se.Body
	}
	return poller.Permanent(fmt.Errorf("CyberArk Identity refused the token request (%s); %s", reason, tokenHint(status, oe)))
}

// tokenHint says which setting or tenant step explains a token endpoint refusal.
func tokenHint(status int, oe oauthError) string {
	desc := strings.ToLower(oe.Description)
	switch {
	case strings.Contains(desc, "unknown app") || strings.Contains(desc, "app not found"):
		return "check web_app_id: it must equal the Application ID on the OAuth2 Server web app's Settings tab, and it is case-sensitive"
	case oe.Error == "invalid_client":
		return "check client_id and client_secret: the service user's login and password, and the user must be flagged \"is OAuth confidential client\""
	case oe.Error == "invalid_grant":
		return "enable the Client Creds auth method on the web app's Tokens tab, and check client_id and client_secret"
	case oe.Error == "invalid_scope":
		return "add the scope " + auditScope + " on the web app's Scope tab"
	case oe.Error == "unauthorized_client" || oe.Error == "access_denied" || status == http.StatusForbidden:
		return "give the service user the Run permission (with Grant, View, Automatically Deploy) on the web app's Permissions tab"
	case status == http.StatusNotFound:
		return "check identity_url (the Identity tenant, e.g. https://abc1234.id.cyberark.cloud) and web_app_id"
	default:
		return "check identity_url, web_app_id, client_id and client_secret"
	}
}
