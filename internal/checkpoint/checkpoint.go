// Package checkpoint holds the position a receiver has delivered up to, and the IDs that let it
// re-read the end of that position (the time filter's boundary granule, plus an optional
// overlap for records the vendor inserts late) without emitting a record twice.
package checkpoint // import "github.com/secaudit/otelcol-audit/internal/checkpoint"

import (
	"crypto/sha256"
	"encoding/hex"
	"sort"
	"time"
)

// Version is the format of the stored document. Bump it, and read the older one, when the shape changes.
const Version = 1

// MaxRecentIDs bounds the IDs kept for the re-read window. Beyond it the oldest are forgotten,
// and only those could be delivered a second time after a re-read.
const MaxRecentIDs = 50000

// MaxIDLen is the longest vendor ID kept as it is. A longer one is kept as its SHA-256, so that a
// vendor sending huge IDs cannot grow the stored checkpoint (up to MaxRecentIDs of them).
const MaxIDLen = 256

// Key identifies one vendor record: its ID and its event time, as used by the API's time filter.
type Key struct {
	ID   string
	Time time.Time
	// Earlier, when set, is the ID an earlier build derived for the same record. Seen matches
	// it too, so that a record that build delivered is not delivered again by this one after an
	// upgrade; it is never stored, and it stops mattering once the re-read window has moved on.
	Earlier string
}

// storedID is the form of the ID kept in Recent.
func (k Key) storedID() string {
	if len(k.ID) <= MaxIDLen {
		return k.ID
	}
	sum := sha256.Sum256([]byte(k.ID))
	return "sha256:" + hex.EncodeToString(sum[:])
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
	// Floor, when set, is a time up to which every record counts as delivered: an operator moved
	// the checkpoint there (auditctl checkpoint set), and the IDs of the records just before it
	// are unknown. It is dropped once the re-read window has moved past it.
	Floor time.Time `json:"floor,omitzero"`
	// Reread, when set, is what Time was when the last query first reached records within the
	// overlap of the vendor's clock (the live end of the trail). A running query's
	// cursor does not see records the vendor inserts behind it, so the next query starts the
	// overlap before the older of Time and Reread: every record that arrived within the overlap
	// of the newest one delivered is read again, however long the query ran.
	Reread time.Time `json:"reread,omitzero"`

	granularity time.Duration
	overlap     time.Duration
	// opened is where the query in progress started (see Open); zero: From.
	opened time.Time
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

// From is where the next query starts: the time-filter granule of the older of Time and Reread,
// minus the overlap. Every record at or after it that was delivered is in Recent.
func (c *Checkpoint) From() time.Time {
	t := c.Time
	if !c.Reread.IsZero() && c.Reread.Before(t) {
		t = c.Reread
	}
	return t.Add(-c.overlap).Truncate(c.granularity)
}

// Open returns From, where a new query starts, and remembers it for Seen while that query runs:
// Reread may move From forward meanwhile, past records the query still returns.
func (c *Checkpoint) Open() time.Time {
	c.opened = c.From()
	return c.opened
}

// Seen reports whether the record was already delivered. Records before the start of the query
// in progress are not reported: it cannot return them, and if an API does, dropping them could
// lose data.
func (c *Checkpoint) Seen(k Key) bool {
	start := c.opened
	if start.IsZero() {
		start = c.From()
	}
	if k.Time.Before(start) {
		return false
	}
	if !c.Floor.IsZero() && !k.Time.After(c.Floor) {
		return true
	}
	if _, ok := c.Recent[k.storedID()]; ok {
		return true
	}
	if k.Earlier == "" {
		return false
	}
	_, ok := c.Recent[Key{ID: k.Earlier}.storedID()]
	return ok
}

// MoveTo sets the position to t, as an operator does to re-read a window a backend lost (t in
// the past) or to skip a backlog (t ahead): records after t are read next, each once, and
// records at or before t are not, whatever IDs the window held.
func (c *Checkpoint) MoveTo(t time.Time) {
	c.Time, c.Floor, c.Reread, c.opened = t.UTC(), t.UTC(), time.Time{}, time.Time{}
	c.Recent = map[string]int64{}
}

// Advance records delivered keys. It moves Time forward to the newest key, but never past limit:
// the point up to which the vendor can still add records (the query's upper bound, or the time
// the page was read). A record that claims a later time is delivered and its ID kept, but the
// position stays at limit, so that records the vendor adds later are still read. Advance keeps
// the IDs of the re-read window and forgets older ones. It returns how many keys lay beyond
// limit, and how many IDs of the window were forgotten because it held more than MaxRecentIDs.
func (c *Checkpoint) Advance(keys []Key, limit time.Time) (beyond, forgotten int) {
	for _, k := range keys {
		c.Delivered++
		t := k.Time
		if t.After(limit) {
			beyond++
			t = limit
		}
		if t.After(c.Time) {
			c.Time = t.UTC()
		}
		c.Recent[k.storedID()] = k.Time.UnixMilli()
	}
	if !c.Floor.IsZero() && c.From().After(c.Floor) {
		c.Floor = time.Time{}
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
	return beyond, forgotten
}
