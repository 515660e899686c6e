package cyberarkispreceiver // import "github.com/secaudit/otelcol-audit/receiver/cyberarkispreceiver"

import (
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
