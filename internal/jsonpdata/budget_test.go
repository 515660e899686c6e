package jsonpdata

import (
	"bytes"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"
)

// hostilePages are page bodies of about size bytes, each a stream of records, shaped to cost
// the most pdata per byte of JSON.
func hostilePages(size int) map[string][]byte {
	fill := func(head, item, sep, tail string) []byte {
		var b bytes.Buffer
		b.Grow(size + 64)
		b.WriteString(head)
		for i := 0; b.Len() < size; i++ {
			if i > 0 {
				b.WriteString(sep)
			}
			b.WriteString(item)
		}
		b.WriteString(tail)
		return b.Bytes()
	}
	var wide bytes.Buffer // records of 1,000 distinct members each: the most members the budget allows
	for wide.Len() < size {
		wide.WriteByte('{')
		for i := range 1000 {
			if i > 0 {
				wide.WriteByte(',')
			}
			fmt.Fprintf(&wide, `"k%d":0`, i)
		}
		wide.WriteString("} ")
	}
	return map[string][]byte{
		"one array of zeros": fill(`{"a":[`, "0", ",", `]}`),
		"empty records":      fill("", "{}", " ", ""),
		"empty objects":      fill(`{"a":[`, "{}", ",", `]}`),
		"one wide object":    fill(`{`, `"k":0`, ",", `}`),
		"wide records":       wide.Bytes(),
		"deep records":       fill("", strings.Repeat(`{"a":`, 200)+"0"+strings.Repeat("}", 200), " ", ""),
	}
}

// decodePage decodes records from body as a receiver does, until the end or an error.
func decodePage(body []byte, b *Budget) (plog.LogRecordSlice, error) {
	records := plog.NewLogRecordSlice()
	dec := jsontext.NewDecoder(bytes.NewReader(body), vendorOptions...)
	for dec.PeekKind() == '{' {
		if err := b.Record(); err != nil {
			return records, err
		}
		if err := Map(dec, records.AppendEmpty().Body().SetEmptyMap(), b); err != nil {
			return records, err
		}
	}
	return records, nil
}

// A page as large as the HTTP client lets through (8 MiB for CyberArk) decodes into bounded
// memory and time whatever its shape: it is refused with an error that names the limit once
// it would build more than its budget.
func TestDecodingAHostilePageIsBounded(t *testing.T) {
	const (
		pageBytes = 8 << 20
		maxAlloc  = 96 << 20 // what decoding may allocate in all, garbage included
	)
	for name, body := range hostilePages(pageBytes) {
		t.Run(name, func(t *testing.T) {
			runtime.GC()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			start := time.Now()
			records, err := decodePage(body, NewBudget(500))
			took := time.Since(start)
			runtime.ReadMemStats(&after)
			alloc := after.TotalAlloc - before.TotalAlloc
			t.Logf("%d MiB page: %d records, %.1f MiB allocated, %s: %v", len(body)>>20, records.Len(), float64(alloc)/(1<<20), took, err)
			var le *LimitError
			if name != "deep records" {
				require.ErrorAs(t, err, &le, "refused with a LimitError")
				assert.Contains(t, err.Error(), fmt.Sprint(le.Limit))
			}
			assert.Less(t, alloc, uint64(maxAlloc))
			assert.Less(t, took, 30*time.Second, "no cost grows with the square of the page")
		})
	}
}

func TestBudgetIsPerPageAndCountsRecords(t *testing.T) {
	b := NewBudget(minBudgetRecords)
	limit := minBudgetRecords * ValuesPerRecord
	records, err := decodePage(bytes.Repeat([]byte(`{"a":1,"b":2} `), limit), b)
	var le *LimitError
	require.ErrorAs(t, err, &le)
	assert.Equal(t, limit, le.Limit)
	assert.Equal(t, limit/(RecordCost+3), records.Len(), "a record costs RecordCost and its values")
	assert.Equal(t, NewBudget(1).limit, NewBudget(minBudgetRecords).limit, "a page of few records still gets room for a large one")
	assert.Equal(t, 500*ValuesPerRecord, NewBudget(500).limit)
}

func TestObjectMembersAreBounded(t *testing.T) {
	members := func(n int) string {
		parts := make([]string, n)
		for i := range parts {
			parts[i] = fmt.Sprintf(`"k%d":%d`, i, i)
		}
		return `{"x":{` + strings.Join(parts, ",") + `}}`
	}
	_, err := decodePage([]byte(members(maxMembers)), NewBudget(1))
	require.NoError(t, err)
	_, err = decodePage([]byte(members(maxMembers+1)), NewBudget(1))
	var le *LimitError
	require.ErrorAs(t, err, &le)
	assert.Contains(t, err.Error(), "more than 1024 members in one JSON object")
}
