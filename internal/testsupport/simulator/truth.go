package simulator

import "time"

// Record is one stored record as the API serves it: its ID and its JSON.
type Record struct {
	ID   string
	JSON []byte
}

// RecordsBetween returns the records of v with event time in [from, to], as IDsBetween selects
// them, with their JSON: the ground truth of a test that checks what a pipeline did to each
// record's fields, not only that it arrived. The JSON is a copy.
func (s *Simulator) RecordsBetween(v Vendor, from, to time.Time) ([]Record, error) {
	if _, err := parseVendor(string(v)); err != nil {
		return nil, err
	}
	var out []Record
	f := s.feed(v)
	f.store.read(func(recs []record) {
		lo, hi := 0, len(recs)
		if !from.IsZero() {
			lo = lowerBound(recs, f.ticks(from))
		}
		if !to.IsZero() {
			hi = upperBound(recs, f.ticks(to))
		}
		for i := lo; i < hi; i++ {
			out = append(out, Record{ID: recs[i].id, JSON: append([]byte(nil), recs[i].raw...)})
		}
	})
	return out, nil
}
