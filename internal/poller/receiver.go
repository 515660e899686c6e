package poller

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/receiver"

	"github.com/secaudit/otelcol-audit/internal/httpapi"
)

// Spec is what a receiver tells the engine about its vendor.
type Spec struct {
	HTTP *confighttp.ClientConfig
	Poll *Config
	// Tenant keys the shared rate limiter: running receivers with the same tenant share one budget.
	Tenant string
	// Secrets are scrubbed, in every form, from every error text the HTTP client returns and
	// from the receiver's own messages (httpapi.Secrets).
	Secrets []string
	// Granularity is the resolution of the API's time filter; Retention how long the vendor keeps records.
	Granularity, Retention time.Duration
	// Source names what selects the data as "key=value" parts (see Settings.Source); it keys the
	// checkpoint (no secrets). LegacySources are the parts earlier releases keyed it with.
	Source        []string
	LegacySources [][]string
	// NewTelemetry builds the receiver's instruments (from its generated TelemetryBuilder) and
	// returns the function that releases them.
	NewTelemetry func(component.TelemetrySettings) (Telemetry, func(), error)
	// NewSource builds the vendor source on the HTTP client.
	NewSource func(api *httpapi.Client, set receiver.Settings) (Source, error)
	// MaxResponseBytes caps every response body of the vendor's API: what a full page can
	// plausibly be, so that a hostile or broken API cannot exhaust memory. 0: httpapi's default.
	MaxResponseBytes int64
}

// Receiver is a receiver.Logs that runs a Poller over a vendor Source.
type Receiver struct {
	rset    receiver.Settings
	spec    Spec
	next    consumer.Logs
	poller  *Poller
	release func()
	// releaseLimiter gives back this receiver's hold on its tenant's rate limiter.
	releaseLimiter func()
}

// NewReceiver returns a receiver; nothing is opened before Start.
func NewReceiver(rset receiver.Settings, spec Spec, next consumer.Logs) *Receiver {
	return &Receiver{rset: rset, spec: spec, next: next}
}

// Start builds the HTTP client, the vendor source and the poller, and starts polling.
func (r *Receiver) Start(ctx context.Context, host component.Host) error {
	if r.spec.HTTP.TLS.InsecureSkipVerify {
		r.rset.Logger.Warn("tls.insecure_skip_verify is true: the API's certificate is not checked, so anyone on the " +
			"network path can pose as the API and read the credentials and the audit records; use tls.ca_file instead")
	}
	tel, release, err := r.spec.NewTelemetry(r.rset.TelemetrySettings)
	if err != nil {
		return fmt.Errorf("creating telemetry: %w", err)
	}
	r.release = release
	tel = tel.ForReceiver(r.rset.ID) // the HTTP client counts requests with it too
	hc, err := r.spec.HTTP.ToClient(ctx, host.GetExtensions(), r.rset.TelemetrySettings)
	if err != nil {
		return fmt.Errorf("creating HTTP client: %w", err)
	}
	limiter, releaseLimiter := httpapi.AcquireLimiter(r.spec.Tenant, r.spec.Poll.RequestsPerSecond)
	r.releaseLimiter = releaseLimiter
	api := httpapi.New(httpapi.Settings{
		HTTP:             hc,
		Retry:            r.spec.Poll.Retry,
		Limiter:          limiter,
		Secrets:          httpapi.NewSecrets(r.spec.Secrets...),
		Observer:         tel,
		MaxResponseBytes: r.spec.MaxResponseBytes,
		Logger:           r.rset.Logger,
	})
	src, err := r.spec.NewSource(api, r.rset)
	if err != nil {
		return err
	}
	set := r.spec.Poll.Settings(r.spec.Granularity, r.spec.Retention, r.spec.Source...)
	set.Telemetry = tel
	set.LegacySources = r.spec.LegacySources
	p, err := New(r.rset, set, src, r.next)
	if err != nil {
		return err
	}
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
