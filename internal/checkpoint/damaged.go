package checkpoint

import (
	"errors"
	"fmt"
	"strings"

	bolterrors "go.etcd.io/bbolt/errors"
)

// IsDamagedFile tells whether err is file_storage's (bbolt's) refusal of a file it cannot read
// as a database: truncated, overwritten, or written by something else. Retrying cannot help.
func IsDamagedFile(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, bolterrors.ErrInvalid) || errors.Is(err, bolterrors.ErrVersionMismatch) || errors.Is(err, bolterrors.ErrChecksum) {
		return true
	}
	// bbolt returns these as plain text, without a sentinel.
	msg := err.Error()
	return strings.Contains(msg, "file size too small") || strings.Contains(msg, "invalid database")
}

// DamagedFileAdvice is what to do about a damaged storage file, and what it costs. file names
// the file as the user finds it (a path, or a name in the storage extension's directory).
func DamagedFileAdvice(file string) string {
	return fmt.Sprintf("the storage file %s is damaged and cannot be read. Stop the collector, move that file aside "+
		"(keep it: it may matter to an audit), and start the collector again: this receiver then starts over from its start_time, "+
		"so records it delivered after start_time are delivered again (with the same log.record.uid) and records before it are not read; "+
		"the other receivers keep their checkpoints, each in a file of its own", file)
}
