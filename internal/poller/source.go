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

// Page is one page of vendor records.
type Page struct {
	// Logs holds one ResourceLogs with one ScopeLogs whose log records match Keys one to one.
	Logs plog.Logs
	// Keys identify the records, in the order the API returned them.
	Keys []checkpoint.Key
	// Decode, when set, converts the response that Next fetched into Logs and Keys. A source
	// sets it when its next request needs only the page's envelope (a cursor), so that the
	// engine can convert this page while the next request is in flight. The engine calls it
	// once per page, in page order, on one goroutine.
	Decode func() (Page, error)

	lease *lease // the engine's: held from decoding until the next consumer took the page
}

// Decoded returns the page converted: itself, or what its Decode returns.
func (p Page) Decoded() (Page, error) {
	if p.Decode == nil {
		return p, nil
	}
	return p.Decode()
}

// Query reads the pages of one query, oldest records first. Next is never called concurrently,
// and is called again only after the previous page was returned. The engine fetches up to two
// pages ahead of the one being delivered (one in flight, one being decoded), so Next must not
// wait for the checkpoint to move.
type Query interface {
	// Next fetches the next page, or returns done when the query is caught up (an empty page).
	Next(ctx context.Context) (page Page, done bool, err error)
}

// Bounded is implemented by a query whose time filter has an upper bound: the vendor can still
// add records up to it, so the checkpoint never moves past it, whatever time a record claims.
// Without it the bound is the time each page was read.
type Bounded interface {
	UpperBound() time.Time
}

// Source opens queries against one vendor tenant.
type Source interface {
	// Open returns a query for the records whose time is at or after from. The query may
	// return records of from's whole time-filter granule: the engine drops those it delivered.
	Open(from time.Time) Query
}

// reopenError tells that a query cannot go on (its cursor expired, say): the engine drops it
// and opens a new one from the checkpoint at once. The pages in flight are read again, and the
// IDs of the re-read window drop them.
type reopenError struct{ err error }

func (e reopenError) Error() string { return e.err.Error() }
func (e reopenError) Unwrap() error { return e.err }

// Reopen marks err, returned by Query.Next, as one that a new query from the checkpoint cures.
func Reopen(err error) error {
	if err == nil {
		return nil
	}
	return reopenError{err: err}
}

func isReopen(err error) bool {
	var r reopenError
	return errors.As(err, &r)
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
