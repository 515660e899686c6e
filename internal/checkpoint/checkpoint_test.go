package checkpoint

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

var t0 = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

func at(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }

func TestSeenCoversTheWholeBoundaryGranule(t *testing.T) {
	cp := New("src", t0, time.Second, 0)
	cp.Advance([]Key{{"a", at(100)}, {"b", at(900)}})
	assert.Equal(t, at(900), cp.Time)
	assert.Equal(t, t0, cp.From(), "the next query starts at the floor second")
	// Re-reading from the floor second returns a and b again: both are known, whatever their millisecond.
	assert.True(t, cp.Seen(Key{"a", at(100)}))
	assert.True(t, cp.Seen(Key{"b", at(900)}))
	assert.False(t, cp.Seen(Key{"c", at(500)}), "an unseen record of the boundary second is new")

	cp.Advance([]Key{{"d", at(1200)}})
	assert.Equal(t, map[string]int64{"d": at(1200).UnixMilli()}, cp.Recent, "moving to a new granule forgets the old one")
	assert.False(t, cp.Seen(Key{"a", at(100)}))
}

func TestOverlapKeepsTheWindowsIDs(t *testing.T) {
	cp := New("src", t0, time.Millisecond, 2*time.Second)
	cp.Advance([]Key{{"old", at(0)}, {"mid", at(1500)}, {"new", at(2500)}})
	assert.Equal(t, at(500), cp.From())
	assert.ElementsMatch(t, []string{"mid", "new"}, keys(cp.Recent))
	assert.True(t, cp.Seen(Key{"mid", at(1500)}), "a re-read of the overlap drops what was delivered")
	assert.False(t, cp.Seen(Key{"late", at(1000)}), "a record inserted late inside the overlap is new")
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
	cp.Advance([]Key{{"1", at(10)}, {"2", at(5)}, {"3", at(10)}})
	assert.Equal(t, at(10), cp.Time)
	assert.ElementsMatch(t, []string{"1", "3"}, keys(cp.Recent))
	assert.EqualValues(t, 3, cp.Delivered)
}

func TestRecentIDsAreBounded(t *testing.T) {
	cp := New("src", t0, time.Second, time.Hour)
	keys := make([]Key, MaxRecentIDs+5)
	for i := range keys {
		keys[i] = Key{fmt.Sprint(i), at(i)}
	}
	assert.Equal(t, 5, cp.Advance(keys))
	assert.Len(t, cp.Recent, MaxRecentIDs)
	assert.False(t, cp.Seen(Key{"0", at(0)}), "the oldest IDs are forgotten first")
	assert.True(t, cp.Seen(Key{fmt.Sprint(MaxRecentIDs + 4), at(MaxRecentIDs + 4)}))
}
