// Package poller is the pull engine both receivers share: it reads a vendor API page by page
// from a checkpoint, drops records already delivered, hands each page to the next consumer and
// persists the checkpoint only once the consumer has accepted the page (or refused it for good).
// A receiver only says how to talk to its vendor (a Source) and how a page becomes logs.
package poller // import "github.com/secaudit/otelcol-audit/internal/poller"

import (
	"context"
	"errors"
	"time"

	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/secaudit/otelcol-audit/internal/checkpoint"
)

// Page is one page of vendor records, already converted.
type Page struct {
	// Logs holds one ResourceLogs with one ScopeLogs whose log records match Keys one to one.
	Logs plog.Logs
	// Keys identify the records, in the order the API returned them.
	Keys []checkpoint.Key
}

// Query reads the pages of one query, oldest records first. Next is never called concurrently,
// and is called again only after the previous page was returned (the engine reads one page ahead
// of the one being delivered, so Next must not wait for the checkpoint to move).
type Query interface {
	// Next returns the next page, or done when the query is caught up (an empty page).
	Next(ctx context.Context) (page Page, done bool, err error)
}

// Source opens queries against one vendor tenant.
type Source interface {
	// Open returns a query for the records whose time is at or after from. The query may
	// return records of from's whole time-filter granule: the engine drops those it delivered.
	Open(from time.Time) Query
}

// permanentError marks an error that retrying cannot fix: a setting to correct.
type permanentError struct{ err error }

func (e permanentError) Error() string { return e.err.Error() }
func (e permanentError) Unwrap() error { return e.err }

// Permanent marks err as needing the user to act (credentials, permissions, licence): the
// receiver reports a permanent error status and tries again only at the next poll interval.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return permanentError{err: err}
}

// IsPermanent reports whether err was marked with Permanent.
func IsPermanent(err error) bool {
	var p permanentError
	return errors.As(err, &p)
}
