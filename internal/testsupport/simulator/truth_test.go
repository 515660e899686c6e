package simulator

import (
	"encoding/json"
	"strconv"
	"testing"
	"time"
)

// RecordsBetween gives the records IDsBetween selects, each with the JSON the API serves.
func TestRecordsBetweenMatchesIDsBetween(t *testing.T) {
	clock := newFakeClock()
	s, err := New(Options{Seed: 7, CyberArkBackfill: 300, XSOARBackfill: 200, BackfillSpan: time.Hour, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	from, to := clock.Now().Add(-40*time.Minute), clock.Now().Add(-10*time.Minute)
	for v, idField := range map[Vendor]string{CyberArk: "uuid", XSOAR: "AUDIT_ID"} {
		ids, err := s.IDsBetween(v, from, to)
		if err != nil {
			t.Fatal(err)
		}
		recs, err := s.RecordsBetween(v, from, to)
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) != len(ids) || len(ids) == 0 {
			t.Fatalf("%s: %d records for %d IDs", v, len(recs), len(ids))
		}
		for i, r := range recs {
			var m map[string]any
			if err := json.Unmarshal(r.JSON, &m); err != nil {
				t.Fatalf("%s: record %s: %v", v, r.ID, err)
			}
			got := m[idField]
			if f, ok := got.(float64); ok {
				got = strconv.FormatInt(int64(f), 10)
			}
			if r.ID != ids[i] || got != r.ID {
				t.Fatalf("%s: record %d has ID %s and %s %v, IDsBetween says %s", v, i, r.ID, idField, got, ids[i])
			}
		}
	}
	if _, err := s.RecordsBetween("nope", time.Time{}, time.Time{}); err == nil {
		t.Fatal("an unknown vendor is refused")
	}
}
