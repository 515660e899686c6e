// Package checkpoint holds the position a receiver has delivered up to, and the IDs that let it
// re-read the end of that position (the time filter's boundary granule, plus an optional
// overlap for records the vendor inserts late) without emitting a record twice.
package checkpoint // import "github.com/secaudit/otelcol-audit/internal/checkpoint"

import (
	"sort"
	"time"
)

// Version is the format of the stored document. Bump it, and read the older one, when the shape changes.
const Version = 1

// MaxRecentIDs bounds the IDs kept for the re-read window. Beyond it the oldest are forgotten,
// and only those could be delivered a second time after a re-read.
const MaxRecentIDs = 50000

// Key identifies one vendor record: its ID and its event time, as used by the API's time filter.
type Key struct {
	ID   string
	Time time.Time
}

// Checkpoint is the delivered position for one source.
type Checkpoint struct {
	Version int `json:"version"`
	// Source names what the checkpoint belongs to (tenant host, key ID, filters); never a secret.
	Source string `json:"source"`
	// Time is the newest event time delivered downstream.
	Time time.Time `json:"time"`
	// Recent maps the IDs already delivered inside the re-read window (see From) to their event
	// time in Unix milliseconds.
	Recent map[string]int64 `json:"recent,omitempty"`
	// Delivered counts records delivered since the checkpoint was first written; it helps audits.
	Delivered int64 `json:"delivered"`

	granularity time.Duration
	overlap     time.Duration
}

// New returns the checkpoint of a source that has delivered nothing yet and reads from start.
// granularity is the resolution of the API's time filter (CyberArk: a second; XSOAR: a
// millisecond); overlap is how far before Time each new query starts again, to catch records
// inserted late.
func New(source string, start time.Time, granularity, overlap time.Duration) Checkpoint {
	c := Checkpoint{Version: Version, Source: source, Time: start.UTC()}
	c.setWindow(granularity, overlap)
	return c
}

func (c *Checkpoint) setWindow(granularity, overlap time.Duration) {
	c.granularity, c.overlap = max(granularity, time.Nanosecond), max(overlap, 0)
	if c.Recent == nil {
		c.Recent = map[string]int64{}
	}
}

// From is where the next query starts: the time-filter granule of Time minus the overlap. Every
// record at or after it that was delivered is in Recent.
func (c *Checkpoint) From() time.Time {
	return c.Time.Add(-c.overlap).Truncate(c.granularity)
}

// Seen reports whether the record was already delivered. Records before From are not reported:
// a query from From cannot return them, and if an API does, dropping them could lose data.
func (c *Checkpoint) Seen(k Key) bool {
	if k.Time.Before(c.From()) {
		return false
	}
	_, ok := c.Recent[k.ID]
	return ok
}

// Advance records delivered keys. It moves Time forward to the newest key, keeps the IDs of the
// re-read window and forgets older ones. It returns how many IDs of the window were forgotten
// because it held more than MaxRecentIDs.
func (c *Checkpoint) Advance(keys []Key) (forgotten int) {
	for _, k := range keys {
		c.Delivered++
		if k.Time.After(c.Time) {
			c.Time = k.Time.UTC()
		}
		c.Recent[k.ID] = k.Time.UnixMilli()
	}
	from := c.From().UnixMilli()
	for id, ms := range c.Recent {
		if ms < from {
			delete(c.Recent, id)
		}
	}
	if over := len(c.Recent) - MaxRecentIDs; over > 0 {
		ids := make([]string, 0, len(c.Recent))
		for id := range c.Recent {
			ids = append(ids, id)
		}
		sort.Slice(ids, func(i, j int) bool { return c.Recent[ids[i]] < c.Recent[ids[j]] })
		for _, id := range ids[:over] {
			delete(c.Recent, id)
		}
		forgotten = over
	}
	return forgotten
}
