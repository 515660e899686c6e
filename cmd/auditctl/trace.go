package main

import (
	"bufio"
	"errors"
	"fmt"
	"net/http"
	"os"
	"syscall"

	"github.com/secaudit/otelcol-audit/internal/hartrace"
)

// startTrace makes the session record every HTTP exchange when path (--trace) is set; the
// response bodies keep only the shape of the records unless --trace-records. The file
// is created now, readable by its owner only, so that a path that cannot be written fails
// before any request. The returned finish writes the trace once the command is over, when
// every secret is known (the tokens issued on the way included), and returns the command's
// exit status: a trace that cannot be written fails a command that otherwise succeeded.
func (s *session) startTrace(path string) (finish func(code int) int, err error) {
	if path == "" {
		return func(code int) int { return code }, nil
	}
	// A symbolic link is not followed: a link planted at the path would have the trace
	// overwrite, and make owner-only, whatever it points to.
	file, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC|syscall.O_NOFOLLOW, 0o600)
	if errors.Is(err, syscall.ELOOP) {
		return nil, fmt.Errorf("--trace: %s is a symbolic link, which is not followed: give the path of the file itself", path)
	}
	if err != nil {
		return nil, fmt.Errorf("--trace: %w", err)
	}
	// An existing file keeps its mode when it is truncated.
	if st, err := file.Stat(); err == nil && st.Mode().IsRegular() && st.Mode().Perm() != 0o600 {
		if err := file.Chmod(0o600); err != nil {
			_ = file.Close()
			return nil, fmt.Errorf("--trace: %w", err)
		}
	}
	s.trace = hartrace.New("auditctl", versionString(), hartrace.DefaultBodyLimit)
	what := "secrets redacted, records' values replaced by their shape"
	if s.traceRecords {
		s.trace.KeepRecords()
		what = "secrets redacted, audit records in full"
		s.stderr.printf("auditctl: warning: --trace-records: %s will hold the audit records as the vendor sent them "+
			"(user names, e-mail and IP addresses, user agents); share it only where the records themselves may go\n", path)
	}
	return func(code int) int {
		w := bufio.NewWriter(file)
		err := errors.Join(s.trace.Write(w, s.secrets.scrub), w.Flush(), file.Close())
		if err != nil {
			s.stderr.printf("auditctl: writing the trace to %s: %v\n", path, err)
			return max(code, exitFailed)
		}
		s.stderr.printf("auditctl: HTTP trace written to %s (HAR 1.2, %s)\n", path, what)
		return code
	}, nil
}

// pushClient is the client of --push, recorded in the trace as the receivers' calls are. It
// follows no redirect: Go's client would resend the records to wherever a 307 or 308 points.
func (s *session) pushClient() *http.Client {
	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	if tap := s.trace.Tap("push"); tap != nil {
		hc.Transport = tap(http.DefaultTransport)
	}
	return hc
}
