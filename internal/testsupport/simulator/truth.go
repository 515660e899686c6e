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
	var out []Record
	err := s.between(v, from, to, func(recs []record) {
		for i := range recs {
			out = append(out, Record{ID: recs[i].id, JSON: append([]byte(nil), recs[i].raw...)})
		}
	})
	return out, err
}
