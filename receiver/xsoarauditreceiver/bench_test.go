package xsoarauditreceiver

import (
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

// benchPage is one full page of realistic records (100, the API's maximum).
func benchPage(tb testing.TB) []byte {
	tb.Helper()
	body, err := os.ReadFile(filepath.Join("testdata", "page_full.json"))
	if err != nil {
		tb.Fatal(err)
	}
	return body
}

// receiverPath decodes and converts the page as the receiver does: envelope, body maps,
// attributes, severity, event name, keys.
func receiverPath(b *testing.B, body []byte) {
	b.Helper()
	d := newPageDecoder("bench")
	observed := time.Now()
	for b.Loop() {
		p, err := d.decode(body, observed, observed)
		if err != nil || len(p.keys) != 100 {
			b.Fatalf("decode: %v, %d keys", err, len(p.keys))
		}
	}
}

// plainPath is the baseline: encoding/json into generic maps, nothing else.
func plainPath(b *testing.B, body []byte) {
	b.Helper()
	for b.Loop() {
		var v struct {
			Reply struct {
				Data []map[string]any `json:"data"`
			} `json:"reply"`
		}
		if err := json.Unmarshal(body, &v); err != nil || len(v.Reply.Data) != 100 {
			b.Fatalf("unmarshal: %v", err)
		}
	}
}

// perRecord runs a path and reports ns, allocations and bytes per record.
func perRecord(path func(*testing.B, []byte), body []byte) func(*testing.B) {
	return func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(body)))
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		path(b, body)
		runtime.ReadMemStats(&after)
		records := float64(b.N) * 100
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/records, "ns/record")
		b.ReportMetric(float64(after.Mallocs-before.Mallocs)/records, "allocs/record")
		b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/records, "B/record")
	}
}

// BenchmarkConvertPage compares the receiver's decode-and-convert of one page with a plain
// json.Unmarshal of the same bytes, in the same run. Target: the receiver costs no more
// (ratio <= 1); `make bench` prints the ratio of the two.
func BenchmarkConvertPage(b *testing.B) {
	body := benchPage(b)
	b.Run("receiver", perRecord(receiverPath, body))
	b.Run("json.Unmarshal", perRecord(plainPath, body))
}
