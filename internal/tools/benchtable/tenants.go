package main

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Targets of issue 15, for the case it names: 50 cyberarkisp and 50 xsoaraudit receivers.
const (
	tenantsReceivers = 100
	maxTenantsRSSMiB = 250.0
	maxIdleCPUPct    = 1.0 // of one core, over the minute after catching up
)

// tenants is one BenchmarkTenants case, named cyberarkisp=/xsoaraudit=/records=/latency=.
type tenants struct {
	cyberark, xsoar, records int
	latency                  string
	s                        samples
}

func (t *tenants) same(o *tenants) bool {
	return t.cyberark == o.cyberark && t.xsoar == o.xsoar && t.records == o.records && t.latency == o.latency
}

func parseTenants(keys []string) (*tenants, error) {
	if len(keys) != 4 {
		return nil, errors.New("want cyberarkisp=/xsoaraudit=/records=/latency=")
	}
	t := &tenants{}
	for _, kv := range keys {
		k, v, _ := strings.Cut(kv, "=")
		var err error
		switch k {
		case "cyberarkisp":
			t.cyberark, err = strconv.Atoi(v)
		case "xsoaraudit":
			t.xsoar, err = strconv.Atoi(v)
		case "records":
			t.records, err = strconv.Atoi(v)
		case "latency":
			t.latency = v
		default:
			err = fmt.Errorf("unknown key %q", k)
		}
		if err != nil {
			return nil, err
		}
	}
	return t, nil
}

// printTenants writes the table of one collector carrying many tenants; mark marks a target.
func printTenants(w io.Writer, cases []*tenants, mark func(bool) string) {
	fmt.Fprintf(w, "\nOne collector, one receiver per tenant, each tenant on its own loopback address with its backlog: simulator -> receivers -> file exporter, "+
		"checkpoints in file_storage (fsync); targets for %d receivers: every record exactly once, peak RSS <= %.0f MiB, idle CPU < %.0f%% of one core\n\n",
		tenantsReceivers, maxTenantsRSSMiB, maxIdleCPUPct)
	fmt.Fprintln(w, "| Receivers (cyberarkisp + xsoaraudit) | Backlog per tenant | Latency | Start to ready s | Start to every receiver caught up s | "+
		"Peak RSS MiB | Target | RSS idle MiB | Goroutines draining, idle | CPU s per 1M records | Idle CPU % of one core | Target | API calls in the idle minute | Missing, duplicates | Target |")
	fmt.Fprintln(w, "|---|---:|---|---:|---:|---:|---|---:|---:|---:|---:|---|---:|---:|---|")
	for _, t := range cases {
		get := func(unit string) float64 { v, _ := t.s.median(unit); return v }
		rss, rssTarget := get("peak-RSS-MiB"), "-"
		if t.cyberark+t.xsoar == tenantsReceivers {
			rssTarget = mark(rss <= maxTenantsRSSMiB)
		}
		idle := get("idle-CPU-%")
		missing, dups := get("missing"), get("dups")
		fmt.Fprintf(w, "| %d (%d + %d) | %s | %s | %.1f | %.1f | %.1f | %s | %.1f | %.0f, %.0f | %.1f | %.2f | %s | %.0f | %.0f, %.0f | %s |\n",
			t.cyberark+t.xsoar, t.cyberark, t.xsoar, thousands(t.records), t.latency, get("ready-s"), get("caught-up-s"),
			rss, rssTarget, get("idle-RSS-MiB"), get("goroutines"), get("idle-goroutines"), get("CPU-s/Mrecords"),
			idle, mark(idle < maxIdleCPUPct), get("idle-calls"), missing, dups, mark(missing == 0 && dups == 0))
	}
}
