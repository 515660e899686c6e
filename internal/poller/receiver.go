package poller

import (
	"context"
	"errors"
	"fmt"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/receiver"

	"github.com/secaudit/otelcol-audit/internal/httpapi"
)

// Receiver is a receiver.Logs that runs a Poller over a vendor Source.
type Receiver struct {
	rset    receiver.Settings
	spec    Spec
	cfg     Configured
	next    consumer.Logs
	poller  *Poller
	release func()
	// releaseLimiter gives back this receiver's hold on its tenant's rate limiter.
	releaseLimiter func()
}

// NewReceiver returns a receiver; nothing is opened before Start.
func NewReceiver(rset receiver.Settings, spec Spec, cfg Configured, next consumer.Logs) *Receiver {
	return &Receiver{rset: rset, spec: spec, cfg: cfg, next: next}
}

// Start builds the HTTP client, the vendor source and the poller, and starts polling.
func (r *Receiver) Start(ctx context.Context, host component.Host) error {
	if r.cfg.HTTPSettings().TLS.InsecureSkipVerify {
		r.rset.Logger.Warn("tls.insecure_skip_verify is true: the API's certificate is not checked, so anyone on the " +
			"network path can pose as the API and read the credentials and the audit records; use tls.ca_file instead")
	}
	tel, release, err := r.spec.NewTelemetry(r.rset.TelemetrySettings)
	if err != nil {
		return fmt.Errorf("creating telemetry: %w", err)
	}
	r.release = release
	tel = tel.ForReceiver(r.rset.ID) // the HTTP client counts requests with it too
	vendorClock := new(httpapi.VendorClock)
	watch := &callWatch{Telemetry: tel, logger: r.rset.Logger}
	src, releaseLimiter, err := OpenSource(ctx, r.spec, r.cfg, r.rset, host, watch, vendorClock)
	if err != nil {
		return err
	}
	r.releaseLimiter = releaseLimiter
	set := r.spec.settings(r.cfg, tel)
	set.VendorClock = vendorClock
	p, err := New(r.rset, set, src, r.next)
	if err != nil {
		return err
	}
	watch.report = p.report
	if err := p.Start(ctx, host); err != nil {
		return err
	}
	r.poller = p
	return nil
}

// Shutdown stops polling and releases the storage client and the instruments. It is safe
// without Start and safe to call twice.
func (r *Receiver) Shutdown(ctx context.Context) error {
	var errs []error
	if r.poller != nil {
		errs = append(errs, r.poller.Shutdown(ctx))
	}
	if r.release != nil {
		r.release()
		r.release = nil
	}
	if r.releaseLimiter != nil {
		r.releaseLimiter()
		r.releaseLimiter = nil
	}
	return errors.Join(errs...)
}
