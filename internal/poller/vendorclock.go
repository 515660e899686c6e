package poller

import (
	"context"
	"time"

	"go.uber.org/zap"
)

// skewStep is the difference between the vendor's clock and ours that is worth a warning, and
// how far it must move before it is worth another: the Date header has whole seconds, and a
// clock a few seconds off changes nothing the receiver does.
const skewStep = 10 * time.Second

// skewWatch remembers the vendor clock's offset last warned about.
type skewWatch struct {
	warned time.Duration
	active bool
}

// watchSkew records the vendor clock's offset and logs when it appears, changes by skewStep or
// more, or goes away: once each, never per page.
func (p *Poller) watchSkew(ctx context.Context) {
	off, ok := p.set.VendorClock.Offset()
	if !ok {
		return
	}
	p.set.Telemetry.ClockSkew.Record(ctx, int64(off.Round(time.Second)/time.Second))
	w := &p.skew
	switch {
	case off.Abs() >= skewStep && (!w.active || (off-w.warned).Abs() >= skewStep):
		p.logger.Warn("The vendor's clock differs from ours. Record times are the vendor's, so the checkpoint follows its clock "+
			"(the Date header of its responses), and no record is lost or held back; fix the clock that is wrong if the dates shown matter",
			zap.Duration("vendor_ahead_by", off.Round(time.Second)))
		w.active, w.warned = true, off
	case off.Abs() < skewStep/2 && w.active:
		p.logger.Info("The vendor's clock is in step with ours again", zap.Duration("vendor_ahead_by", off.Round(time.Second)))
		w.active = false
	}
}
