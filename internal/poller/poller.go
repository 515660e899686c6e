package poller

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/receiverhelper"
	"go.uber.org/zap"

	"github.com/secaudit/otelcol-audit/internal/checkpoint"
	"github.com/secaudit/otelcol-audit/internal/httpapi"
	"github.com/secaudit/otelcol-audit/internal/pacing"
	"github.com/secaudit/otelcol-audit/internal/starttime"
)

// Settings configure a Poller: the receiver's polling settings as the user wrote them, the
// vendor API's facts, and what selects the data.
type Settings struct {
	Config
	// Granularity and Retention are the vendor's (see Spec).
	Granularity, Retention time.Duration
	// Source names what selects the data, as "key=value" parts in a canonical form (tenant
	// endpoint, data filters), never who reads it: it keys the checkpoint, so a rotated
	// credential keeps the position. It must hold no secret.
	Source []string
	// LegacySources are the Source parts earlier releases keyed the same checkpoint with; one
	// found under them is moved to Source's key.
	LegacySources [][]string
	// PageSize is the number of records a full page holds.
	PageSize  int
	Telemetry Telemetry
	Clock     clockwork.Clock // nil: the real clock
	// VendorClock, when set, is the vendor's clock as its responses tell it: the checkpoint
	// never moves past the vendor's "now", whatever ours says.
	VendorClock *httpapi.VendorClock
}

// Poller runs the poll loop of one receiver instance.
type Poller struct {
	set    Settings
	rset   receiver.Settings
	source Source
	next   consumer.Logs
	obs    *receiverhelper.ObsReport
	logger *zap.Logger
	clock  clockwork.Clock
	store  *checkpoint.Store
	// start is where to read from when no checkpoint exists (start_time).
	start  starttime.Spec
	cp     checkpoint.Checkpoint
	lag    lag
	host   component.Host
	reader *reader
	// bound is the open query's upper bound (zero: none); see Bounded.
	bound time.Time
	// reopened tells that the open query replaced one that could not go on (see Reopen).
	reopened bool
	// live tells that the open query has reached records within the overlap of the vendor's
	// clock (see checkpoint.Checkpoint.Reread); openedAt is the checkpoint's time when it opened.
	live     bool
	openedAt time.Time
	// saveErr is the last checkpoint save's error while saving fails; saveFails counts them.
	saveErr   error
	saveFails int
	skew      skewWatch
	// repeat counts the pages in a row, and their records, that held only records already
	// delivered: a vendor that serves them forever must not hold the receiver.
	repeat struct{ pages, records, window int }
	status componentstatus.Status
	// statusMu guards status: the HTTP client's observer reports too (callWatch).
	statusMu sync.Mutex
	// future is the error of a stored checkpoint found in the future (see recoverFuture).
	future   error
	cancel   context.CancelFunc
	done     chan struct{}
	shutdown sync.Once
}

// New returns a Poller that reads from source and delivers to next.
func New(rset receiver.Settings, set Settings, source Source, next consumer.Logs) (*Poller, error) {
	obs, err := receiverhelper.NewObsReport(receiverhelper.ObsReportSettings{
		ReceiverID: rset.ID, Transport: "http", ReceiverCreateSettings: rset,
	})
	if err != nil {
		return nil, err
	}
	start, err := starttime.Parse(set.StartTime)
	if err != nil && set.StartTime != "" { // Config.Check has refused it already in a collector
		return nil, fmt.Errorf("start_time %w", err)
	}
	if set.Clock == nil {
		set.Clock = clockwork.NewRealClock()
	}
	if set.MaxEventsPerPoll <= 0 {
		set.MaxEventsPerPoll = int(^uint(0) >> 1)
	}
	set.Telemetry = set.Telemetry.ForReceiver(rset.ID)
	return &Poller{set: set, rset: rset, source: source, next: next, obs: obs, logger: rset.Logger, clock: set.Clock, start: start}, nil
}

// ClockSkew is how far a record's time may lie after the moment its page was read (by the
// vendor's clock) before it counts as dated in the future (a bogus date).
const ClockSkew = time.Minute

// startSkew is how far a stored checkpoint may lie after our clock at start, before the vendor's
// clock is known, without counting as dated in the future: the vendor's clock may run minutes
// ahead of ours, and its records, the checkpoint among them, carry its time.
const startSkew = 15 * time.Minute

// repeatPages is how many pages in a row of records already delivered a query may return (and
// more records than the re-read window holds) before it is ended as one that never ends.
const repeatPages = 10

// Start loads the checkpoint and starts polling on a context of its own. A checkpoint that
// cannot be decoded stops only this receiver: it reports a permanent error and Start succeeds,
// so that the collector's other pipelines keep running.
func (p *Poller) Start(ctx context.Context, host component.Host) error {
	client, err := checkpoint.Client(ctx, host, p.set.StorageID, p.rset.ID)
	if checkpoint.IsDamagedFile(err) {
		p.stopDamaged(host, err)
		return nil
	}
	if err != nil {
		return err
	}
	p.store = CheckpointStore(client, p.set.Source, p.set.LegacySources)
	p.host = host
	if err := p.loadCheckpoint(ctx); err != nil {
		var corrupt *checkpoint.CorruptError
		if !errors.As(err, &corrupt) {
			_ = p.store.Close(ctx)
			return err
		}
		err = Permanent(fmt.Errorf("%w in storage extension %q; this receiver stops, the other pipelines keep running. "+
			"To start over from start_time, stop the collector and delete that key, or with file_storage the file %q in its directory "+
			"(it holds only this receiver's checkpoints)", err, p.set.StorageID, storageFile(p.rset.ID)))
		p.logger.Error("Cannot read the checkpoint; this receiver does not poll", zap.Error(err))
		p.report(componentstatus.NewPermanentErrorEvent(err))
		return nil
	}
	if p.future != nil {
		p.set.Telemetry.FutureCheckpoints.Add(ctx, 1)
		p.report(componentstatus.NewRecoverableErrorEvent(p.future))
	}
	runCtx, cancel := context.WithCancel(context.Background())
	p.cancel = cancel
	p.done = make(chan struct{})
	go p.run(runCtx)
	return nil
}

// description is the checkpoint's source as people read it: what selects the data.
func (p *Poller) description() string {
	return strings.Join(p.set.Source, " ")
}

// CheckpointStore is the store of the checkpoint that source (Settings.Source) keys, on client:
// the receiver's, and auditctl's when it shows or moves one.
func CheckpointStore(client storage.Client, source []string, legacySources [][]string) *checkpoint.Store {
	legacy := make([]string, 0, len(legacySources))
	for _, parts := range legacySources {
		legacy = append(legacy, checkpoint.StorageKey(parts...))
	}
	return checkpoint.NewStore(client, checkpoint.StorageKey(source...), strings.Join(source, " "), legacy...)
}

// storageFile is the file file_storage keeps a receiver's storage in.
func storageFile(id component.ID) string {
	return fmt.Sprintf("receiver_%s_%s", id.Type(), id.Name())
}

func (p *Poller) loadCheckpoint(ctx context.Context) error {
	source := p.description()
	loaded, err := p.store.Load(ctx, p.set.Granularity, p.set.Overlap)
	if err != nil {
		return err
	}
	cp, found := loaded.Checkpoint, loaded.Found
	now := p.clock.Now()
	if !found {
		cp = checkpoint.New(source, p.start.Resolve(now), p.set.Granularity, p.set.Overlap)
	}
	if found {
		p.future = p.recoverFuture(&cp, now)
	}
	if edge := now.Add(-p.set.Retention); p.set.Retention > 0 && cp.Time.Before(edge) {
		p.logger.Warn("Start point is older than the vendor keeps records; reading from the retention edge instead",
			zap.Time("requested", cp.Time), zap.Time("reading_from", edge), zap.Duration("retention", p.set.Retention))
		cp = checkpoint.New(source, edge, p.set.Granularity, p.set.Overlap)
	}
	p.cp = cp
	p.lag.set(cp.Time)
	switch {
	case p.set.StorageID == nil:
		p.logger.Warn("No storage configured: the checkpoint is kept in memory only, so a restart re-reads from start_time. Set storage (e.g. file_storage) for exactly-once delivery across restarts.",
			zap.String("start_time", p.start.String()))
	case loaded.Migrated != "":
		p.logger.Info("Resuming from the checkpoint an earlier release kept under another key; it is now kept by what selects the data, so rotating a credential keeps it",
			zap.String("source", source), zap.String("old_key", loaded.Migrated), zap.String("key", p.store.Key()), zap.Time("checkpoint", cp.Time))
	case found:
		p.logger.Info("Resuming from checkpoint", zap.Time("checkpoint", cp.Time), zap.Int("recent_ids", len(cp.Recent)), zap.Int64("delivered", cp.Delivered))
	case len(loaded.Others) > 0:
		p.logger.Warn("No checkpoint for this source, but this receiver's storage holds checkpoints for other sources: "+
			"the endpoint or a data filter changed since, so reading starts at start_time. Restore the setting to resume where it stopped.",
			zap.String("source", source), zap.Strings("stored_sources", loaded.Others),
			zap.Strings("changed", changedSettings(p.set.Source, loaded.Others)), zap.Time("from", cp.Time))
	default:
		p.logger.Info("No checkpoint yet; reading from start_time", zap.Time("from", cp.Time))
	}
	return nil
}

// Shutdown stops polling, waits for the loop to end (or ctx to expire) and closes the storage client.
func (p *Poller) Shutdown(ctx context.Context) error {
	var err error
	p.shutdown.Do(func() {
		if p.cancel == nil {
			if p.store != nil { // started, but the checkpoint was unreadable
				err = p.store.Close(ctx)
			}
			return
		}
		p.cancel()
		select {
		case <-p.done:
		case <-ctx.Done():
			err = fmt.Errorf("poll loop did not stop in time: %w", ctx.Err())
			return
		}
		err = p.store.Close(ctx)
	})
	return err
}

func (p *Poller) run(ctx context.Context) {
	defer close(p.done)
	defer func() {
		if p.reader != nil {
			p.reader.stop()
		}
	}()
	for {
		more, err := p.poll(ctx)
		if ctx.Err() != nil {
			return
		}
		p.set.Telemetry.CheckpointLag.Record(ctx, p.lag.seconds(p.vendorNow()))
		p.watchSkew(ctx)
		wait := p.set.PollInterval
		switch {
		case err != nil && IsPermanent(err):
			p.report(componentstatus.NewPermanentErrorEvent(err))
			p.logger.Error("Polling failed; fix the setting named below, then restart the collector", zap.Error(err))
		case err != nil:
			p.report(componentstatus.NewRecoverableErrorEvent(err))
			p.logger.Warn("Polling failed; retrying at the next poll", zap.Error(err), zap.Duration("in", wait))
		case p.saveErr != nil: // records flow, but a restart would re-read them: not OK yet
			if more {
				wait = 0
			}
		default:
			p.report(componentstatus.NewEvent(componentstatus.StatusOK))
			if more {
				wait = 0
			}
		}
		if pacing.Sleep(ctx, p.clock, wait) != nil {
			return
		}
	}
}

// poll reads and delivers pages until the query is caught up or MaxEventsPerPoll records were
// delivered. more tells that records are left: the query is kept to continue at once.
func (p *Poller) poll(ctx context.Context) (more bool, err error) {
	if p.reader == nil {
		p.open(ctx)
	}
	// Records already delivered count toward the bound too: re-reading them costs the same.
	read := 0
	for read < p.set.MaxEventsPerPoll {
		res, err := p.reader.next(ctx)
		if err == nil {
			err = res.err
		}
		if isReopen(err) && !p.reopened {
			p.logger.Info("The query cannot go on; opening a new one from the checkpoint", zap.Error(err), zap.Time("from", p.cp.From()))
			p.closeQuery()
			p.reopened = true
			return true, nil
		}
		// A new query that cannot go on either before its first page waits for the next poll:
		// reopening again at once would only hammer the API.
		p.reopened = false
		if err != nil || res.done {
			if err == nil {
				p.goLive() // caught up
			}
			p.closeQuery()
			return false, err
		}
		p.set.Telemetry.Pages.Add(ctx, 1)
		n := len(res.page.Keys)
		if !p.live && reachesLive(res.page.Keys, res.read.Add(-p.set.Overlap)) {
			p.goLive()
		}
		delivered, err := p.deliver(ctx, res.page, res.read)
		res.page.lease.release() // a page dropped as already delivered, or abandoned at shutdown
		if err != nil {
			return false, err
		}
		if !p.live && !p.cp.Reread.IsZero() && p.cp.Time.After(p.openedAt) {
			// Past where the last query ended, and still behind the live end (a backlog):
			// what that query may have missed is read now, so the window need not stay there.
			p.cp.Reread = time.Time{}
		}
		read += n
		switch {
		case p.live && n < p.set.PageSize:
			// Caught up. The query ends even though its cursor could go on: records the vendor
			// adds behind the cursor are read by the next query, which starts from Reread.
			p.closeQuery()
			return false, nil
		case p.live && p.cp.Time.Sub(p.cp.Reread) > p.set.Overlap:
			// Live pages keep coming full: a new query now keeps the next re-read short.
			p.closeQuery()
			return true, nil
		}
		if p.repeating(n, delivered) {
			p.logger.Warn("The query returned only records already delivered, page after page, for longer than re-reading can explain; "+
				"ending it, the next poll starts again from the checkpoint",
				zap.Int("pages", p.repeat.pages), zap.Int("records", p.repeat.records), zap.Time("checkpoint", p.cp.Time))
			p.closeQuery()
			return false, nil
		}
	}
	return true, nil
}

// open starts reading a new query from the checkpoint.
func (p *Poller) open(ctx context.Context) {
	q := p.source.Open(p.cp.Open())
	p.bound, p.live, p.openedAt = time.Time{}, false, p.cp.Time
	if b, ok := q.(Bounded); ok {
		p.bound = b.UpperBound()
	}
	p.repeat.pages, p.repeat.records, p.repeat.window = 0, 0, len(p.cp.Recent)
	p.reader = startReader(ctx, q, p.vendorNow)
}

// vendorNow is the vendor's time now, as far as its responses tell; ours before the first.
func (p *Poller) vendorNow() time.Time {
	return p.set.VendorClock.Now(p.clock.Now())
}

// goLive marks the open query as having reached the live end of the trail, once per query,
// before the page that reached it is delivered.
func (p *Poller) goLive() {
	if !p.live {
		p.live = true
		p.cp.Reread = p.cp.Time
	}
}

// reachesLive tells whether a page holds a record at or after edge: the vendor's clock at the
// page's arrival minus the overlap, where records inserted late begin.
func reachesLive(keys []checkpoint.Key, edge time.Time) bool {
	for _, k := range keys {
		if !k.Time.Before(edge) {
			return true
		}
	}
	return false
}

func (p *Poller) closeQuery() {
	p.reader.stop()
	p.reader = nil
}

// repeating tells whether the query looks like one that never ends: more pages in a row than
// repeatPages that held n records but none new, and more such records than the re-read window
// held when the query opened (re-reading the window legitimately returns up to that many).
func (p *Poller) repeating(n, delivered int) bool {
	if n == 0 || delivered > 0 {
		p.repeat.pages, p.repeat.records = 0, 0
		return false
	}
	p.repeat.pages++
	p.repeat.records += n
	return p.repeat.pages > repeatPages && p.repeat.records > p.repeat.window
}

// deliver drops what was already delivered, hands the rest to the consumer until it accepts it
// or refuses it for good, then moves and persists the checkpoint. read is when the page arrived.
func (p *Poller) deliver(ctx context.Context, page Page, read time.Time) (int, error) {
	keys, dups := p.dedup(page)
	if dups > 0 {
		p.set.Telemetry.Duplicates.Add(ctx, int64(dups))
	}
	if len(keys) == 0 {
		return 0, nil
	}
	page.Logs.MarkReadOnly() // a retry must resend the data as read, whatever a processor does
	bo := pacing.NewBackOff(p.set.Retry)
	for {
		obsCtx := p.obs.StartLogsOp(ctx)
		err := p.next.ConsumeLogs(obsCtx, page.Logs)
		p.obs.EndLogsOp(obsCtx, "json", len(keys), err)
		if err == nil {
			p.set.Telemetry.Records.Add(ctx, int64(len(keys)))
			break
		}
		if consumererror.IsPermanent(err) {
			p.logger.Error("The next consumer refused records permanently; they are dropped and the checkpoint moves past them",
				zap.Int("records", len(keys)), zap.Error(err))
			break
		}
		wait := bo.NextBackOff()
		p.set.Telemetry.Retries.Add(ctx, 1)
		p.report(componentstatus.NewRecoverableErrorEvent(fmt.Errorf("next consumer refused records, retrying: %w", err)))
		p.logger.Warn("The next consumer refused records; retrying the same page", zap.Error(err), zap.Duration("in", wait))
		if err := pacing.Sleep(ctx, p.clock, wait); err != nil {
			return 0, err
		}
	}
	page.lease.release() // before the checkpoint's fsync: the page is the consumer's now
	limit := read
	if !p.bound.IsZero() && p.bound.Before(limit) {
		limit = p.bound
	}
	p.countFuture(ctx, keys, read)
	if _, forgotten := p.cp.Advance(keys, limit); forgotten > 0 {
		p.logger.Warn("More records fall in the re-read window than the checkpoint keeps; a re-read may repeat the oldest of them",
			zap.Time("checkpoint", p.cp.Time), zap.Int("kept", checkpoint.MaxRecentIDs), zap.Int("forgotten", forgotten))
	}
	p.lag.set(p.cp.Time)
	p.save(ctx)
	return len(keys), nil
}

// countFuture counts and reports the records dated later than the page's arrival plus ClockSkew.
// They are delivered; the checkpoint does not follow them (see Checkpoint.Advance).
func (p *Poller) countFuture(ctx context.Context, keys []checkpoint.Key, read time.Time) {
	edge := read.Add(ClockSkew)
	n, newest := 0, time.Time{}
	for _, k := range keys {
		if k.Time.After(edge) {
			n++
			if k.Time.After(newest) {
				newest = k.Time
			}
		}
	}
	if n == 0 {
		return
	}
	p.set.Telemetry.FutureRecords.Add(ctx, int64(n))
	p.logger.Warn("Records are dated in the future; they are delivered, but the checkpoint stays at the time the page was read so that no later record is skipped",
		zap.Int("records", n), zap.Time("newest_claimed", newest), zap.Time("read_at", read))
}

// dedup removes from the page the records already delivered, and repeats within the page.
func (p *Poller) dedup(page Page) (keys []checkpoint.Key, dups int) {
	records := page.Logs.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords()
	if records.Len() != len(page.Keys) {
		panic(fmt.Sprintf("poller: page has %d log records but %d keys", records.Len(), len(page.Keys)))
	}
	inPage := make(map[string]struct{}, len(page.Keys))
	keys = page.Keys[:0:0]
	i := 0
	records.RemoveIf(func(plog.LogRecord) bool {
		k := page.Keys[i]
		i++
		if _, again := inPage[k.ID]; again || p.cp.Seen(k) {
			dups++
			return true
		}
		inPage[k.ID] = struct{}{}
		keys = append(keys, k)
		return false
	})
	return keys, dups
}

// report sends a status event when the status changes. After a permanent error the collector
// accepts no other status, so a later success is only logged (and shown by the status gauge).
func (p *Poller) report(ev *componentstatus.Event) {
	p.statusMu.Lock()
	defer p.statusMu.Unlock()
	p.set.Telemetry.Status.Record(context.Background(), statusValue(ev.Status()))
	if p.status == componentstatus.StatusPermanentError || (ev.Status() == p.status && ev.Err() == nil) {
		return
	}
	p.status = ev.Status()
	componentstatus.ReportStatus(p.host, ev)
}
