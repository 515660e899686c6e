// Package failkind tags an error with the kind of failure a receiver diagnosed, as the
// receivers' Troubleshooting sections group them, so that a caller such as auditctl reads the
// kind with errors.As instead of reading the message. A message can be reworded freely: only
// the tag decides.
package failkind // import "github.com/secaudit/otelcol-audit/internal/failkind"

import "errors"

// Group is a kind of failure; each has its own checklist for the user.
type Group string

const (
	// Authentication: a credential was refused or lacks a permission or a licence.
	Authentication Group = "authentication"
	// Connection: the API could not be reached, or something other than the API answered.
	Connection Group = "connection"
	// MissingData: the API answered, but not with the records expected.
	MissingData Group = "missing data"
	// Configuration: a setting is wrong in a way the API's answer reveals (a refused query).
	Configuration Group = "configuration"
)

// Error is an error tagged with its group. It adds nothing to the message.
type Error struct {
	Group Group
	Err   error
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// Tag returns err tagged with g; nil stays nil.
func Tag(g Group, err error) error {
	if err == nil {
		return nil
	}
	return &Error{Group: g, Err: err}
}

// Of returns the group of the outermost tag in err's chain: the diagnosis closest to the user wins.
func Of(err error) (Group, bool) {
	var e *Error
	if errors.As(err, &e) {
		return e.Group, true
	}
	return "", false
}
