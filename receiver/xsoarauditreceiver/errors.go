package xsoarauditreceiver // import "github.com/secaudit/otelcol-audit/receiver/xsoarauditreceiver"

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/secaudit/otelcol-audit/internal/failkind"
	"github.com/secaudit/otelcol-audit/internal/httpapi"
	"github.com/secaudit/otelcol-audit/internal/poller"
)

// hintError is an API failure told in the user's terms (which setting to check), keeping the
// original error underneath for errors.As.
type hintError struct {
	msg string
	err error
}

func (e *hintError) Error() string { return e.msg }
func (e *hintError) Unwrap() error { return e.err }

// replyError is an error the API reported inside a 200 reply (reply.err_code / err_msg, or a
// root-level "error").
type replyError struct {
	Code string // err_code as sent, "" when absent
	Msg  string
}

func (e *replyError) Error() string {
	switch {
	case e.Code != "" && e.Msg != "":
		return fmt.Sprintf("the API answered with error %s: %s", e.Code, e.Msg)
	case e.Code != "":
		return "the API answered with error " + e.Code
	default:
		return "the API answered with an error: " + e.Msg
	}
}

// explain turns a failed call into an error that names the setting to fix, tagged with its
// Troubleshooting group. 401, 402, 403 and 404 cannot heal by themselves and are marked
// permanent; everything else is retried at the next poll.
func (s *source) explain(err error) error {
	var redirect *httpapi.RedirectError
	if errors.As(err, &redirect) {
		return poller.Permanent(failkind.Tag(failkind.Connection, &hintError{err: err, msg: fmt.Sprintf(
			"%s %s: %s. Check endpoint: it must be the API host (the tenant FQDN from Settings > API Keys > Copy URL), "+
				"not the web UI or an address that forwards to it", http.MethodPost, s.url, err)}))
	}
	status, serverMsg, what := 0, "", ""
	var se *httpapi.StatusError
	var re *replyError
	switch {
	case errors.As(err, &se):
		status, serverMsg = se.Status, errMsgOf(se.Body)
		if serverMsg == "" {
			serverMsg = se.Body
		}
		what = fmt.Sprintf("HTTP %d %s", status, http.StatusText(status))
	case errors.As(err, &re):
		status, _ = strconv.Atoi(re.Code)
		serverMsg = re.Msg
		what = "HTTP 200 with an error reply"
		if re.Code != "" {
			what = "HTTP 200 with error " + strconv.Quote(re.Code)
		}
	default:
		return fmt.Errorf("%s %s: %w", http.MethodPost, s.url, err)
	}
	if serverMsg != "" {
		what += fmt.Sprintf(" (%q)", httpapi.Quote(serverMsg, 200, s.secrets))
	}
	what = fmt.Sprintf("%s %s: %s", http.MethodPost, s.url, what)
	// Keep the HTTP client's account of its retries ("gave up after N attempts in …").
	var gaveUp *httpapi.GaveUpError
	if errors.As(err, &gaveUp) {
		what += " (" + gaveUp.Account() + ")"
	}
	k := kindOf(s.logType)
	switch status {
	case http.StatusUnauthorized:
		clock := ""
		if s.auth.advanced {
			clock = ", and that this host's clock is right (an advanced key signs the current time)"
		}
		return poller.Permanent(failkind.Tag(failkind.Authentication, &hintError{err: err, msg: fmt.Sprintf(
			"%s: the API refused the credentials. Check api_key and api_key_id (the ID column of Settings > API Keys), "+
				"that the key has not expired or been revoked, that security_level (%q) matches the security level the key was created with%s",
			what, s.level, clock)}))
	case http.StatusPaymentRequired:
		return poller.Permanent(failkind.Tag(failkind.Authentication, &hintError{err: err, msg: what + licenceHint(k)}))
	case http.StatusForbidden:
		return poller.Permanent(failkind.Tag(failkind.Authentication, &hintError{err: err, msg: what +
			": the API key's role lacks the permission to view " + k.what + "; give the key (Settings > API Keys) a role that may view them"}))
	case http.StatusNotFound:
		return poller.Permanent(failkind.Tag(failkind.Connection, &hintError{err: err, msg: fmt.Sprintf(
			"%s: no such API. Check endpoint (the tenant FQDN from Settings > API Keys > Copy URL), path (%q; default %q) and log_type (%q)%s",
			what, s.path, k.path, k.name, servedBy(k))}))
	case http.StatusBadRequest:
		return failkind.Tag(failkind.Configuration, &hintError{err: err,
			msg: what + ": the API rejected the query; if this persists, check path and page_size (at most 100)"})
	case http.StatusInternalServerError:
		return failkind.Tag(failkind.Connection, &hintError{err: err, msg: fmt.Sprintf(
			"%s: the API keeps failing. The API also answers 500 to a wrong path or endpoint: if this persists, check path (%q; default %q) and endpoint",
			what, s.path, k.path)})
	}
	if se == nil {
		return &hintError{err: err, msg: what}
	}
	return err
}

// licenceHint explains a 402 for the trail read.
func licenceHint(k *logKind) string {
	return ": the tenant's licence does not include this API; " + k.what + " need a licence with public API access" + servedBy(k)
}

// servedBy names the products that serve a trail that not every Cortex product has.
func servedBy(k *logKind) string {
	if k.products == nil {
		return ""
	}
	return "; only Cortex " + productNames(k.products) + " tenants serve the " + k.what
}

// errMsgOf returns reply.err_msg (or a root-level error text) from an error body, or "".
func errMsgOf(body string) string {
	var doc struct {
		Reply struct {
			ErrMsg any `json:"err_msg"`
		} `json:"reply"`
		Error any `json:"error"`
	}
	if json.Unmarshal([]byte(body), &doc) != nil {
		return ""
	}
	for _, v := range []any{doc.Reply.ErrMsg, doc.Error} {
		switch m := v.(type) {
		case string:
			if m != "" {
				return m
			}
		case map[string]any:
			if s, ok := m["message"].(string); ok && s != "" {
				return s
			}
		}
	}
	return ""
}
