package main

import (
	"errors"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/secaudit/otelcol-audit/internal/httpapi"
)

// group is the kind of failure, as the receivers' Troubleshooting sections group them: each
// group has its own checklist (see kind.hints).
type group string

const (
	groupConfig  group = "configuration"
	groupAuth    group = "authentication"
	groupConn    group = "connection"
	groupMissing group = "missing data"
	groupPush    group = "push"
	groupOther   group = "error"
)

// diagnosis is a failure told to the user: the receiver's own message, its group, and what to
// check. It is printed as is, or as JSON.
type diagnosis struct {
	Group group  `json:"group"`
	Error string `json:"error"`
	Hint  string `json:"hint"`
}

func (k kind) diagnose(g group, err error) diagnosis {
	return diagnosis{Group: g, Error: err.Error(), Hint: k.hint(g)}
}

// statusInText finds the HTTP status of an error that carries it only in its text: the
// cyberarkisp token errors quote the status ("refused the token request (HTTP 401: …") without
// wrapping the HTTP error, and an xsoaraudit reply can carry its status as an err_code in a
// 200 ("HTTP 200 with error "403"").
var statusInText = regexp.MustCompile(`HTTP (\d{3})|with error "(\d{3})"`)

// oauthErrors are the RFC 6749 error codes: a 400 that names one is a credential refusal,
// not a malformed query.
var oauthErrors = []string{"invalid_client", "invalid_grant", "invalid_scope", "invalid_request", "unauthorized_client", "access_denied"}

// notTheAPI are the receivers' words for a 200 answer that is not their API's reply: an HTML
// login or proxy page, a token endpoint without a token. It means a wrong host or a proxy.
var notTheAPI = []string{"HTML", "not JSON", "not a JSON", "without an access_token", "without a cursorRef", `no "reply" object`}

// classify says which group a failed fetch belongs to, from the HTTP status when there is one.
func classify(err error) group {
	var ne *httpapi.NetworkError
	switch status := statusOf(err); {
	case status == http.StatusUnauthorized || status == http.StatusPaymentRequired || status == http.StatusForbidden:
		return groupAuth
	case status == http.StatusBadRequest && containsAny(err.Error(), oauthErrors):
		return groupAuth
	case status == http.StatusBadRequest:
		return groupConfig // the query itself was refused: page_size, filters, path
	case status == http.StatusNotFound || status == http.StatusTooManyRequests || status >= 500:
		// Both APIs answer a wrong path with 404 or 500; a 429 or 5xx that outlasted the
		// retries is the network path or the service, not a setting of the query.
		return groupConn
	case status != 0:
		return groupOther
	case errors.As(err, &ne):
		return groupConn // DNS, refused, reset, TLS, timeout
	case containsAny(err.Error(), notTheAPI):
		return groupConn
	}
	return groupOther
}

// statusOf returns the first non-2xx HTTP status err carries, 0 when none.
func statusOf(err error) int {
	if s := httpapi.StatusCode(err); s != 0 {
		return s
	}
	for _, m := range statusInText.FindAllStringSubmatch(err.Error(), -1) {
		code, _ := strconv.Atoi(m[1] + m[2])
		if code >= 300 {
			return code
		}
	}
	return 0
}

func containsAny(s string, parts []string) bool {
	for _, p := range parts {
		if strings.Contains(s, p) {
			return true
		}
	}
	return false
}
