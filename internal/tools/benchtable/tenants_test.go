package main

import (
	"strings"
	"testing"
)

const tenantsOutput = `goos: linux
goarch: amd64
pkg: github.com/secaudit/otelcol-audit/e2e
cpu: AMD EPYC
BenchmarkTenants/cyberarkisp=50/xsoaraudit=50/records=1000/latency=20ms-2  1  3536 ns/op  16.70 CPU-s/Mrecords  2.156 caught-up-s  0 dups  569.0 goroutines  0.2333 idle-CPU-%%  200.0 idle-calls  306.0 idle-goroutines  0 missing  %s peak-RSS-MiB  120.5 idle-RSS-MiB  0.2860 ready-s  100.0 receivers
BenchmarkTenants/cyberarkisp=250/xsoaraudit=250/records=1000/latency=20ms-2  1  4366 ns/op  15.44 CPU-s/Mrecords  6.259 caught-up-s  %s dups  2702 goroutines  0.6000 idle-CPU-%%  1000 idle-calls  1506 idle-goroutines  0 missing  566.8 peak-RSS-MiB  156.0 idle-RSS-MiB  3.275 ready-s  500.0 receivers
`

func tenantsTable(t *testing.T, rss, dups string) (string, int) {
	t.Helper()
	in := strings.Replace(strings.Replace(strings.ReplaceAll(tenantsOutput, "%%", "%"), "%s", rss, 1), "%s", dups, 1)
	res, err := read(strings.NewReader(in), "bench.txt")
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	missed := res.print(&out)
	return out.String(), missed
}

func TestTenantsTable(t *testing.T) {
	out, missed := tenantsTable(t, "161.3", "0")
	if missed != 0 {
		t.Errorf("%d targets missed:\n%s", missed, out)
	}
	for _, want := range []string{
		"| 100 (50 + 50) | 1,000 | 20ms | 0.3 | 2.2 | 161.3 | met | 120.5 | 569, 306 | 16.7 | 0.23 | met | 200 | 0, 0 | met |",
		"| 500 (250 + 250) | 1,000 | 20ms | 3.3 | 6.3 | 566.8 | - | 156.0 | 2702, 1506 | 15.4 | 0.60 | met | 1000 | 0, 0 | met |",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("no row %q in:\n%s", want, out)
		}
	}
}

func TestTenantsTableMarksMissedTargets(t *testing.T) {
	out, missed := tenantsTable(t, "251.0", "3")
	if missed != 2 {
		t.Errorf("want the RSS of 100 receivers and the duplicates of 500 missed, got %d:\n%s", missed, out)
	}
	if !strings.Contains(out, "| 251.0 | **missed** |") || !strings.Contains(out, "| 0, 3 | **missed** |") {
		t.Errorf("targets not marked:\n%s", out)
	}
}
