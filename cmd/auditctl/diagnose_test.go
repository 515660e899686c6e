package main

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/secaudit/otelcol-audit/internal/failkind"
	"github.com/secaudit/otelcol-audit/internal/httpapi"
	"github.com/secaudit/otelcol-audit/internal/poller"
)

func TestClassifyReadsTheReceiversTagNotTheText(t *testing.T) {
	status := func(op string, code int) error { return &httpapi.StatusError{Op: op, Status: code} }
	for _, tc := range []struct {
		name string
		err  error
		want group
	}{
		{"tagged", failkind.Tag(failkind.Authentication, status("token", 400)), groupAuth},
		{"tagged inside a permanent error", poller.Permanent(fmt.Errorf("check api_key: %w", failkind.Tag(failkind.Authentication, status("createQuery", 403)))), groupAuth},
		{"outermost tag wins", failkind.Tag(failkind.Configuration, failkind.Tag(failkind.Connection, errors.New("x"))), groupConfig},
		{"missing data", failkind.Tag(failkind.MissingData, errors.New("no records")), groupMissing},
		{"network", &httpapi.NetworkError{Op: "token", Err: errors.New("dial tcp: lookup api-x.example: no such host")}, groupConn},
		{"retries exhausted", &httpapi.GaveUpError{Err: status("results", 429), Attempts: 3}, groupConn},
		{"5xx without retries", status("management_logs", 503), groupConn},
		{"redirect", &httpapi.RedirectError{Op: "createQuery", Status: 302}, groupConn},
		// Untagged failures are not guessed from their words.
		{"text that names a status", errors.New(`CyberArk Identity refused the token request (HTTP 401: invalid_client)`), groupOther},
		{"text that says HTML", errors.New("the response is HTML, not JSON"), groupOther},
		{"untagged refusal", status("results", 418), groupOther},
		{"canceled", fmt.Errorf("results: %w", context.Canceled), groupOther},
	} {
		assert.Equal(t, tc.want, classify(tc.err), tc.name)
	}
}

func TestDiagnosisKeepsTheReceiversMessage(t *testing.T) {
	k := kinds[componentType("xsoaraudit")]
	err := poller.Permanent(failkind.Tag(failkind.Authentication, errors.New("POST https://api-x/p: HTTP 401 Unauthorized: the API refused the credentials. Check api_key")))
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
