package starttime

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParse(t *testing.T) {
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Time{
		"now":                         now,
		" NOW ":                       now,
		"90 seconds ago":              now.Add(-90 * time.Second),
		"1 minute ago":                now.Add(-time.Minute),
		"2 hours ago":                 now.Add(-2 * time.Hour),
		"3 days ago":                  now.Add(-72 * time.Hour),
		"1 week ago":                  now.Add(-7 * 24 * time.Hour),
		"5m ago":                      now.Add(-5 * time.Minute),
		"2025-09-15 17:10:00":         time.Date(2025, 9, 15, 17, 10, 0, 0, time.UTC),
		"2025-09-15T17:10:00":         time.Date(2025, 9, 15, 17, 10, 0, 0, time.UTC),
		"2025-09-15":                  time.Date(2025, 9, 15, 0, 0, 0, 0, time.UTC),
		"2025-09-15T17:10:00Z":        time.Date(2025, 9, 15, 17, 10, 0, 0, time.UTC),
		"2025-09-15T19:10:00.5+02:00": time.Date(2025, 9, 15, 17, 10, 0, 5e8, time.UTC),
	} {
		t.Run(in, func(t *testing.T) {
			spec, err := Parse(in)
			require.NoError(t, err)
			assert.Equal(t, want, spec.Resolve(now))
		})
	}
}

func TestParseRejectsWithAcceptedForms(t *testing.T) {
	for _, in := range []string{"", "yesterday", "3 months ago", "-3 days ago", "2025-13-01", "3 days", "99999999999 days ago"} {
		t.Run(in, func(t *testing.T) {
			_, err := Parse(in)
			require.Error(t, err)
			assert.Contains(t, err.Error(), "days ago", "the message shows the accepted forms")
			assert.Contains(t, err.Error(), "RFC 3339")
		})
	}
}

func TestRelativeResolvesAtEachStart(t *testing.T) {
	spec, err := Parse("1 hour ago")
	require.NoError(t, err)
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	assert.Equal(t, t0.Add(-time.Hour), spec.Resolve(t0))
	assert.Equal(t, t0.Add(time.Hour), spec.Resolve(t0.Add(2*time.Hour)))
	assert.Equal(t, "1h0m0s ago", spec.String())
}
