package xsoarauditreceiver

import (
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"go.uber.org/zap"
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
	d := newPageDecoder(testTenant, "bench", zap.NewNop())
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

// measured is what a path cost per record in the last run.
type measured struct{ ns, allocs, bytes float64 }

// perRecord runs a path, reports ns, allocations and bytes per record, and stores them in out.
func perRecord(path func(*testing.B, []byte), body []byte, out *measured) func(*testing.B) {
	return func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(body)))
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		path(b, body)
		runtime.ReadMemStats(&after)
		records := float64(b.N) * 100
		*out = measured{
			ns:     float64(b.Elapsed().Nanoseconds()) / records,
			allocs: float64(after.Mallocs-before.Mallocs) / records,
			bytes:  float64(after.TotalAlloc-before.TotalAlloc) / records,
		}
		b.ReportMetric(out.ns, "ns/record")
		b.ReportMetric(out.allocs, "allocs/record")
		b.ReportMetric(out.bytes, "B/record")
	}
}

// BenchmarkConvertPage compares the receiver's decode-and-convert of one page with a plain
// json.Unmarshal of the same bytes, in the same run, and reports receiver/plain as "ratio".
// Target: the receiver costs no more (ratio-ns <= 1).
func BenchmarkConvertPage(b *testing.B) {
	body := benchPage(b)
	var recv, plain measured
	b.Run("receiver", perRecord(receiverPath, body, &recv))
	b.Run("json.Unmarshal", perRecord(plainPath, body, &plain))
	b.Run("ratio", func(b *testing.B) {
		if recv.ns == 0 || plain.ns == 0 {
			b.Skip("run with the two paths: -bench ConvertPage")
		}
		for b.Loop() {
			// The two runs above are the measurement; this only reports their ratio.
		}
		b.ReportMetric(recv.ns/plain.ns, "ratio-ns")
		b.ReportMetric(recv.allocs/plain.allocs, "ratio-allocs")
		b.ReportMetric(recv.bytes/plain.bytes, "ratio-bytes")
	})
}
