package main

import (
	"errors"

	"github.com/secaudit/otelcol-audit/internal/failkind"
	"github.com/secaudit/otelcol-audit/internal/httpapi"
)

// group is the kind of failure, as the receivers' Troubleshooting sections group them: each
// group has its own checklist (see kind.hints). The receivers tag the failures they diagnose
// with it (failkind); auditctl adds two of its own.
type group = failkind.Group

const (
	groupConfig        = failkind.Configuration
	groupAuth          = failkind.Authentication
	groupConn          = failkind.Connection
	groupMissing       = failkind.MissingData
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

// classify says which group a failed fetch belongs to: the group the receiver tagged it with,
// else, for a failure no receiver diagnosed, from the HTTP client's error types. The message
// text is never read: rewording it changes nothing here.
func classify(err error) group {
	if g, ok := failkind.Of(err); ok {
		return g
	}
	var redirect *httpapi.RedirectError
	switch {
	case httpapi.Retryable(err):
		// No response, or a 429 or 5xx that outlasted the retries: the network path or the
		// service, not a setting of the query.
		return groupConn
	case errors.As(err, &redirect):
		return groupConn // the address forwards elsewhere: a portal, a login page, an old host
	}
	return groupOther
}
