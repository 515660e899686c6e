package cyberarkispreceiver // import "github.com/secaudit/otelcol-audit/receiver/cyberarkispreceiver"

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/secaudit/otelcol-audit/internal/failkind"
	"github.com/secaudit/otelcol-audit/internal/httpapi"
	"github.com/secaudit/otelcol-audit/internal/poller"
)

// auditError turns a failed Audit API call into an error that names the setting to fix.
// 429, 5xx and network errors were already retried by the HTTP client and stay retryable.
func auditError(err error) error {
	var re *httpapi.RedirectError
	if errors.As(err, &re) && !poller.IsPermanent(err) {
		return poller.Permanent(failkind.Tag(failkind.Connection, fmt.Errorf("the Audit API answered the %s call with a redirect, which is not followed (%w); check endpoint: "+
			"it must be the API base URL shown on the Export to SIEM integration (e.g. https://example-domain.audit.cyberark.cloud), not a portal address", re.Op, err)))
	}
	var se *httpapi.StatusError
	if poller.IsPermanent(err) || httpapi.Retryable(err) || !errors.As(err, &se) {
		return err
	}
	switch {
	case se.Status == http.StatusForbidden:
		return poller.Permanent(failkind.Tag(failkind.Authentication, fmt.Errorf("the Audit API refused the API key (%w); check api_key: it must be the key of an existing Export to SIEM integration "+
			"(a deleted or re-created integration invalidates its key)", err)))
	case se.Status == http.StatusNotFound:
		return poller.Permanent(failkind.Tag(failkind.Connection, fmt.Errorf("the Audit API path was not found (%w); check endpoint: it must be the API base URL shown on the Export to SIEM integration "+
			"(e.g. https://example-domain.audit.cyberark.cloud), and the integration must be active", err)))
	case se.Status == http.StatusBadRequest && se.Op == opResults:
		// A cursor the API has just issued was refused: nothing to configure, try again later
		// (untagged: no setting is at fault).
		return fmt.Errorf("the Audit API refused a new query cursor (%w)", err)
	case se.Status == http.StatusUnauthorized || se.Status == http.StatusPaymentRequired:
		return poller.Permanent(failkind.Tag(failkind.Authentication, fmt.Errorf("the Audit API refused the %s call with HTTP %d (%w)", se.Op, se.Status, err)))
	default:
		return poller.Permanent(fmt.Errorf("the Audit API refused the %s call with HTTP %d (%w)", se.Op, se.Status, err))
	}
}

// oauthError is the error body of the OAuth2 token endpoint (RFC 6749 section 5.2).
type oauthError struct {
	Error       string `json:"error"`
	Description string `json:"error_description"`
}

// callStatus returns the HTTP status with which the API refused the call op, 0 when err is not
// such a refusal. A refused token request is in the chain of every call's error, so the status
// alone does not tell which call was refused.
func callStatus(err error, op string) int {
	var se *httpapi.StatusError
	if errors.As(err, &se) && se.Op == op {
		return se.Status
	}
	return 0
}

// tokenError turns a failed token request into a message that names the setting to fix.
// Retryable failures (429, 5xx, network) stay retryable.
func tokenError(err error, secrets *httpapi.Secrets) error {
	var re *httpapi.RedirectError
	if errors.As(err, &re) {
		return poller.Permanent(failkind.Tag(failkind.Connection, fmt.Errorf("the token endpoint of identity_url answered with a redirect, which is not followed (%w); "+
			"check identity_url: it must be the Identity tenant itself (e.g. https://abc1234.id.cyberark.cloud), not a portal or login address that forwards to it", err)))
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
		// Scrubbed and escaped again once decoded: JSON escapes such as \u0070 can spell a
		// secret, and \u202e a bidirectional override.
		reason += ": " + httpapi.EscapeHidden(secrets.Scrub(strings.TrimSpace(oe.Error+" "+oe.Description)))
	} else if se.Body != "" {
		reason += ": " + se.Body
	}
	refused := &refusal{msg: fmt.Sprintf("CyberArk Identity refused the token request (%s); %s", reason, tokenHint(status, oe)), err: err}
	if group, ok := tokenGroup(status, oe); ok {
		return poller.Permanent(failkind.Tag(group, refused))
	}
	return poller.Permanent(refused)
}

// tokenGroup is the Troubleshooting group of a token endpoint refusal: a refused credential or
// an OAuth error code is Authentication, a missing path Connection, and a 400 without a code
// a request the tenant does not accept (Configuration).
func tokenGroup(status int, oe oauthError) (failkind.Group, bool) {
	switch {
	case oe.Error != "" || status == http.StatusUnauthorized || status == http.StatusPaymentRequired || status == http.StatusForbidden:
		return failkind.Authentication, true
	case status == http.StatusNotFound:
		return failkind.Connection, true
	case status == http.StatusBadRequest:
		return failkind.Configuration, true
	}
	return "", false
}

// refusal is a refused call told in the receiver's words, with the HTTP error it explains kept
// in the chain for errors.As (its text is already quoted in the message).
type refusal struct {
	msg string
	err error
}

func (e *refusal) Error() string { return e.msg }
func (e *refusal) Unwrap() error { return e.err }

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
