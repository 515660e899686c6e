package poller

import (
	"fmt"
	"strconv"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.uber.org/zap"

	"github.com/secaudit/otelcol-audit/internal/checkpoint"
)

// stopDamaged handles a storage file that cannot be opened as a database: as for a checkpoint
// that cannot be decoded, only this receiver stops, with a permanent error that names the file
// to move aside and what that costs, so that the collector's other pipelines keep running.
func (p *Poller) stopDamaged(host component.Host, err error) {
	p.host = host
	file := strconv.Quote(storageFile(p.rset.ID)) + " in the directory of storage extension " + strconv.Quote(p.set.StorageID.String())
	err = Permanent(fmt.Errorf("%s (%w)", checkpoint.DamagedFileAdvice(file), err))
	p.logger.Error("Cannot open this receiver's storage file; this receiver does not poll, the other pipelines keep running", zap.Error(err))
	p.report(componentstatus.NewPermanentErrorEvent(err))
}
