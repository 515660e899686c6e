package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/secaudit/otelcol-audit/cmd/auditctl/internal/fetch"
)

// probe is the outcome of checking one receiver.
type probe struct {
	Receiver string `json:"receiver"`
	OK       bool   `json:"ok"`
	// Records is how many records the first page of the query held: the probe reads no more,
	// so the window may hold more.
	Records int    `json:"records"`
	From    string `json:"from"`
	To      string `json:"to"`
	*diagnosis
}

// check tries every cyberarkisp and xsoaraudit receiver of the configuration: its settings,
// its credentials, and one query over [--from, now] of which it reads one page.
func (s *session) check(args []string) (code int) {
	var c commonFlags
	var fromFlag, output string
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	c.register(fs)
	fs.StringVar(&fromFlag, "from", "1 hour ago", "query the records since this `TIME`; none is a missing-data failure")
	fs.StringVar(&output, "output", formatTable, "output `FORMAT`: table or json")
	if code, ok := s.parse(fs, args, &c); !ok {
		return code
	}
	if output != formatTable && output != formatJSON {
		return s.usageError(fs, "--output must be table or json, got %q", output)
	}
	now := s.env.now()
	from, err := parseTime("from", fromFlag, now)
	if err != nil {
		return s.usageError(fs, "%v", err)
	}
	if from.After(now) {
		return s.usageError(fs, "--from (%s) is in the future", stamp(from))
	}
	asJSON := output == formatJSON
	finishTrace, err := s.startTrace(c.trace)
	if err != nil {
		return s.usageError(fs, "%v", err)
	}
	defer func() { code = finishTrace(code) }()

	conf, err := s.loadConfig(c.configs)
	if isFlagError(err) {
		return s.usageError(fs, "%v", err)
	}
	if err == nil {
		// What the collector would refuse at start, refused before any credential is tried.
		err = gate(conf)
	}
	if err != nil {
		s.report("", kind{}.diagnose(groupConfig, err), asJSON)
		return exitFailed
	}
	ids, err := auditReceivers(conf)
	if err != nil {
		s.report("", kind{}.diagnose(groupConfig, err), asJSON)
		return exitFailed
	}
	if len(ids) == 0 {
		s.report("", kind{}.diagnose(groupConfig, fmt.Errorf("%s has no cyberarkisp or xsoaraudit receiver", strings.Join(c.configs, ", "))), asJSON)
		return exitFailed
	}

	// Every configuration is loaded first, so that all secrets are known before any output;
	// the probes then run side by side, since a receiver that cannot connect waits for its
	// retries to give up.
	probes := make([]probe, len(ids))
	var wg sync.WaitGroup
	for i, id := range ids {
		probes[i] = probe{Receiver: id.String(), From: stamp(from), To: stamp(now)}
		t, err := loadReceiver(conf, id, s.secrets)
		if err != nil {
			d := kinds[id.Type()].diagnose(groupConfig, err)
			probes[i].diagnosis = &d
			continue
		}
		wg.Go(func() { s.probe(&probes[i], t, c, from, now) })
	}
	wg.Wait()

	failed := 0
	for _, p := range probes {
		if !p.OK {
			failed++
		}
	}
	if asJSON {
		enc := json.NewEncoder(s.stdout)
		enc.SetEscapeHTML(false)
		_ = enc.Encode(struct {
			OK        bool    `json:"ok"`
			Receivers []probe `json:"receivers"`
		}{failed == 0, probes})
	} else {
		s.checkTable(probes, failed)
	}
	if failed > 0 {
		return exitFailed
	}
	return exitOK
}

// probe opens the receiver's source and reads the first page of a query over [from, to].
func (s *session) probe(p *probe, t *target, c commonFlags, from, to time.Time) {
	capRetries(&t.cfg.PollSettings().Retry, c.maxRetryTime)
	fail := func(d diagnosis) { p.diagnosis = &d }
	src, err := fetch.Open(s.env.ctx, t.kind.spec, t.cfg, fetch.Settings(t.id, s.logger(c.verbose), version), s.trace.Tap(t.id.String()))
	if err != nil {
		fail(t.kind.diagnoseClient(err))
		return
	}
	res, err := fetch.Read(s.env.ctx, src, fetch.Window{From: from, To: to, MaxPages: 1})
	switch {
	case err != nil:
		fail(t.kind.diagnose(classify(err), err))
	case res.Records == 0:
		fail(t.kind.diagnose(groupMissing, fmt.Errorf("the API accepted the credentials and the query, but returned no records between %s and %s",
			stamp(from), stamp(to))))
	default:
		p.OK, p.Records = true, res.Records
	}
}

// checkTable prints one line per receiver, and under a failure its message and the hint.
func (s *session) checkTable(probes []probe, failed int) {
	width := 0
	for _, p := range probes {
		width = max(width, len(p.Receiver))
	}
	margin := strings.Repeat(" ", width+2)
	for _, p := range probes {
		if p.OK {
			s.stdout.printf("%-*s  OK    credentials accepted; first page since %s: %s\n", width, p.Receiver, p.From, records(p.Records))
			continue
		}
		s.stdout.printf("%-*s  FAIL  %s\n%s  error: %s\n%s  hint:  %s\n",
			width, p.Receiver, p.Group, margin, indent(p.Error, margin+"  "+pad), margin, p.Hint)
	}
	if failed == 0 {
		s.stdout.printf("\nall %d receivers OK\n", len(probes))
	} else {
		s.stdout.printf("\n%d of %d receivers failed\n", failed, len(probes))
	}
}
