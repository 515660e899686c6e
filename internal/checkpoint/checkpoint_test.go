package checkpoint

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var t0 = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

func at(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }

func TestSeenCoversTheWholeBoundaryGranule(t *testing.T) {
	cp := New("src", t0, time.Second)
	cp.Advance([]Key{{"a", at(100)}, {"b", at(900)}})
	assert.Equal(t, at(900), cp.Time)
	// Re-reading from the floor second returns a and b again: both are known, whatever their millisecond.
	assert.True(t, cp.Seen(Key{"a", at(100)}))
	assert.True(t, cp.Seen(Key{"b", at(900)}))
	assert.False(t, cp.Seen(Key{"c", at(500)}), "an unseen record of the boundary second is new")
	assert.False(t, cp.Seen(Key{"a", at(1100)}), "an ID is only known inside the boundary granule")

	cp.Advance([]Key{{"d", at(1200)}})
	assert.Equal(t, []string{"d"}, cp.BoundaryIDs, "moving to a new granule forgets the old one")
	assert.False(t, cp.Seen(Key{"a", at(100)}))
}

func TestAdvanceIgnoresLateRecordsForThePosition(t *testing.T) {
	cp := New("src", t0, time.Millisecond)
	cp.Advance([]Key{{"1", at(10)}, {"2", at(5)}, {"3", at(10)}})
	assert.Equal(t, at(10), cp.Time)
	assert.Equal(t, []string{"1", "3"}, cp.BoundaryIDs)
	assert.EqualValues(t, 3, cp.Delivered)
}

func TestBoundaryIDsAreBounded(t *testing.T) {
	cp := New("src", t0, time.Second)
	keys := make([]Key, MaxBoundaryIDs+5)
	for i := range keys {
		keys[i] = Key{fmt.Sprint(i), at(0)}
	}
	assert.Equal(t, 5, cp.Advance(keys))
	assert.Len(t, cp.BoundaryIDs, MaxBoundaryIDs)
	assert.False(t, cp.Seen(Key{"0", at(0)}), "the oldest IDs are forgotten first")
	assert.True(t, cp.Seen(Key{fmt.Sprint(MaxBoundaryIDs + 4), at(0)}))
}

func TestSeenAfterLoadRebuildsTheIndex(t *testing.T) {
	cp := Checkpoint{Version: Version, Time: at(500), BoundaryIDs: []string{"x"}, granularity: time.Second}
	require.True(t, cp.Seen(Key{"x", at(0)}))
}
