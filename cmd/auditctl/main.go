// Command auditctl checks the cyberarkisp and xsoaraudit receivers of a collector configuration
// against the real vendor APIs, and shows the records they would collect, before a pipeline is
// wired. It reads the receivers' settings from the collector's own configuration file and
// fetches and converts through the receivers' own code, without touching their checkpoints;
// only the checkpoint commands read and change those. See README.md.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"go.opentelemetry.io/collector/config/configretry"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/secaudit/otelcol-audit/internal/hartrace"
	"github.com/secaudit/otelcol-audit/internal/starttime"
)

// version is the distribution's version: records carry it as their scope version, as they do
// when the collector reads them. It must equal dist.version in builder-config.yaml (a test
// checks). `make` sets it with -ldflags "-X main.version=..." to the string otelcol-audit's
// BuildInfo carries: the release version with the commit as semver build metadata
// (0.1.0+1a2b3c4d5e6f), so that both binaries report the same.
var version = "0.1.0"

// Exit statuses.
const (
	exitOK     = 0
	exitFailed = 1 // a receiver failed, or its configuration is wrong
	exitUsage  = 2 // wrong command line
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(os.Args[1:], os.Stdout, os.Stderr, environment{ctx: ctx, now: time.Now})
	stop()
	os.Exit(code)
}

// environment is what run takes from the process besides its arguments and output streams.
// Environment variables are not in it: ${env:…} is expanded by the collector's own env
// provider, which reads the process environment.
type environment struct {
	// ctx ends the command early: main cancels it on SIGINT and SIGTERM.
	ctx context.Context
	// now is the clock that relative times (--from "3 days ago") are resolved against.
	now func() time.Time
}

// session is one run: its output streams, which hide every secret the configuration holds.
type session struct {
	env            environment
	secrets        *secretSet
	stdout, stderr *scrubWriter
	// trace records the HTTP exchanges for --trace; nil without it.
	trace *hartrace.Recorder
	// traceRecords (--trace-records) keeps the records' values in the trace.
	traceRecords bool
}

// run executes one auditctl command line and returns the exit status.
func run(args []string, stdout, stderr io.Writer, env environment) int {
	if env.ctx == nil {
		env.ctx = context.Background()
	}
	if env.now == nil {
		env.now = time.Now
	}
	secrets := newSecretSet()
	s := &session{
		env:     env,
		secrets: secrets,
		stdout:  &scrubWriter{w: stdout, secrets: secrets},
		stderr:  &scrubWriter{w: stderr, secrets: secrets},
	}
	defer s.stderr.Flush()
	defer s.stdout.Flush()
	if len(args) == 0 {
		usage(s.stderr)
		return exitUsage
	}
	switch args[0] {
	case "get-events":
		return s.getEvents(args[1:])
	case "check":
		return s.check(args[1:])
	case "checkpoint":
		return s.checkpointCmd(args[1:])
	case "help", "-h", "-help", "--help":
		usage(s.stdout)
		return exitOK
	case "version", "-version", "--version":
		s.stdout.printf("auditctl version %s\n", versionString())
		return exitOK
	default:
		s.stderr.printf("auditctl: unknown command %q\n\n", args[0])
		usage(s.stderr)
		return exitUsage
	}
}

// versionString is what --version prints, in otelcol-audit's format: the release version and the
// commit it was built from. A build without make's -ldflags (go install) still has the commit
// in its Go build info when it was built from a git checkout.
func versionString() string {
	if strings.Contains(version, "+") {
		return version
	}
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				return version + "+" + s.Value[:12]
			}
		}
	}
	return version + "+unknown"
}

func usage(w *scrubWriter) {
	w.printf("%s", `Usage:
  auditctl get-events --config FILE [--receiver TYPE[/NAME]] [--from TIME] [--to TIME] [--limit N]
                      [--output table|json|otlp-json] [--push URL] [--max-retry-time D] [--verbose]
                      [--trace FILE.har [--trace-records]]
  auditctl check      --config FILE [--from TIME] [--output table|json] [--max-retry-time D] [--verbose]
                      [--trace FILE.har [--trace-records]]
  auditctl checkpoint show   --config FILE [--receiver TYPE[/NAME]] [--output table|json]
  auditctl checkpoint set    --config FILE [--receiver TYPE[/NAME]] --time TIME
  auditctl checkpoint delete --config FILE [--receiver TYPE[/NAME]]
  auditctl --version

get-events reads records through a cyberarkisp or xsoaraudit receiver of the collector
configuration and prints them as the receiver converts them. check tries every such receiver
(credentials and one query) and says, for each, OK or what to fix. checkpoint shows the
receivers' checkpoints in their file_storage files, moves one (set) or removes one (delete);
set and delete refuse while a collector holds the file.

TIME is "now", "<N> <unit> ago" (second, minute, hour, day, week), "YYYY-MM-DD HH:MM:SS" (UTC)
or RFC 3339. Every command takes --env-file FILE: the variables of the configuration's ${env:NAME}
read from FILE as systemd reads the service's EnvironmentFile= (no shell expansion), e.g.
/etc/otelcol-audit/otelcol-audit.env. Run "auditctl <command> -h" for the flags of a command.
`)
}

// commonFlags are the flags of both commands (envFile, --env-file, of every command: parse
// registers it).
type commonFlags struct {
	configs      stringList
	maxRetryTime time.Duration
	verbose      bool
	trace        string
	traceRecords bool
	envFile      string
}

func (c *commonFlags) register(fs *flag.FlagSet) {
	fs.Var(&c.configs, "config", "collector configuration `URI`: a file path, or env:, yaml:, file: (repeat to merge, as with the collector)")
	fs.DurationVar(&c.maxRetryTime, "max-retry-time", 10*time.Second,
		"give up retrying a failed API call (429, 5xx, network) after this long; 0 = no retry")
	fs.BoolVar(&c.verbose, "verbose", false, "show the receiver's own logs on stderr, down to debug level (tokens obtained, retries, warnings)")
	fs.StringVar(&c.trace, "trace", "", "write every HTTP exchange to `FILE` as HAR 1.2, secrets redacted and the records' values replaced by their shape, to attach to a bug report")
	fs.BoolVar(&c.traceRecords, "trace-records", false, "keep the audit records as received in the --trace file (personal data: share it only where the records may go)")
}

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }

// parse parses a command's flags. It returns false with the exit status when the command
// should not run: help was asked for, or the command line is wrong.
func (s *session) parse(fs *flag.FlagSet, args []string, c *commonFlags) (int, bool) {
	fs.SetOutput(s.stderr)
	fs.StringVar(&c.envFile, "env-file", "", "read the variables the configuration's ${env:NAME} use from `FILE`, as systemd reads "+
		"EnvironmentFile= (NAME=value lines; no shell expansion), e.g. /etc/otelcol-audit/otelcol-audit.env")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK, false
		}
		return exitUsage, false
	}
	if fs.NArg() > 0 {
		return s.usageError(fs, "unexpected argument %q", fs.Arg(0)), false
	}
	if len(c.configs) == 0 {
		return s.usageError(fs, "--config is required"), false
	}
	if c.maxRetryTime < 0 {
		return s.usageError(fs, "--max-retry-time must not be negative"), false
	}
	if c.envFile != "" {
		if err := loadEnvFile(c.envFile); err != nil {
			return s.usageError(fs, "--env-file: %v", err), false
		}
	}
	if c.traceRecords && c.trace == "" {
		return s.usageError(fs, "--trace-records needs --trace FILE.har"), false
	}
	s.traceRecords = c.traceRecords
	return exitOK, true
}

func (s *session) usageError(fs *flag.FlagSet, format string, args ...any) int {
	s.stderr.printf("auditctl %s: %s\n", fs.Name(), fmt.Sprintf(format, args...))
	return exitUsage
}

// parseTime reads --from or --to in the forms the receivers' start_time accepts.
func parseTime(name, value string, now time.Time) (time.Time, error) {
	spec, err := starttime.Parse(value)
	if err != nil {
		return time.Time{}, fmt.Errorf("--%s %w", name, err)
	}
	return spec.Resolve(now), nil
}

// capRetries bounds how long one API call is retried. A collector retries for minutes, which is
// right for a pipeline; a person at a terminal wants the error. 0 turns retries off.
func capRetries(r *configretry.BackOffConfig, limit time.Duration) {
	switch {
	case limit == 0:
		r.Enabled = false
	case r.MaxElapsedTime == 0 || r.MaxElapsedTime > limit:
		r.MaxElapsedTime = limit
	}
}

// logger returns the receivers' logger: silent unless --verbose, then debug on stderr.
func (s *session) logger(verbose bool) *zap.Logger {
	if !verbose {
		return zap.NewNop()
	}
	enc := zap.NewDevelopmentEncoderConfig()
	return zap.New(zapcore.NewCore(zapcore.NewConsoleEncoder(enc), zapcore.AddSync(s.stderr), zapcore.DebugLevel))
}

// report prints a failure on stderr: as a JSON object when asJSON, else as three lines.
func (s *session) report(receiverID string, d diagnosis, asJSON bool) {
	if asJSON {
		enc := json.NewEncoder(s.stderr)
		enc.SetEscapeHTML(false)
		_ = enc.Encode(struct {
			Receiver string `json:"receiver,omitempty"`
			diagnosis
		}{receiverID, d})
		return
	}
	who := "auditctl"
	if receiverID != "" {
		who += ": " + receiverID
	}
	s.stderr.printf("%s: %s failure\n  error: %s\n  hint:  %s\n", who, d.Group, indent(d.Error, "  "+pad), d.Hint)
}

// pad lines up continuation lines with the text after "error: " and "hint:  ".
const pad = "       "

// indent puts prefix before every line of text but the first, and drops empty lines: the
// collector's configuration errors span several lines, with blank ones between.
func indent(text, prefix string) string {
	var lines []string
	for _, l := range strings.Split(text, "\n") {
		if strings.TrimSpace(l) != "" {
			lines = append(lines, l)
		}
	}
	return strings.Join(lines, "\n"+prefix)
}

// stamp formats a window bound for messages: UTC, to the second.
func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }
