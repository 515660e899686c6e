package httpapi

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// StatusError is a non-2xx response.
type StatusError struct {
	Op     string
	Status int
	Body   string // the start of the body, secrets removed
	Header http.Header
}

func (e *StatusError) Error() string {
	if e.Body == "" {
		return fmt.Sprintf("%s: HTTP %d %s", e.Op, e.Status, http.StatusText(e.Status))
	}
	return fmt.Sprintf("%s: HTTP %d %s: %s", e.Op, e.Status, http.StatusText(e.Status), e.Body)
}

// NetworkError is a failure to get a response at all: connection refused, reset, timeout.
type NetworkError struct {
	Op  string
	Err error
}

func (e *NetworkError) Error() string { return e.Op + ": " + e.Err.Error() }
func (e *NetworkError) Unwrap() error { return e.Err }

// Retryable reports whether err may go away by itself: 429, 5xx, or no response at all.
// 400, 401, 402 and 403 are not: the caller decides (refresh a token, report a setting to fix).
func Retryable(err error) bool {
	var se *StatusError
	if errors.As(err, &se) {
		return se.Status == http.StatusTooManyRequests || se.Status >= 500
	}
	var ne *NetworkError
	return errors.As(err, &ne)
}

// StatusCode returns the HTTP status of err (a refused redirect's too), or 0 when err carries none.
func StatusCode(err error) int {
	var se *StatusError
	if errors.As(err, &se) {
		return se.Status
	}
	var re *RedirectError
	if errors.As(err, &re) {
		return re.Status
	}
	return 0
}

// retryAfter reads a Retry-After header, in seconds or as an HTTP date, capped at MaxRetryAfter.
func retryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	var d time.Duration
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		d = time.Duration(secs) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	}
	if d < 0 {
		return 0
	}
	return min(d, MaxRetryAfter)
}

// GaveUpError is a retryable failure that outlasted retry_on_failure::max_elapsed_time.
type GaveUpError struct {
	Err      error
	Attempts int
	Elapsed  time.Duration
}

func (e *GaveUpError) Error() string { return e.Err.Error() + " (" + e.Account() + ")" }
func (e *GaveUpError) Unwrap() error { return e.Err }

// Account tells how long the client tried, for messages that rephrase Err.
func (e *GaveUpError) Account() string {
	return fmt.Sprintf("gave up after %d attempts in %s", e.Attempts, e.Elapsed)
}
