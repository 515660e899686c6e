package main

import (
	"fmt"
	"strings"
	"testing"
)

// backfillRun is one BenchmarkBackfill line; ratio is ref-ratio, "" for a run without reference.
func backfillRun(name, ratio string, rss float64) string {
	ref := ""
	if ratio != "" {
		ref = "  1000 ref-records/s  " + ratio + " ref-ratio  402.0 ref-calls"
	}
	return fmt.Sprintf("BenchmarkBackfill/%s-2  1  1000 ns/op  980.0 records/s%s  0.98 ideal-ratio  20.05 api-ms/call  0.95 api-busy  %.1f peak-RSS-MiB  12.0 CPU-s/Mrecords  402.0 calls  401.0 ideal-calls  1.000 tokens\n",
		name, ref, rss)
}

// backfillOutput is three interleaved runs of every kind of case, as `-count 3` prints them.
// ratios[case] are its three ref-ratios; rss[case] its three peak RSS.
func backfillOutput(ratios map[string][3]string, rss map[string][3]float64) string {
	names := []string{
		"cyberarkisp/latency=20ms/records=200000/file=proto",
		"cyberarkisp/latency=20ms/records=200000/file=json",
		"cyberarkisp/latency=100ms/records=200000/file=proto",
		"xsoaraudit/latency=100ms/records=30000/file=proto",
		"xsoaraudit_agents/latency=20ms/records=30000/file=proto",
		"cyberarkisp/latency=0s/records=100000/file=proto",
		"cyberarkisp/latency=0s/records=1000000/file=proto",
	}
	var b strings.Builder
	b.WriteString("goos: linux\ngoarch: amd64\npkg: github.com/secaudit/otelcol-audit/e2e\ncpu: AMD EPYC\n")
	for run := range 3 {
		for _, n := range names {
			r, ok := ratios[n]
			ratio := "0.99"
			if ok {
				ratio = r[run]
			}
			if strings.Contains(n, "latency=0s") {
				ratio = ""
			}
			m, ok := rss[n]
			mem := 45.0
			if ok {
				mem = m[run]
			}
			b.WriteString(backfillRun(n, ratio, mem))
		}
	}
	return b.String()
}

func backfillTable(t *testing.T, in string) (string, int) {
	t.Helper()
	res, err := read(strings.NewReader(in), "bench.txt")
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	missed := res.print(&out)
	return out.String(), missed
}

func wantRows(t *testing.T, out string, rows ...string) {
	t.Helper()
	for _, want := range rows {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in:\n%s", want, out)
		}
	}
}

func TestSummaryIsMedianAndSpread(t *testing.T) {
	s := samples{"odd": {0.99, 0.95, 0.97}, "even": {4, 1, 3, 2}, "one": {5}}
	for unit, want := range map[string]string{
		"odd":  "0.970 (0.950–0.990, 3 runs)",
		"even": "2.500 (1.000–4.000, 4 runs)",
		"one":  "5.000 (1 run)",
		"none": "-",
	} {
		if got := s.summary(unit, "%.3f"); got != want {
			t.Errorf("%s: got %q, want %q", unit, got, want)
		}
	}
	// The samples stay in run order: the median sorts a copy.
	if s["odd"][0] != 0.99 {
		t.Errorf("median sorted the samples: %v", s["odd"])
	}
}

func TestBackfillRatiosMeetTargetsOnTheMedian(t *testing.T) {
	// One disturbed run in each targeted case: the median holds, the spread shows it.
	out, missed := backfillTable(t, backfillOutput(map[string][3]string{
		"cyberarkisp/latency=20ms/records=200000/file=proto":      {"0.96", "0.90", "0.951"},
		"cyberarkisp/latency=100ms/records=200000/file=proto":     {"0.99", "0.80", "0.97"},
		"xsoaraudit/latency=100ms/records=30000/file=proto":       {"1.00", "0.97", "0.5"},
		"xsoaraudit_agents/latency=20ms/records=30000/file=proto": {"0.999", "1.001", "1.000"},
	}, map[string][3]float64{
		// One run of the large backlog far above: the medians hold it to +8.9%.
		"cyberarkisp/latency=0s/records=100000/file=proto":  {45, 46, 44},
		"cyberarkisp/latency=0s/records=1000000/file=proto": {48, 80, 49},
	}))
	if missed != 0 {
		t.Errorf("%d targets missed:\n%s", missed, out)
	}
	wantRows(t, out,
		"| cyberarkisp | 20ms | 200,000 | proto | 980 | 1000 | 0.951 (0.900–0.960, 3 runs) | met | 0.980 |",
		"| cyberarkisp | 20ms | 200,000 | json | 980 | 1000 | 0.990 (0.990–0.990, 3 runs) | comparison |",
		"| cyberarkisp | 100ms | 200,000 | proto | 980 | 1000 | 0.970 (0.800–0.990, 3 runs) | met |",
		"| xsoaraudit | 100ms | 30,000 | proto | 980 | 1000 | 0.970 (0.500–1.000, 3 runs) | met |",
		"| xsoaraudit_agents | 20ms | 30,000 | proto | 980 | 1000 | 1.000 (0.999–1.001, 3 runs) | met |",
		"| cyberarkisp | 0s | 100,000 | proto | 980 | - | - | - | 0.980 |",
		"| cyberarkisp | 45.0 (44.0–46.0, 3 runs) | 49.0 (48.0–80.0, 3 runs) | +8.9% | met |",
	)
}

func TestBackfillMissesAreReportedWithSpread(t *testing.T) {
	out, missed := backfillTable(t, backfillOutput(map[string][3]string{
		"cyberarkisp/latency=20ms/records=200000/file=proto":  {"0.96", "0.94", "0.949"},
		"cyberarkisp/latency=100ms/records=200000/file=proto": {"0.99", "0.969", "0.95"},
		"xsoaraudit/latency=100ms/records=30000/file=proto":   {"0.98", "0.969", "0.9"},
		// A targeted case whose runs had no reference cannot pass.
		"xsoaraudit_agents/latency=20ms/records=30000/file=proto": {"", "", ""},
		// The JSON row is a comparison: no target, however low.
		"cyberarkisp/latency=20ms/records=200000/file=json": {"0.5", "0.5", "0.5"},
	}, map[string][3]float64{
		"cyberarkisp/latency=0s/records=100000/file=proto":  {45, 45, 60},
		"cyberarkisp/latency=0s/records=1000000/file=proto": {50, 50, 40},
	}))
	if missed != 5 {
		t.Errorf("want 5 targets missed, got %d:\n%s", missed, out)
	}
	wantRows(t, out,
		"| cyberarkisp | 20ms | 200,000 | proto | 980 | 1000 | 0.949 (0.940–0.960, 3 runs) | **missed** |",
		"| cyberarkisp | 20ms | 200,000 | json | 980 | 1000 | 0.500 (0.500–0.500, 3 runs) | comparison |",
		"| cyberarkisp | 100ms | 200,000 | proto | 980 | 1000 | 0.969 (0.950–0.990, 3 runs) | **missed** |",
		"| xsoaraudit | 100ms | 30,000 | proto | 980 | 1000 | 0.969 (0.900–0.980, 3 runs) | **missed** |",
		"| xsoaraudit_agents | 20ms | 30,000 | proto | 980 | - | - | **missed** (no reference) |",
		"| cyberarkisp | 45.0 (45.0–60.0, 3 runs) | 50.0 (40.0–50.0, 3 runs) | +11.1% | **missed** |",
	)
}

func TestRefTargets(t *testing.T) {
	for _, c := range []struct {
		b    backfill
		want float64
		ok   bool
	}{
		{backfill{receiver: "cyberarkisp", latency: "100ms", file: "proto"}, 0.97, true},
		{backfill{receiver: "cyberarkisp", latency: "20ms", file: "proto"}, 0.95, true},
		{backfill{receiver: "xsoaraudit", latency: "20ms", file: "proto"}, 0.97, true},
		{backfill{receiver: "xsoaraudit", latency: "100ms", file: "proto"}, 0.97, true},
		{backfill{receiver: "xsoaraudit_agents", latency: "20ms", file: "proto"}, 0.97, true},
		{backfill{receiver: "cyberarkisp", latency: "20ms", file: "json"}, 0, false},
		{backfill{receiver: "cyberarkisp", latency: "0s", file: "proto"}, 0, false},
		{backfill{receiver: "xsoaraudit", latency: "0s", file: "proto"}, 0, false},
	} {
		got, ok := refTarget(&c.b)
		if got != c.want || ok != c.ok {
			t.Errorf("%+v: got %v %v, want %v %v", c.b, got, ok, c.want, c.ok)
		}
	}
}
