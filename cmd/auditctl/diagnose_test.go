package main

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/secaudit/otelcol-audit/internal/httpapi"
	"github.com/secaudit/otelcol-audit/internal/poller"
)

func TestClassify(t *testing.T) {
	status := func(op string, code int, body string) error {
		return &httpapi.StatusError{Op: op, Status: code, Body: body}
	}
	for _, tc := range []struct {
		err  error
		want group
	}{
		{status("management_logs", 401, ""), groupAuth},
		{status("management_logs", 402, ""), groupAuth},
		{poller.Permanent(fmt.Errorf("the Audit API refused the API key (%w); check api_key", status("createQuery", 403, ""))), groupAuth},
		{status("token", 400, `{"error":"invalid_grant"}`), groupAuth},
		{errors.New(`CyberArk Identity refused the token request (HTTP 401: invalid_client bad credentials); check client_id`), groupAuth},
		{errors.New(`CyberArk Identity refused the token request (HTTP 400: invalid_request unknown app Otel); check web_app_id`), groupAuth},
		{errors.New(`POST https://api-x/p: HTTP 200 with error "403" ("no permission")`), groupAuth},
		{status("createQuery", 400, "pageSize"), groupConfig},
		{errors.New(`CyberArk Identity refused the token request (HTTP 404: Not Found); check identity_url`), groupConn},
		{status("createQuery", 404, ""), groupConn},
		{status("management_logs", 500, ""), groupConn},
		{fmt.Errorf("%w (gave up after 3 attempts in 9s)", status("results", 429, "")), groupConn},
		{&httpapi.NetworkError{Op: "token", Err: errors.New("dial tcp: lookup api-x.example: no such host")}, groupConn},
		{errors.New("the response is HTML, not JSON: endpoint probably names the web UI"), groupConn},
		{errors.New("createQuery answered without a cursorRef (an empty body); check that endpoint is the Audit API base URL"), groupConn},
		{status("results", 418, ""), groupOther},
		{errors.New("reading a results page: unexpected EOF"), groupOther},
		{fmt.Errorf("results: %w", context.Canceled), groupOther},
	} {
		assert.Equal(t, tc.want, classify(tc.err), tc.err.Error())
	}
}

func TestDiagnosisKeepsTheReceiversMessage(t *testing.T) {
	k := kinds[componentType("xsoaraudit")]
	err := poller.Permanent(errors.New("POST https://api-x/p: HTTP 401 Unauthorized: the API refused the credentials. Check api_key"))
	d := k.diagnose(classify(err), err)
	assert.Equal(t, err.Error(), d.Error, "not rephrased")
	assert.Equal(t, groupAuth, d.Group)
	assert.Equal(t, k.hints[groupAuth], d.Hint)
	for _, g := range []group{groupAuth, groupConn, groupMissing, groupOther, groupConfig, groupPush} {
		for typ, k := range kinds {
			assert.NotEmpty(t, k.hint(g), "%s has a hint for %s", typ, g)
		}
	}
}
