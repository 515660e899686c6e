package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/storage/filestorage"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"

	"github.com/secaudit/otelcol-audit/internal/checkpoint"
	"github.com/secaudit/otelcol-audit/internal/poller"
)

// checkpointFlags are the flags of the checkpoint subcommands.
type checkpointFlags struct {
	common   commonFlags
	receiver string
	at       string
	output   string
}

// checkpointCmd shows, moves or deletes the checkpoints the receivers keep in file_storage.
func (s *session) checkpointCmd(args []string) int {
	if len(args) == 0 || !slices.Contains([]string{"show", "set", "delete"}, args[0]) {
		s.stderr.printf("auditctl checkpoint: give show, set or delete\n\n")
		usage(s.stderr)
		return exitUsage
	}
	sub := args[0]
	fs := flag.NewFlagSet("checkpoint "+sub, flag.ContinueOnError)
	var f checkpointFlags
	fs.Var(&f.common.configs, "config", "collector configuration `URI` (repeat to merge, as with the collector)")
	fs.StringVar(&f.receiver, "receiver", "", "the receiver `ID` as named under receivers: (show: all when empty)")
	if sub == "set" {
		fs.StringVar(&f.at, "time", "", "the new position `TIME`: records after it are delivered next")
	}
	if sub == "show" {
		fs.StringVar(&f.output, "output", "table", "`table` or json")
	}
	if code, ok := s.parse(fs, args[1:], &f.common); !ok {
		return code
	}
	if sub == "set" && f.at == "" {
		return s.usageError(fs, "--time is required")
	}
	if f.output != "" && f.output != "table" && f.output != "json" {
		return s.usageError(fs, "--output must be table or json, got %q", f.output)
	}
	var at time.Time
	if sub == "set" {
		now := s.env.now()
		var err error
		if at, err = parseTime("time", f.at, now); err != nil {
			return s.usageError(fs, "%v", err)
		}
		if at.After(now) {
			// A position in the future counts every record until then as delivered.
			return s.usageError(fs, "--time (%s) is in the future: the receiver would drop every record until then as already delivered; "+
				"use a time up to now (\"now\" skips the backlog)", stamp(at))
		}
	}
	conf, err := s.loadConfig(f.common.configs)
	if isFlagError(err) {
		return s.usageError(fs, "%v", err)
	}
	if err != nil {
		s.stderr.printf("auditctl: %v\n", err)
		return exitFailed
	}
	switch sub {
	case "show":
		return s.showCheckpoints(conf, f, fs)
	case "set":
		return s.changeCheckpoint(conf, f.receiver, fs, true, func(t *checkpointTarget, store *checkpoint.Store) (string, error) {
			before, err := store.Set(s.env.ctx, at, t.spec.Granularity, t.cfg.PollSettings().Overlap)
			if err != nil {
				return "", err
			}
			from := "no checkpoint"
			if !before.IsZero() {
				from = stamp(before)
			}
			return fmt.Sprintf("checkpoint moved from %s to %s: the records after it are delivered at the next start "+
				"(again, with the same log.record.uid, if they were delivered before)", from, stamp(at)), nil
		})
	default:
		return s.changeCheckpoint(conf, f.receiver, fs, false, func(_ *checkpointTarget, store *checkpoint.Store) (string, error) {
			found, err := store.Delete(s.env.ctx)
			if err != nil {
				return "", err
			}
			if !found {
				return "had no checkpoint; nothing deleted", nil
			}
			return "checkpoint deleted: the receiver starts at its start_time at the next start", nil
		})
	}
}

// checkpointTarget is a receiver and the file_storage file that holds its checkpoints.
type checkpointTarget struct {
	id      component.ID
	spec    poller.Spec
	cfg     poller.Configured
	storage component.ID
	file    string
}

// checkpointTargets resolves the receivers named (all audit receivers when name is empty) to
// the files their storage extension keeps them in.
func (s *session) checkpointTargets(conf *confmap.Conf, name string, all bool) ([]checkpointTarget, error) {
	var ids []component.ID
	if all && name == "" {
		var err error
		if ids, err = auditReceivers(conf); err != nil {
			return nil, err
		}
	} else {
		id, err := pickReceiver(conf, name)
		if err != nil {
			return nil, err
		}
		ids = []component.ID{id}
	}
	var out []checkpointTarget
	for _, id := range ids {
		t, err := loadReceiver(conf, id, s.secrets)
		if err != nil {
			return nil, err
		}
		storageID := t.cfg.PollSettings().StorageID
		if storageID == nil {
			return nil, fmt.Errorf("%s has no storage setting: its checkpoint lives in the collector's memory only", id)
		}
		dir, err := fileStorageDirectory(conf, *storageID)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", id, err)
		}
		out = append(out, checkpointTarget{id: id, spec: t.kind.spec, cfg: t.cfg, storage: *storageID, file: storageFile(dir, id)})
	}
	return out, nil
}

// fileStorageDirectory is the directory of a file_storage extension, with its defaults applied.
func fileStorageDirectory(conf *confmap.Conf, id component.ID) (string, error) {
	factory := filestorage.NewFactory()
	if id.Type() != factory.Type() {
		return "", fmt.Errorf("storage %q is not a file_storage extension; auditctl reads file_storage only", id)
	}
	sub, err := conf.Sub("extensions::" + id.String())
	if err != nil {
		return "", fmt.Errorf("reading extensions::%s: %w", id, err)
	}
	cfg := factory.CreateDefaultConfig().(*filestorage.Config)
	if err := sub.Unmarshal(cfg); err != nil {
		return "", fmt.Errorf("reading extensions::%s: %w", id, err)
	}
	return cfg.Directory, nil
}

// checkpointRow is one stored checkpoint, as show prints it.
type checkpointRow struct {
	Receiver string    `json:"receiver"`
	Current  bool      `json:"current"` // the one the receiver's configuration reads
	Source   string    `json:"source"`
	Time     time.Time `json:"time"`
	LagSec   int64     `json:"lag_seconds"`
	Ahead    bool      `json:"ahead,omitempty"` // later than now: see lagText
	Records  int64     `json:"records_delivered"`
	Boundary int       `json:"boundary_ids"`
	Key      string    `json:"key"`
	File     string    `json:"file"`
	Snapshot bool      `json:"read_from_snapshot,omitempty"`
}

func (s *session) showCheckpoints(conf *confmap.Conf, f checkpointFlags, fs *flag.FlagSet) int {
	targets, err := s.checkpointTargets(conf, f.receiver, true)
	if isFlagError(err) {
		return s.usageError(fs, "%v", err)
	}
	if err != nil {
		s.stderr.printf("auditctl: %v\n", err)
		return exitFailed
	}
	var rows []checkpointRow
	failed := 0
	for i := range targets {
		got, err := s.readCheckpoints(&targets[i])
		if err != nil {
			s.stderr.printf("%s: %v\n", targets[i].id, err)
			failed++
			continue
		}
		rows = append(rows, got...)
	}
	if f.output == "json" {
		enc := json.NewEncoder(s.stdout)
		for _, r := range rows {
			if err := enc.Encode(r); err != nil {
				return exitFailed
			}
		}
	} else {
		tw := tabwriter.NewWriter(s.stdout, 0, 0, 2, ' ', 0)
		_, _ = fmt.Fprintln(tw, "RECEIVER\tCHECKPOINT (UTC)\tLAG\tDELIVERED\tBOUNDARY IDS\tSOURCE\tKEY")
		for _, r := range rows {
			key := r.Key
			if !r.Current {
				key += " (not this configuration's)"
			}
			_, _ = fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%s\t%s\n", r.Receiver, stamp(r.Time), lagText(r.LagSec),
				r.Records, r.Boundary, terminalSafe(r.Source), key)
		}
		_ = tw.Flush()
	}
	if failed > 0 {
		return exitFailed
	}
	return exitOK
}

// readCheckpoints lists every checkpoint in the receiver's storage file. While the collector
// holds the file, it reads a copy taken now.
func (s *session) readCheckpoints(t *checkpointTarget) ([]checkpointRow, error) {
	path, snap := t.file, false
	db, err := openBolt(path, true)
	if errors.Is(err, errHeld) {
		copied, cleanup, cerr := snapshot(t.file)
		if cerr != nil {
			return nil, cerr
		}
		defer cleanup()
		path, snap = copied, true
		db, err = openBolt(path, true)
	}
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("no storage file %s yet: the receiver has not run with this storage", t.file)
	}
	if checkpoint.IsDamagedFile(err) {
		return nil, errors.New(checkpoint.DamagedFileAdvice(t.file))
	}
	if err != nil {
		return nil, err
	}
	client := boltClient{db}
	defer func() { _ = client.Close(s.env.ctx) }()
	keys, err := client.keys()
	if err != nil {
		return nil, err
	}
	source, legacy := t.cfg.CheckpointSource()
	current := poller.CheckpointStore(client, source, legacy).Key()
	var rows []checkpointRow
	for _, key := range keys {
		if !checkpoint.IsCheckpointKey(key) {
			continue
		}
		raw, err := client.Get(s.env.ctx, key)
		if err != nil {
			return nil, err
		}
		cp, err := checkpoint.Decode(key, raw)
		if err != nil {
			s.stderr.printf("%s: %v\n", t.id, err)
			continue
		}
		rows = append(rows, checkpointRow{
			Receiver: t.id.String(), Current: key == current, Source: cp.Source, Time: cp.Time.UTC(),
			LagSec: int64(s.env.now().Sub(cp.Time) / time.Second), Ahead: cp.Time.After(s.env.now()), Records: cp.Delivered, Boundary: len(cp.Recent),
			Key: key, File: t.file, Snapshot: snap,
		})
	}
	slices.SortStableFunc(rows, func(a, b checkpointRow) int {
		if a.Current != b.Current {
			if a.Current {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Key, b.Key)
	})
	if len(rows) == 0 {
		s.stderr.printf("%s: no checkpoint in %s yet\n", t.id, t.file)
	}
	return rows, nil
}

// changeCheckpoint applies change to one receiver's checkpoint, only while no collector holds
// its storage: a running receiver would overwrite the change at its next write.
// create makes the storage file when there is none yet (set before the first start).
func (s *session) changeCheckpoint(conf *confmap.Conf, name string, fs *flag.FlagSet, create bool,
	change func(*checkpointTarget, *checkpoint.Store) (string, error),
) int {
	targets, err := s.checkpointTargets(conf, name, false)
	if isFlagError(err) {
		return s.usageError(fs, "%v", err)
	}
	if err != nil {
		s.stderr.printf("auditctl: %v\n", err)
		return exitFailed
	}
	t := &targets[0]
	db, err := openBolt(t.file, false)
	if create && errors.Is(err, os.ErrNotExist) {
		if _, derr := os.Stat(filepath.Dir(t.file)); derr != nil {
			s.stderr.printf("auditctl: %s: the directory of storage extension %s cannot be used (%v): create it as the collector's user, "+
				"or fix extensions::%s::directory\n", t.id, t.storage, derr, t.storage)
			return exitFailed
		}
		db, err = createBolt(t.file)
	}
	if errors.Is(err, errHeld) {
		s.stderr.printf("auditctl: %s: refused, nothing changed: a running collector holds %s. "+
			"Stop the collector, run this again, then start it: a change made while it runs would be overwritten by its next checkpoint write.\n",
			t.id, t.file)
		return exitFailed
	}
	if errors.Is(err, os.ErrNotExist) {
		s.stderr.printf("auditctl: %s: no storage file %s: check the storage extension's directory, or start the collector once\n", t.id, t.file)
		return exitFailed
	}
	if checkpoint.IsDamagedFile(err) {
		s.stderr.printf("auditctl: %s: nothing changed: %s\n", t.id, checkpoint.DamagedFileAdvice(t.file))
		return exitFailed
	}
	if err != nil {
		s.stderr.printf("auditctl: %s: %v\n", t.id, err)
		return exitFailed
	}
	client := boltClient{db}
	defer func() { _ = client.Close(s.env.ctx) }()
	source, legacy := t.cfg.CheckpointSource()
	store := poller.CheckpointStore(client, source, legacy)
	msg, err := change(t, store)
	if err != nil {
		s.stderr.printf("auditctl: %s: %v\n", t.id, err)
		return exitFailed
	}
	s.stdout.printf("%s: %s\n", t.id, msg)
	return exitOK
}

// lagText is the LAG column: how far the checkpoint is behind now, or that it is ahead of now,
// which the receiver reports as an error at its next start and reads from now instead.
func lagText(sec int64) string {
	if sec < 0 {
		return fmt.Sprintf("%s AHEAD (in the future: the receiver reads from now instead and reports an error; "+
			"set it to the time to resume from)", time.Duration(-sec)*time.Second)
	}
	return (time.Duration(sec) * time.Second).String()
}
