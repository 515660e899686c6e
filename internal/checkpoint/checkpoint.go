// Package checkpoint holds the position a receiver has delivered up to, and the boundary
// de-duplication that lets it re-read the boundary of a time filter without emitting a record twice.
package checkpoint // import "github.com/secaudit/otelcol-audit/internal/checkpoint"

import (
	"time"
)

// Version is the format of the stored document. Bump it, and read the older one, when the shape changes.
const Version = 1

// MaxBoundaryIDs bounds the IDs kept for the boundary granule. A burst larger than this inside one
// granule can only be de-duplicated for its newest MaxBoundaryIDs records after a re-read.
const MaxBoundaryIDs = 20000

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
	// Time is the newest event time delivered downstream: the next read starts in its granule.
	Time time.Time `json:"time"`
	// BoundaryIDs are the IDs already delivered whose time falls in the granule of Time, oldest first.
	BoundaryIDs []string `json:"boundary_ids,omitempty"`
	// Delivered counts records delivered since the checkpoint was first written; it helps audits.
	Delivered int64 `json:"delivered"`

	granularity time.Duration
	seen        map[string]struct{}
}

// New returns the checkpoint of a source that has delivered nothing yet and reads from start.
// granularity is the resolution of the API's time filter (CyberArk: a second; XSOAR: a millisecond).
func New(source string, start time.Time, granularity time.Duration) Checkpoint {
	return Checkpoint{Version: Version, Source: source, Time: start.UTC(), granularity: granularity}
}

// granule returns the start of the time-filter granule that holds t.
func (c *Checkpoint) granule(t time.Time) time.Time {
	return t.Truncate(c.granularity)
}

// Seen reports whether the record was already delivered: it sits in the boundary granule and its
// ID was recorded there. Records before the boundary granule are not reported: a time filter that
// starts at the granule cannot return them, and if an API does, dropping them could lose data.
func (c *Checkpoint) Seen(k Key) bool {
	if !c.granule(k.Time).Equal(c.granule(c.Time)) {
		return false
	}
	if c.seen == nil {
		c.seen = make(map[string]struct{}, len(c.BoundaryIDs))
		for _, id := range c.BoundaryIDs {
			c.seen[id] = struct{}{}
		}
	}
	_, ok := c.seen[k.ID]
	return ok
}

// Advance records delivered keys, in the order they were read. It moves Time forward to the
// newest key and keeps the IDs of the boundary granule. It returns how many boundary IDs were
// forgotten because the granule held more than MaxBoundaryIDs.
func (c *Checkpoint) Advance(keys []Key) (forgotten int) {
	for _, k := range keys {
		c.Delivered++
		g, cur := c.granule(k.Time), c.granule(c.Time)
		switch {
		case g.After(cur):
			c.Time = k.Time.UTC()
			c.BoundaryIDs = c.BoundaryIDs[:0]
			c.seen = nil
		case g.Equal(cur):
			if k.Time.After(c.Time) {
				c.Time = k.Time.UTC()
			}
		default:
			continue // a late record: delivered, but it must not move the position back
		}
		if c.Seen(k) {
			continue
		}
		c.BoundaryIDs = append(c.BoundaryIDs, k.ID)
		if c.seen != nil {
			c.seen[k.ID] = struct{}{}
		}
	}
	if over := len(c.BoundaryIDs) - MaxBoundaryIDs; over > 0 {
		for _, id := range c.BoundaryIDs[:over] {
			delete(c.seen, id)
		}
		c.BoundaryIDs = append(c.BoundaryIDs[:0], c.BoundaryIDs[over:]...)
		forgotten = over
	}
	return forgotten
}

// Granularity returns the time-filter resolution the checkpoint was built with.
func (c *Checkpoint) Granularity() time.Duration { return c.granularity }
