// Package starttime parses the start_time setting shared by the receivers: the point in time a
// receiver reads from when it has no checkpoint yet.
package starttime // import "github.com/secaudit/otelcol-audit/internal/starttime"

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Forms lists the accepted forms; error messages quote it so that users see what to write.
const Forms = `"now", "<N> <unit> ago" such as "90 seconds ago" or "3 days ago" (units: second, minute, hour, day, week), ` +
	`"YYYY-MM-DD HH:MM:SS" (UTC), "YYYY-MM-DD" (UTC midnight) or RFC 3339 such as "2025-09-15T17:10:00Z"`

var relative = regexp.MustCompile(`^(\d+)\s*(seconds?|secs?|s|minutes?|mins?|m|hours?|h|days?|d|weeks?|w)\s+ago$`)

var units = map[byte]time.Duration{
	's': time.Second,
	'm': time.Minute,
	'h': time.Hour,
	'd': 24 * time.Hour,
	'w': 7 * 24 * time.Hour,
}

// Spec is a parsed start_time: either an absolute instant or an offset before "now", resolved
// only when the receiver starts, so that a relative value means the same thing at every start.
type Spec struct {
	abs      time.Time
	lookback time.Duration
	relative bool
}

// Parse reads one of the accepted forms (see Forms). Surrounding spaces and letter case are ignored.
func Parse(s string) (Spec, error) {
	v := strings.ToLower(strings.TrimSpace(s))
	if v == "" {
		return Spec{}, errors.New("is empty; accepted forms: " + Forms)
	}
	if v == "now" {
		return Spec{relative: true}, nil
	}
	if m := relative.FindStringSubmatch(v); m != nil {
		n, err := strconv.ParseInt(m[1], 10, 64)
		unit := units[m[2][0]]
		if err != nil || n > int64(100*365*24*time.Hour/unit) {
			return Spec{}, fmt.Errorf("%q is out of range; accepted forms: %s", s, Forms)
		}
		return Spec{relative: true, lookback: time.Duration(n) * unit}, nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05", "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, strings.TrimSpace(s), time.UTC); err == nil {
			return Spec{abs: t.UTC()}, nil
		}
	}
	return Spec{}, fmt.Errorf("%q is not a time; accepted forms: %s", s, Forms)
}

// Resolve returns the instant the spec names, relative to now.
func (s Spec) Resolve(now time.Time) time.Time {
	if s.relative {
		return now.Add(-s.lookback).UTC()
	}
	return s.abs
}

// String renders the spec for logs.
func (s Spec) String() string {
	switch {
	case !s.relative:
		return s.abs.Format(time.RFC3339Nano)
	case s.lookback == 0:
		return "now"
	default:
		return s.lookback.String() + " ago"
	}
}
