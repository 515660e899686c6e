package simulator

import (
	"slices"
	"sync"
)

// record is one stored audit record. The JSON is rendered once, when the record is made, so that
// serving a page is only copying bytes; the few fields the APIs can filter on are kept beside it as
// small vocabulary codes so that filtering never parses JSON.
type record struct {
	ts   int64     // event time: CyberArk timestamp, XSOAR AUDIT_INSERT_TIME (epoch ms), agents' TIMESTAMP (epoch µs)
	seq  uint64    // insertion order, unique within a store; breaks ties between equal ts
	id   string    // uuid, AUDIT_ID in decimal, or an agents' report's content hash
	keys [8]uint16 // filterable fields as vocab codes; which field is which depends on the feed
	raw  []byte    // the record as a JSON object; never modified once stored
}

// less orders records by (ts, seq): time, then arrival. The store is always sorted this way.
func (r *record) less(ts int64, seq uint64) bool {
	return r.ts < ts || (r.ts == ts && r.seq < seq)
}

// store holds one vendor's records sorted by (ts, seq) in one slice. Readers binary-search it;
// nothing ever re-sorts it: records made "now" are appended, and the rare record with an older
// time (late or fixed-time inserts) is merged in at its place.
type store struct {
	vocab *vocab

	mu      sync.RWMutex
	recs    []record
	nextSeq uint64
}

func newStore() *store { return &store{vocab: newVocab()} }

// insert adds recs (in any order) and assigns their seq in the order given, so ties keep arrival
// order.
func (s *store) insert(recs []record) {
	if len(recs) == 0 {
		return
	}
	slices.SortStableFunc(recs, func(a, b record) int {
		switch {
		case a.ts < b.ts:
			return -1
		case a.ts > b.ts:
			return 1
		}
		return 0
	})
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range recs {
		recs[i].seq = s.nextSeq
		s.nextSeq++
	}
	n := len(s.recs)
	if n == 0 || recs[0].ts >= s.recs[n-1].ts {
		s.recs = append(s.recs, recs...)
		return
	}
	// Merge: everything before p stays; the old tail and the new records are merged behind it.
	// New records sort after old ones of the same ts because their seq is larger.
	p := s.upperBound(recs[0].ts)
	tail := slices.Clone(s.recs[p:])
	s.recs = slices.Grow(s.recs[:p], len(tail)+len(recs))
	i, j := 0, 0
	for i < len(tail) && j < len(recs) {
		if tail[i].ts <= recs[j].ts {
			s.recs = append(s.recs, tail[i])
			i++
		} else {
			s.recs = append(s.recs, recs[j])
			j++
		}
	}
	s.recs = append(s.recs, tail[i:]...)
	s.recs = append(s.recs, recs[j:]...)
}

// load replaces an empty store's content with recs, which must already be sorted by ts. Used for
// the bulk backfill, where sorting a million records again would be wasted work.
func (s *store) load(recs []record) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range recs {
		recs[i].seq = s.nextSeq
		s.nextSeq++
	}
	s.recs = append(s.recs, recs...)
}

// read runs fn with the records under the read lock. fn must not keep the slice, but may keep the
// raw byte slices: those are immutable.
func (s *store) read(fn func(recs []record)) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	fn(s.recs)
}

func (s *store) len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.recs)
}

// The search helpers below need the lock held (read or write).

// lowerBound is the first index with ts >= t.

// upperBound is the first index with ts > t.
func (s *store) upperBound(t int64) int { return upperBound(s.recs, t) }

func lowerBound(recs []record, t int64) int {
	i, _ := slices.BinarySearchFunc(recs, t, func(r record, t int64) int {
		if r.ts < t {
			return -1
		}
		return 1
	})
	return i
}

func upperBound(recs []record, t int64) int {
	i, _ := slices.BinarySearchFunc(recs, t, func(r record, t int64) int {
		if r.ts <= t {
			return -1
		}
		return 1
	})
	return i
}

// afterKey is the first index whose (ts, seq) is greater than (ts, seq).
func afterKey(recs []record, ts int64, seq uint64) int {
	i, _ := slices.BinarySearchFunc(recs, 0, func(r record, _ int) int {
		if r.less(ts, seq) || (r.ts == ts && r.seq == seq) {
			return -1
		}
		return 1
	})
	return i
}

// vocab interns the values of filterable fields. Code 0 stands for an empty or null value.
type vocab struct {
	mu    sync.RWMutex
	codes map[string]uint16
	names []string
}

func newVocab() *vocab { return &vocab{codes: map[string]uint16{"": 0}, names: []string{""}} }

// code returns the code of v, adding it if new. Generated values come from small fixed pools, so
// the vocabulary stays far below 65535 entries; past that, values share the last code (filters on
// them may then over-match, which only a pathological test could notice).
func (v *vocab) code(s string) uint16 {
	v.mu.RLock()
	c, ok := v.codes[s]
	v.mu.RUnlock()
	if ok {
		return c
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if c, ok := v.codes[s]; ok {
		return c
	}
	if len(v.names) >= 0xFFFF {
		return 0xFFFF
	}
	c = uint16(len(v.names))
	v.codes[s] = c
	v.names = append(v.names, s)
	return c
}

// lookup returns the code of s without adding it.
func (v *vocab) lookup(s string) (uint16, bool) {
	v.mu.RLock()
	defer v.mu.RUnlock()
	c, ok := v.codes[s]
	return c, ok
}

// matcher is a compiled "field in (values)" filter over record keys: every listed key must have one
// of its allowed codes.
type matcher []keySet

type keySet struct {
	key     int
	allowed []uint16 // empty: nothing matches (none of the requested values exists)
}

// compile turns field index -> accepted values into a matcher. Several lists for the same field
// are ANDed, as the APIs AND their filters.
func (v *vocab) compile(filters map[int][][]string) matcher {
	var m matcher
	keys := make([]int, 0, len(filters))
	for k := range filters {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		for _, values := range filters[k] {
			ks := keySet{key: k}
			for _, val := range values {
				if c, ok := v.lookup(val); ok {
					ks.allowed = append(ks.allowed, c)
				}
			}
			m = append(m, ks)
		}
	}
	return m
}

func (m matcher) match(r *record) bool {
	for _, ks := range m {
		if !slices.Contains(ks.allowed, r.keys[ks.key]) {
			return false
		}
	}
	return true
}
