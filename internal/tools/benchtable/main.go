// Command benchtable turns the Go benchmark output of `make bench` into the one table the
// README's performance section shows: page conversion against json.Unmarshal, backfill
// throughput against the API's ideal, memory for a small and a large backlog, CPU per million
// records and API calls, and one collector carrying many tenants. It marks each target met or
// missed and exits 1 when one is missed.
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

// Targets of issue 7.
const (
	maxConvertRatio = 1.0  // receiver ns/record over json.Unmarshal's
	minIdealRatio   = 0.95 // records/s over the API's ideal
	maxMemoryGrowth = 0.10 // peak RSS of a 1M backfill over a 100k one, minus 1
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
	fmt.Fprintf(w, "\nBackfill through otelcol-audit: simulator -> receiver -> file exporter, checkpoints in file_storage (fsync); target ratio >= %.2f\n\n", minIdealRatio)
	fmt.Fprintln(w, "| Receiver | Latency | Records | File | Records/s | Ideal records/s | Ratio | Target | API ms/call | API busy | Peak RSS MiB | CPU s per 1M records | API calls (minimum, allowed) | Token requests |")
	fmt.Fprintln(w, "|---|---|---:|---|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|")
	for _, b := range r.backfill {
		get := func(unit string) float64 { v, _ := b.s.median(unit); return v }
		ideal, ratio, target := "-", "-", "-"
		if v, ok := b.s.median("ideal-records/s"); ok {
			ideal = fmt.Sprintf("%.0f", v)
			ratio = fmt.Sprintf("%.3f", get("ideal-ratio"))
			switch b.file {
			case "proto":
				target = mark(get("ideal-ratio") >= minIdealRatio)
			default: // the JSON file exporter's own cost, for comparison
				target = "comparison"
			}
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
		fmt.Fprintf(w, "| %s | %s | %s | %s | %.0f | %s | %s | %s | %.2f | %.3f | %.1f | %.1f | %s | %s |\n",
			b.receiver, b.latency, thousands(b.records), b.file, get("records/s"), ideal, ratio, target,
			get("api-ms/call"), get("api-busy"), get("peak-RSS-MiB"), get("CPU-s/Mrecords"), callsCell, tokens)
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
		small, _ := r.backfill[i].s.median("peak-RSS-MiB")
		large, _ := big.s.median("peak-RSS-MiB")
		growth := large/small - 1
		fmt.Fprintf(&mem, "| %s | %.1f | %.1f | %+.1f%% | %s |\n", big.receiver, small, large, 100*growth, mark(growth <= maxMemoryGrowth))
	}
	if mem.Len() > 0 {
		fmt.Fprintf(w, "\nPeak resident memory of the collector, 1,000,000 against 100,000 records; target at most %.0f%% more\n\n", 100*maxMemoryGrowth)
		fmt.Fprintln(w, "| Receiver | 100,000 records MiB | 1,000,000 records MiB | Growth | Target |")
		fmt.Fprintln(w, "|---|---:|---:|---:|---|")
		_, _ = mem.WriteTo(w)
	}
}

func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
