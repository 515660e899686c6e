package poller

import (
	"fmt"
	"time"

	"go.uber.org/zap"

	"github.com/secaudit/otelcol-audit/internal/checkpoint"
)

// recoverFuture pulls back a stored checkpoint whose time or floor lies after now (beyond
// startSkew, as the vendor's clock, whose times the checkpoint holds, is not known yet): resuming from it would count every record the vendor adds until then as
// delivered and drop it. Nothing after now can have been delivered, so the receiver reads
// from now; the error it returns is reported as the receiver's status until a poll succeeds.
// How it got there is unknown: a clock that ran ahead, a record dated in the future that an
// earlier release followed, or a checkpoint moved there by hand.
func (p *Poller) recoverFuture(cp *checkpoint.Checkpoint, now time.Time) error {
	edge := now.Add(startSkew)
	timeAhead, floorAhead := cp.Time.After(edge), cp.Floor.After(edge)
	if !timeAhead && !floorAhead {
		return nil
	}
	found := cp.Time
	if floorAhead && cp.Floor.After(found) {
		found = cp.Floor
	}
	if timeAhead {
		cp.Time = now.UTC()
	}
	if floorAhead {
		// The floor stands for records skipped on purpose; none after now can be among them.
		cp.Floor = now.UTC()
	}
	err := fmt.Errorf("the stored checkpoint lies in the future (%s, now %s): reading from now instead, so that no new record "+
		"counts as delivered. Records between the last one delivered and now may not have been read: to read them, stop the "+
		"collector and run auditctl checkpoint set --time <the time to resume from>",
		found.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	p.logger.Error("The stored checkpoint lies in the future; reading from now instead",
		zap.Time("checkpoint_found", found), zap.Time("reading_from", now), zap.Error(err))
	return err
}
