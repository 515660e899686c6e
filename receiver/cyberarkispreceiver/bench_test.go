package cyberarkispreceiver

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

const benchEvents = 500

// benchPage builds a full 500-event page from the realistic records in testdata (Identity
// events with flat customData, PAM events with nested customData), each with its own uuid
// and time, as the API would return them.
func benchPage(tb testing.TB) []byte {
	tb.Helper()
	var samples []map[string]any
	for _, name := range []string{"identity_page", "pam_page"} {
		raw, err := os.ReadFile(filepath.Join("testdata", name+".json"))
		if err != nil {
			tb.Fatal(err)
		}
		var p struct {
			Data []map[string]any `json:"data"`
		}
		if err := json.Unmarshal(raw, &p); err != nil {
			tb.Fatal(err)
		}
		samples = append(samples, p.Data...)
	}
	data := make([]map[string]any, benchEvents)
	base := int64(1739269449904)
	for i := range data {
		e := map[string]any{}
		for k, v := range samples[i%len(samples)] {
			e[k] = v
		}
		e["uuid"] = fmt.Sprintf("5f0c2a9e-8b1d-4d5e-9a43-%012d", i)
		e["timestamp"] = base + int64(i*37)
		data[i] = e
	}
	body, err := json.Marshal(map[string]any{"data": data, "paging": map[string]any{"cursor": map[string]any{"cursorRef": "eyJxdWVyeSI6e319"}}})
	if err != nil {
		tb.Fatal(err)
	}
	return body
}

// perRecord reports ns and allocations per record of the loop that run drives.
func perRecord(b *testing.B, run func()) {
	b.Helper()
	var before, after runtime.MemStats
	b.ReportAllocs()
	runtime.ReadMemStats(&before)
	b.ResetTimer()
	for b.Loop() {
		run()
	}
	b.StopTimer()
	runtime.ReadMemStats(&after)
	n := float64(b.N) * benchEvents
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/n, "ns/record")
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/n, "allocs/record")
}

// BenchmarkConvertPage compares decoding and converting a 500-event page into pdata with a
// plain json.Unmarshal of the same page into []map[string]any, in the same run. The target
// is a ratio of at most 1: the receiver costs no more than merely reading the JSON. `make
// bench` prints the ratio of the two.
func BenchmarkConvertPage(b *testing.B) {
	body := benchPage(b)
	b.Run("json.Unmarshal", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		perRecord(b, func() {
			var p struct {
				Data []map[string]any `json:"data"`
			}
			if err := json.Unmarshal(body, &p); err != nil || len(p.Data) != benchEvents {
				b.Fatal(err)
			}
		})
	})
	b.Run("receiver", func(b *testing.B) {
		conv := testConverter()
		pc := pageContext{observed: time.Now(), prev: testFrom}
		b.SetBytes(int64(len(body)))
		perRecord(b, func() {
			dp, err := conv.decodePage(body, pc)
			if err != nil || len(dp.page.Keys) != benchEvents {
				b.Fatal(err)
			}
		})
	})
}
