// Command auditsim runs the CyberArk ISP and Cortex XSOAR audit API simulator on a loopback port.
// See internal/testsupport/simulator/README.md.
package main

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/secaudit/otelcol-audit/internal/testsupport/simulator"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "auditsim:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	o, c, err := parseArgs(args)
	if err != nil || c.help {
		return err
	}
	level, addrFile, tenants := c.level, c.addrFile, c.tenants
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	o.Logger = log

	start := time.Now()
	sims, closeAll, err := build(o, tenants)
	if err != nil {
		return err
	}
	defer func() { _ = closeAll() }()
	loaded := time.Since(start)
	var addrs strings.Builder
	for n, sim := range sims {
		// Credentials are deliberately not logged, not even the demo ones.
		st, so := sim.Stats(), sim.Options()
		log.Info("auditsim listening", "tenant", n+1, "addr", sim.Addr(), "url", sim.URL(),
			"cyberark_records", st.Records[simulator.CyberArk], "xsoar_records", st.Records[simulator.XSOAR],
			"xsoar_agents_records", st.Records[simulator.XSOARAgents],
			"load_time", loaded.Round(time.Millisecond), "rate", o.Rate, "web_app_id", so.WebAppID,
			"client_id", so.ClientID, "xsoar_key_id", so.XSOARKeyID, "xsoar_key_level", level)
		addrs.WriteString(sim.Addr() + "\n")
	}
	if addrFile != "" {
		if err := writeAtomic(addrFile, addrs.String()); err != nil {
			return err
		}
	}

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	got := <-sig
	log.Info("auditsim stopping", "signal", got.String())
	return closeAll()
}

// build starts one simulator with o, or with more than one tenant a fleet built from o, and
// returns the function that closes them.
func build(o simulator.Options, tenants int) ([]*simulator.Simulator, func() error, error) {
	if tenants < 1 {
		return nil, nil, fmt.Errorf("--tenants must be at least 1, got %d", tenants)
	}
	if tenants == 1 { // one tenant keeps the credentials as given
		sim, err := simulator.New(o)
		if err != nil {
			return nil, nil, err
		}
		if _, err := sim.Start(); err != nil {
			return nil, nil, err
		}
		return []*simulator.Simulator{sim}, sim.Close, nil
	}
	f, err := simulator.NewFleet(tenants, o, nil)
	if err != nil {
		return nil, nil, err
	}
	if err := f.Start(); err != nil {
		return nil, nil, err
	}
	return f.Tenants(), f.Close, nil
}

// writeAtomic writes the file under a temporary name and renames it, so a script polling for it
// never reads a half-written address.
func writeAtomic(path, content string) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".auditsim-addr-*")
	if err != nil {
		return err
	}
	if _, err := tmp.WriteString(content); err != nil {
		_ = tmp.Close()
		_ = os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		_ = os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// cliArgs are the flags that are not simulator options.
type cliArgs struct {
	level, addrFile string
	tenants         int
	clockSkew       time.Duration
	help            bool
}

// parseArgs reads the command line into the simulator's options and the command's own flags.
func parseArgs(args []string) (simulator.Options, cliArgs, error) {
	fs := flag.NewFlagSet("auditsim", flag.ContinueOnError)
	var o simulator.Options
	var c cliArgs
	level, addrFile, tenants := &c.level, &c.addrFile, &c.tenants
	fs.StringVar(&o.Listen, "listen", "127.0.0.1:0", "loopback address to listen on (port 0 picks a free port)")
	fs.StringVar(addrFile, "addr-file", "", "write the bound host:port to this file once listening (one line per tenant)")
	fs.IntVar(tenants, "tenants", 1, "serve this many tenants, tenant n on the n-th loopback address from --listen's, each with its own records, credentials (each secret suffixed -n, XSOAR key id n) and rate limits")
	fs.IntVar(&o.CyberArkBackfill, "cyberark-backfill", 0, "CyberArk events to generate at start")
	fs.IntVar(&o.XSOARBackfill, "xsoar-backfill", 0, "XSOAR management audit log records to generate at start")
	fs.IntVar(&o.XSOARAgentsBackfill, "xsoar-agents-backfill", 0, "agents' audit reports (agents_reports) of the XSOAR tenant to generate at start")
	fs.DurationVar(&o.BackfillSpan, "backfill-span", 24*time.Hour, "the backfill is spread over this span before now")
	fs.Float64Var(&o.Rate, "rate", 2, "records generated per second per record feed (CyberArk, XSOAR management log, agents' reports) while running (0 = none)")
	fs.Float64Var(&o.LateShare, "late-share", 0, "share (0 to 1) of the records generated while running that arrive late, dated up to --late-max before they are added")
	fs.DurationVar(&o.LateMax, "late-max", 0, "how late a late record may be (with --late-share)")
	fs.DurationVar(&c.clockSkew, "clock-skew", 0, "run the vendor clock this far ahead of the real one (negative: behind): record times, Date headers, token and cursor expiry")
	fs.DurationVar(&o.Latency, "latency", 0, "response time of every vendor request (the simulator's own work included)")
	fs.DurationVar(&o.TokenTTL, "token-ttl", time.Hour, "lifetime of CyberArk access tokens (expires_in)")
	fs.Uint64Var(&o.Seed, "seed", 0, "seed for generated records (0 = random)")
	fs.Int64Var(&o.XSOARFirstID, "xsoar-first-id", 0, "AUDIT_ID of the first XSOAR record (0 = 100001); give each run new IDs when a collector keeps its checkpoint across runs")
	fs.StringVar(&o.ClientID, "client-id", simulator.DefaultClientID, "CyberArk OAuth2 client id")
	fs.StringVar(&o.ClientSecret, "client-secret", simulator.DefaultClientSecret, "CyberArk OAuth2 client secret")
	fs.StringVar(&o.WebAppID, "web-app-id", simulator.DefaultWebAppID, "CyberArk OAuth2 web app id (case-sensitive)")
	fs.StringVar(&o.APIKey, "api-key", simulator.DefaultAPIKey, "CyberArk SIEM integration API key (x-api-key)")
	fs.DurationVar(&o.CyberArkRetention, "cyberark-retention", 7*24*time.Hour, "CyberArk events older than this are not returned")
	fs.DurationVar(&o.CursorTTL, "cursor-ttl", 0, "CyberArk cursors older than this are rejected with 400 (0 = never)")
	fs.DurationVar(&o.QueryInterval, "query-interval", 0, "minimum time between CyberArk createQuery calls, else 429 (0 = no limit)")
	fs.StringVar(&o.XSOARKeyID, "xsoar-key-id", simulator.DefaultXSOARKeyID, "XSOAR API key id (x-xdr-auth-id)")
	fs.StringVar(&o.XSOARKey, "xsoar-key", simulator.DefaultXSOARKey, "XSOAR API key")
	fs.StringVar(level, "xsoar-key-level", string(simulator.KeyAdvanced), "XSOAR key security level: standard or advanced")
	fs.Float64Var(&o.XSOARRateLimit, "xsoar-rate-limit", 10, "XSOAR requests per second per tenant (negative = unlimited)")
	fs.IntVar(&o.XSOARResultWindow, "xsoar-result-window", 10000, "deepest XSOAR offset served per result set (negative = unlimited)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return o, cliArgs{help: true}, nil
		}
		return o, c, err
	}
	if fs.NArg() > 0 {
		return o, c, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	o.XSOARKeyLevel = simulator.KeyLevel(c.level)
	if skew := c.clockSkew; skew != 0 {
		o.Now = func() time.Time { return time.Now().Add(skew) }
	}
	// A zero on the command line means "none", not "the library default".
	if o.CyberArkRetention == 0 {
		o.CyberArkRetention = -1
	}
	if o.XSOARRateLimit == 0 {
		o.XSOARRateLimit = -1
	}
	if o.XSOARResultWindow == 0 {
		o.XSOARResultWindow = -1
	}
	return o, c, nil
}
