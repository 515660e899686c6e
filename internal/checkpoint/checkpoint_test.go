package checkpoint

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

var t0 = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

// never is a limit no test record reaches.
var never = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)

func at(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }

func TestSeenCoversTheWholeBoundaryGranule(t *testing.T) {
	cp := New("src", t0, time.Second, 0)
	cp.Advance([]Key{{ID: "a", Time: at(100)}, {ID: "b", Time: at(900)}}, never)
	assert.Equal(t, at(900), cp.Time)
	assert.Equal(t, t0, cp.From(), "the next query starts at the floor second")
	// Re-reading from the floor second returns a and b again: both are known, whatever their millisecond.
	assert.True(t, cp.Seen(Key{ID: "a", Time: at(100)}))
	assert.True(t, cp.Seen(Key{ID: "b", Time: at(900)}))
	assert.False(t, cp.Seen(Key{ID: "c", Time: at(500)}), "an unseen record of the boundary second is new")

	cp.Advance([]Key{{ID: "d", Time: at(1200)}}, never)
	assert.Equal(t, map[string]int64{"d": at(1200).UnixMilli()}, cp.Recent, "moving to a new granule forgets the old one")
	assert.False(t, cp.Seen(Key{ID: "a", Time: at(100)}))
}

func TestOverlapKeepsTheWindowsIDs(t *testing.T) {
	cp := New("src", t0, time.Millisecond, 2*time.Second)
	cp.Advance([]Key{{ID: "old", Time: at(0)}, {ID: "mid", Time: at(1500)}, {ID: "new", Time: at(2500)}}, never)
	assert.Equal(t, at(500), cp.From())
	assert.ElementsMatch(t, []string{"mid", "new"}, keys(cp.Recent))
	assert.True(t, cp.Seen(Key{ID: "mid", Time: at(1500)}), "a re-read of the overlap drops what was delivered")
	assert.False(t, cp.Seen(Key{ID: "late", Time: at(1000)}), "a record inserted late inside the overlap is new")
}

func keys(m map[string]int64) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestAdvanceIgnoresLateRecordsForThePosition(t *testing.T) {
	cp := New("src", t0, time.Millisecond, 0)
	cp.Advance([]Key{{ID: "1", Time: at(10)}, {ID: "2", Time: at(5)}, {ID: "3", Time: at(10)}}, never)
	assert.Equal(t, at(10), cp.Time)
	assert.ElementsMatch(t, []string{"1", "3"}, keys(cp.Recent))
	assert.EqualValues(t, 3, cp.Delivered)
}

func TestRecentIDsAreBounded(t *testing.T) {
	cp := New("src", t0, time.Second, time.Hour)
	keys := make([]Key, MaxRecentIDs+5)
	for i := range keys {
		keys[i] = Key{ID: fmt.Sprint(i), Time: at(i)}
	}
	_, forgotten := cp.Advance(keys, never)
	assert.Equal(t, 5, forgotten)
	assert.Len(t, cp.Recent, MaxRecentIDs)
	assert.False(t, cp.Seen(Key{ID: "0", Time: at(0)}), "the oldest IDs are forgotten first")
	assert.True(t, cp.Seen(Key{ID: fmt.Sprint(MaxRecentIDs + 4), Time: at(MaxRecentIDs + 4)}))
}

func TestAdvanceNeverPassesTheLimit(t *testing.T) {
	cp := New("src", t0, time.Millisecond, 0)
	limit := at(500)
	beyond, _ := cp.Advance([]Key{{ID: "ok", Time: at(100)}, {ID: "2100", Time: time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)}}, limit)
	assert.Equal(t, 1, beyond)
	assert.Equal(t, limit, cp.Time, "the position stops where the vendor can still add records")
	assert.True(t, cp.Seen(Key{ID: "2100", Time: time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)}), "the future record is known, so a re-read drops it")
	cp.Advance([]Key{{ID: "earlier", Time: at(200)}}, at(100))
	assert.Equal(t, limit, cp.Time, "a lower limit never moves the position back")
}

func TestLongIDsAreKeptHashed(t *testing.T) {
	cp := New("src", t0, time.Second, 0)
	long := strings.Repeat("x", 100_000)
	cp.Advance([]Key{{ID: long, Time: at(0)}, {ID: "short", Time: at(0)}}, never)
	assert.True(t, cp.Seen(Key{ID: long, Time: at(0)}))
	assert.False(t, cp.Seen(Key{ID: long + "y", Time: at(0)}))
	for id := range cp.Recent {
		assert.LessOrEqual(t, len(id), MaxIDLen)
	}
	assert.Contains(t, cp.Recent, "short", "short IDs are kept as they are")
}

// An operator's move re-reads exactly what lies after the new position, even inside the
// re-read window whose IDs are unknown, and the floor goes once the window has passed it.
func TestMoveToReadsExactlyWhatFollows(t *testing.T) {
	cp := New("src", t0, time.Second, 10*time.Second)
	cp.Advance([]Key{{ID: "a", Time: at(60_000)}, {ID: "b", Time: at(61_000)}}, never)
	cp.MoveTo(at(30_000))
	assert.Equal(t, at(20_000), cp.From(), "the query starts overlap before the new position")
	assert.True(t, cp.Seen(Key{ID: "before", Time: at(25_000)}), "records up to the position count as delivered")
	assert.True(t, cp.Seen(Key{ID: "at", Time: at(30_000)}))
	assert.False(t, cp.Seen(Key{ID: "a", Time: at(60_000)}), "records after it are read again")
	assert.Empty(t, cp.Recent)
	cp.Advance([]Key{{ID: "a", Time: at(60_000)}}, never)
	assert.True(t, cp.Floor.IsZero(), "dropped once the window passed it")
}

// After an upgrade that changed how an ID is derived, a record the earlier build delivered is
// recognised by its earlier ID; only the current ID is kept from then on.
func TestSeenMatchesTheEarlierID(t *testing.T) {
	cp := New("src", t0, time.Millisecond, 10*time.Second)
	cp.Advance([]Key{{ID: "old-form", Time: at(500)}}, never)

	assert.True(t, cp.Seen(Key{ID: "new-form", Time: at(500), Earlier: "old-form"}), "delivered under its earlier ID")
	assert.False(t, cp.Seen(Key{ID: "new-form", Time: at(500)}), "without the earlier ID it would be new")
	assert.False(t, cp.Seen(Key{ID: "other", Time: at(500), Earlier: "other-old"}), "another record is still new")

	cp.Advance([]Key{{ID: "next", Time: at(600), Earlier: "next-old"}}, never)
	assert.Contains(t, cp.Recent, "next")
	assert.NotContains(t, cp.Recent, "next-old", "the earlier ID is never stored")
}
