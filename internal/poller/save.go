package poller

import (
	"context"
	"fmt"

	"go.opentelemetry.io/collector/component/componentstatus"
	"go.uber.org/zap"
)

// save persists the checkpoint after a delivery. A failing storage (a full disk, say) does not
// stop the records: they are delivered, the position is kept in memory, and the next successful
// save covers them; a restart before then re-reads from the last saved checkpoint and drops
// what it delivered by ID, so nothing is lost. The failure is logged once with its cause and
// the storage file, reported as a recoverable status and counted; its end is logged too.
func (p *Poller) save(ctx context.Context) {
	err := p.store.Save(ctx, &p.cp)
	if err != nil {
		p.saveFails++
		p.set.Telemetry.SaveFailures.Add(ctx, 1)
		if p.saveErr == nil {
			err = fmt.Errorf("saving the checkpoint in storage extension %v (with file_storage, the file %s in its directory): %w",
				p.set.StorageID, storageFile(p.rset.ID), err)
			p.logger.Error("Saving the checkpoint failed; records keep flowing and the position is kept in memory until saving works again. "+
				"Until then a restart re-reads from the last saved checkpoint. Free space on the storage's disk or fix its permissions.",
				zap.Error(err), zap.Time("checkpoint", p.cp.Time))
			p.report(componentstatus.NewRecoverableErrorEvent(err))
			p.saveErr = err
		}
		return
	}
	if p.saveErr != nil {
		p.logger.Info("Saving the checkpoint works again", zap.Int("failed_saves", p.saveFails), zap.Time("checkpoint", p.cp.Time))
		p.saveErr, p.saveFails = nil, 0
		p.report(componentstatus.NewEvent(componentstatus.StatusOK))
	}
}
