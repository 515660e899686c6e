// Command benchtable turns the Go benchmark output of `make bench` into the one table the
// README's performance section shows: page conversion against json.Unmarshal, backfill
// throughput as a ratio to the reference drainer of the same run, memory for a small and a
// large backlog, CPU per million records and API calls, and one collector carrying many
// tenants. Every figure of several runs is their median, and the ratios and memory also show
// their spread (min–max), so that a reader can tell a miss of the code from the machine's
// noise. It marks each target met or missed and exits 1 when one is missed.
//
//	go run ./benchtable ../../_build/bench.txt
package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/perf/benchfmt"
)

// Targets of issues 7 and 27.
const (
	maxConvertRatio = 1.0  // receiver ns/record over json.Unmarshal's
	maxMemoryGrowth = 0.10 // median peak RSS of a 1M backfill over a 100k one's, minus 1
	// maxEventsPerPoll is the receivers' default, which the backfills run with.
	maxEventsPerPoll = 10_000
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: benchtable <go test -bench output>")
		os.Exit(2)
	}
	f, err := os.Open(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	defer f.Close()
	res, err := read(f, os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	if missed := res.print(os.Stdout); missed > 0 {
		fmt.Printf("\n%d target(s) missed.\n", missed)
		os.Exit(1)
	}
	fmt.Println("\nEvery target met.")
}

// samples are the values of one benchmark, by unit, over its runs.
type samples map[string][]float64

// spread is the least and the greatest value of unit.
func (s samples) spread(unit string) (lo, hi float64, ok bool) {
	v := s[unit]
	if len(v) == 0 {
		return 0, 0, false
	}
	return slices.Min(v), slices.Max(v), true
}

// summary is unit's median with its spread and the number of runs, e.g. "0.981 (0.975–0.990, 3
// runs)", or "-" when unit has no value; format prints one value.
func (s samples) summary(unit, format string) string {
	m, ok := s.median(unit)
	if !ok {
		return "-"
	}
	if len(s[unit]) == 1 {
		return fmt.Sprintf(format+" (1 run)", m)
	}
	lo, hi, _ := s.spread(unit)
	return fmt.Sprintf(format+" ("+format+"–"+format+", %d runs)", m, lo, hi, len(s[unit]))
}

func (s samples) median(unit string) (float64, bool) {
	v := slices.Clone(s[unit])
	if len(v) == 0 {
		return 0, false
	}
	slices.Sort(v)
	if len(v)%2 == 1 {
		return v[len(v)/2], true
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2, true
}

// backfill is one BenchmarkBackfill case, named receiver/latency=/records=/file=.
type backfill struct {
	receiver, latency, file string
	records                 int
	s                       samples
}

type results struct {
	cpu      string
	convert  map[string]map[string]samples // receiver → "receiver" or "json.Unmarshal"
	order    []string                      // receivers in the order of the output
	backfill []*backfill
	tenants  []*tenants
}

func read(r io.Reader, name string) (*results, error) {
	res := &results{convert: map[string]map[string]samples{}}
	br := benchfmt.NewReader(r, name)
	for br.Scan() {
		rec, ok := br.Result().(*benchfmt.Result)
		if !ok {
			if se, ok := br.Result().(*benchfmt.SyntaxError); ok {
				return nil, se
			}
			continue
		}
		if res.cpu == "" {
			res.cpu = strings.TrimSpace(rec.GetConfig("cpu"))
		}
		base, parts := rec.Name.Parts()
		var keys []string
		for _, p := range parts {
			if p[0] == '/' {
				keys = append(keys, string(p[1:]))
			}
		}
		switch string(base) {
		case "ConvertPage":
			recv := strings.TrimSuffix(path.Base(rec.GetConfig("pkg")), "receiver")
			if len(keys) != 1 {
				continue
			}
			if res.convert[recv] == nil {
				res.convert[recv] = map[string]samples{}
				res.order = append(res.order, recv)
			}
			if res.convert[recv][keys[0]] == nil {
				res.convert[recv][keys[0]] = samples{}
			}
			res.convert[recv][keys[0]].add(rec)
		case "Backfill":
			b, err := parseBackfill(keys)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", rec.Name.Full(), err)
			}
			i := slices.IndexFunc(res.backfill, func(x *backfill) bool {
				return x.receiver == b.receiver && x.latency == b.latency && x.records == b.records && x.file == b.file
			})
			if i < 0 {
				res.backfill = append(res.backfill, b)
				i = len(res.backfill) - 1
			}
			if res.backfill[i].s == nil {
				res.backfill[i].s = samples{}
			}
			res.backfill[i].s.add(rec)
		case "Tenants":
			t, err := parseTenants(keys)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", rec.Name.Full(), err)
			}
			i := slices.IndexFunc(res.tenants, t.same)
			if i < 0 {
				t.s = samples{}
				res.tenants = append(res.tenants, t)
				i = len(res.tenants) - 1
			}
			res.tenants[i].s.add(rec)
		}
	}
	if err := br.Err(); err != nil {
		return nil, err
	}
	if len(res.convert) == 0 && len(res.backfill) == 0 && len(res.tenants) == 0 {
		return nil, errors.New("no ConvertPage, Backfill or Tenants benchmark in the input")
	}
	return res, nil
}

// add appends a result's values, in the units the benchmark reported them.
func (s samples) add(rec *benchfmt.Result) {
	for _, v := range rec.Values {
		unit, val := v.Unit, v.Value
		if v.OrigUnit != "" {
			unit, val = v.OrigUnit, v.OrigValue
		}
		s[unit] = append(s[unit], val)
	}
}

func parseBackfill(keys []string) (*backfill, error) {
	if len(keys) != 4 {
		return nil, errors.New("want receiver/latency=/records=/file=")
	}
	b := &backfill{receiver: keys[0]}
	for _, kv := range keys[1:] {
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		case "latency":
			b.latency = v
		case "records":
			n, err := strconv.Atoi(v)
			if err != nil {
				return nil, err
			}
			b.records = n
		case "file":
			b.file = v
		}
	}
	return b, nil
}

// print writes the tables and returns how many targets were missed.
func (r *results) print(w io.Writer) (missed int) {
	mark := func(ok bool) string {
		if ok {
			return "met"
		}
		missed++
		return "**missed**"
	}
	fmt.Fprintf(w, "Machine: %s\n", r.cpu)
	r.printBackfill(w, mark)
	if len(r.tenants) > 0 {
		printTenants(w, r.tenants, mark)
	}
	return missed
}

// printBackfill writes the tables of page conversion and of backfills.
func (r *results) printBackfill(w io.Writer, mark func(bool) string) {
	if len(r.convert) > 0 {
		fmt.Fprintf(w, "\nPage conversion, one full page (CyberArk 500 events, XSOAR 100 records), median of the runs; target ratio <= %.2f\n\n", maxConvertRatio)
		fmt.Fprintln(w, "| Receiver | ns/record | allocs/record | json.Unmarshal ns/record | json.Unmarshal allocs/record | Ratio ns | Ratio allocs | Target |")
		fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---|")
		for _, recv := range r.order {
			m := r.convert[recv]
			ns, _ := m["receiver"].median("ns/record")
			al, _ := m["receiver"].median("allocs/record")
			bns, _ := m["json.Unmarshal"].median("ns/record")
			bal, _ := m["json.Unmarshal"].median("allocs/record")
			if bns == 0 || bal == 0 {
				continue
			}
			fmt.Fprintf(w, "| %s | %.0f | %.1f | %.0f | %.1f | %.2f | %.2f | %s |\n",
				recv, ns, al, bns, bal, ns/bns, al/bal, mark(ns/bns <= maxConvertRatio))
		}
	}
	if len(r.backfill) == 0 {
		return
	}
	fmt.Fprintf(w, "\nBackfill through otelcol-audit: simulator -> receiver -> file exporter, checkpoints in file_storage (fsync), each run right after the reference drainer on the same backlog; "+
		"ratio of records/s to the reference's, median (min–max) of the runs; targets: %s\n\n", targetsText())
	fmt.Fprintln(w, "| Receiver | Latency | Records | File | Records/s | Reference records/s | Ratio to reference | Target | Ideal ratio | API ms/call | API busy | Peak RSS MiB | CPU s per 1M records | API calls (minimum, allowed) | Token requests |")
	fmt.Fprintln(w, "|---|---|---:|---|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|")
	for _, b := range r.backfill {
		get := func(unit string) float64 { v, _ := b.s.median(unit); return v }
		target := "-"
		if least, ok := refTarget(b); ok {
			ratio, measured := b.s.median("ref-ratio")
			target = mark(measured && ratio >= least)
			if !measured {
				target += " (no reference)"
			}
		} else if b.file != "proto" && b.latency != "0s" {
			target = "comparison" // the JSON file exporter's own cost
		}
		idealRatio := "-"
		if v, ok := b.s.median("ideal-ratio"); ok {
			idealRatio = fmt.Sprintf("%.3f", v)
		}
		// One empty probe per poll is allowed beyond the minimum; a poll reads at most
		// max_events_per_poll records and then continues at once.
		calls, minCalls := get("calls"), get("ideal-calls")
		allowed := minCalls + math.Ceil(float64(b.records)/maxEventsPerPoll)
		callsCell := fmt.Sprintf("%.0f (%.0f, %.0f)", calls, minCalls, allowed)
		if calls > allowed {
			callsCell += " " + mark(false)
		}
		tokens := "-"
		if v, ok := b.s.median("tokens"); ok {
			tokens = fmt.Sprintf("%.0f", v)
			if v > 1 { // every run is shorter than the token lifetime
				tokens += " " + mark(false)
			}
		}
		refRate := "-"
		if v, ok := b.s.median("ref-records/s"); ok {
			refRate = fmt.Sprintf("%.0f", v)
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %.0f | %s | %s | %s | %s | %.2f | %.3f | %.1f | %.1f | %s | %s |\n",
			b.receiver, b.latency, thousands(b.records), b.file, get("records/s"), refRate, b.s.summary("ref-ratio", "%.3f"), target,
			idealRatio, get("api-ms/call"), get("api-busy"), get("peak-RSS-MiB"), get("CPU-s/Mrecords"), callsCell, tokens)
	}
	var mem bytes.Buffer
	for _, big := range r.backfill {
		if big.records != 1_000_000 {
			continue
		}
		i := slices.IndexFunc(r.backfill, func(x *backfill) bool {
			return x.records == 100_000 && x.receiver == big.receiver && x.latency == big.latency && x.file == big.file
		})
		if i < 0 {
			continue
		}
		small := r.backfill[i].s
		growth := memoryGrowth(small, big.s)
		fmt.Fprintf(&mem, "| %s | %s | %s | %+.1f%% | %s |\n", big.receiver, small.summary("peak-RSS-MiB", "%.1f"), big.s.summary("peak-RSS-MiB", "%.1f"),
			100*growth, mark(growth <= maxMemoryGrowth))
	}
	if mem.Len() > 0 {
		fmt.Fprintf(w, "\nPeak resident memory of the collector, 1,000,000 against 100,000 records, median (min–max) of the runs; target: the median at most %.0f%% above\n\n", 100*maxMemoryGrowth)
		fmt.Fprintln(w, "| Receiver | 100,000 records MiB | 1,000,000 records MiB | Growth of the medians | Target |")
		fmt.Fprintln(w, "|---|---:|---:|---:|---|")
		_, _ = mem.WriteTo(w)
	}
}

// refTarget is the least ratio of records/s to the reference drainer's that a backfill case
// must reach, and false for a case that has none: the JSON row, a comparison of the file
// exporter's formats, and the memory cases without latency (targets of issue 27). CyberArk at
// 20 ms gets less: a 490 KB page every 20 ms is where the receiver's conversion and delivery
// compete most with the simulator and the reference for the two cores. Cortex is held to the
// reference, which keeps the same requests_per_second: 0.97 of its rate-limited ideal, with
// the simulator's and the loopback's time per call counted, which the nominal ideal ignores.
func refTarget(b *backfill) (float64, bool) {
	if b.file != "proto" || b.latency == "0s" || b.latency == "" {
		return 0, false
	}
	switch {
	case b.receiver == "cyberarkisp" && b.latency == "100ms":
		return 0.97, true
	case b.receiver == "cyberarkisp" && b.latency == "20ms":
		return 0.95, true
	case strings.HasPrefix(b.receiver, "xsoaraudit"):
		return 0.97, true
	}
	return 0, false
}

// targetsText says the targets of refTarget in the table's title.
func targetsText() string {
	return "cyberarkisp >= 0.97 at 100ms and >= 0.95 at 20ms, xsoaraudit (both log types) >= 0.97"
}

// memoryGrowth is the median peak RSS of the large backlog over the small one's, minus 1: the
// medians, so that one run disturbed by the machine moves neither.
func memoryGrowth(small, large samples) float64 {
	s, _ := small.median("peak-RSS-MiB")
	l, _ := large.median("peak-RSS-MiB")
	return l/s - 1
}

func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
