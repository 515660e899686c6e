package main

import (
	"flag"
	"fmt"
	"slices"
	"time"

	"github.com/secaudit/otelcol-audit/cmd/auditctl/internal/fetch"
)

// getEventsFlags are the flags of get-events; the defaults are those of the
// cyberark-isp-get-events command this mirrors.
type getEventsFlags struct {
	commonFlags
	receiver, from, to, output, push string
	limit                            int
}

// getEvents reads the records of one receiver in [--from, --to], at most --limit, and prints
// them or pushes them. It never reads or writes a checkpoint (the checkpoint commands do).
func (s *session) getEvents(args []string) (code int) {
	var f getEventsFlags
	fs := flag.NewFlagSet("get-events", flag.ContinueOnError)
	f.register(fs)
	fs.StringVar(&f.receiver, "receiver", "", "receiver `ID` in the configuration, e.g. cyberarkisp or xsoaraudit/prod (optional when there is only one)")
	fs.StringVar(&f.from, "from", "1 minute ago", "read records from this `TIME` (inclusive)")
	fs.StringVar(&f.to, "to", "now", "read records up to this `TIME` (inclusive)")
	fs.IntVar(&f.limit, "limit", 50, "print at most `N` records, the oldest first")
	fs.StringVar(&f.output, "output", formatTable, "output `FORMAT`: table, json (one object per line) or otlp-json")
	fs.StringVar(&f.push, "push", "", "send the records to this OTLP/HTTP `URL` (URL/v1/logs) instead of printing them")
	if code, ok := s.parse(fs, args, &f.commonFlags); !ok {
		return code
	}
	asJSON := f.output != formatTable
	now := s.env.now()
	from, err := parseTime("from", f.from, now)
	if err != nil {
		return s.usageError(fs, "%v", err)
	}
	to, err := parseTime("to", f.to, now)
	if err != nil {
		return s.usageError(fs, "%v", err)
	}
	pushURL := ""
	switch {
	case from.After(now):
		return s.usageError(fs, "--from (%s) is in the future: no record can be there yet; use a time up to now", stamp(from))
	case to.Before(from):
		return s.usageError(fs, "--to (%s) is before --from (%s)", stamp(to), stamp(from))
	case f.limit < 1:
		return s.usageError(fs, "--limit must be at least 1, got %d", f.limit)
	case !slices.Contains([]string{formatTable, formatJSON, formatOTLPJSON}, f.output):
		return s.usageError(fs, "--output must be table, json or otlp-json, got %q", f.output)
	case f.push != "":
		if pushURL, err = logsURL(f.push); err != nil {
			return s.usageError(fs, "%v", err)
		}
	}

	finishTrace, err := s.startTrace(f.trace)
	if err != nil {
		return s.usageError(fs, "%v", err)
	}
	defer func() { code = finishTrace(code) }()

	ctx := s.env.ctx
	conf, err := s.loadConfig(f.configs)
	if isFlagError(err) {
		return s.usageError(fs, "%v", err)
	}
	if err != nil {
		s.report("", kind{}.diagnose(groupConfig, err), asJSON)
		return exitFailed
	}
	id, err := pickReceiver(conf, f.receiver)
	if isFlagError(err) {
		return s.usageError(fs, "%v", err)
	}
	if err != nil {
		s.report("", kind{}.diagnose(groupConfig, err), asJSON)
		return exitFailed
	}
	t, err := loadReceiver(conf, id, s.secrets)
	if err != nil {
		s.report(id.String(), kinds[id.Type()].diagnose(groupConfig, err), asJSON)
		return exitFailed
	}
	capRetries(&t.cfg.PollSettings().Retry, f.maxRetryTime)
	src, err := fetch.Open(ctx, t.kind.spec, t.cfg, fetch.Settings(id, s.logger(f.verbose), version), s.trace.Tap(id.String()))
	if err != nil {
		s.report(id.String(), t.kind.diagnoseClient(err), asJSON)
		return exitFailed
	}
	res, readErr := fetch.Read(ctx, src, fetch.Window{From: from, To: to, Limit: f.limit})

	// What was read before a failure is still shown: it tells how far the query got.
	switch {
	case pushURL != "" && res.Records > 0:
		s.stderr.printf("auditctl: warning: a collector that runs receiver %s already sends these records; "+
			"pushing them may duplicate them downstream\n", id)
		if err := push(ctx, s.pushClient(), pushURL, res.Logs); err != nil {
			s.report(id.String(), t.kind.diagnose(groupPush, err), asJSON)
			return exitFailed
		}
		s.stdout.printf("pushed %s from %s to %s\n", records(res.Records), id, pushURL)
	case pushURL == "" && (res.Records > 0 || readErr == nil):
		if err := writeRecords(s.stdout, f.output, id.String(), res.Logs); err != nil {
			s.stderr.printf("auditctl: writing the records: %v\n", err)
			return exitFailed
		}
	}
	if readErr != nil {
		s.report(id.String(), t.kind.diagnose(classify(readErr), readErr), asJSON)
		return exitFailed
	}
	s.summary(id.String(), t.kind, res, from, to, f.limit)
	return exitOK
}

// summary tells on stderr how many records the window held, and what to check when none.
func (s *session) summary(id string, k kind, res fetch.Result, from, to time.Time, limit int) {
	window := fmt.Sprintf("between %s and %s", stamp(from), stamp(to))
	switch {
	case res.Records == 0:
		s.stderr.printf("auditctl: %s: no records %s\n  hint:  %s\n", id, window, k.hint(groupMissing))
	case res.Limited:
		s.stderr.printf("auditctl: %s: %s %s; stopped at --limit %d, more may match\n", id, records(res.Records), window, limit)
	default:
		s.stderr.printf("auditctl: %s: %s %s\n", id, records(res.Records), window)
	}
}

// records says "1 record", "2 records".
func records(n int) string {
	if n == 1 {
		return "1 record"
	}
	return fmt.Sprintf("%d records", n)
}
