package poller

import (
	"context"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"
)

// Telemetry holds the instruments each receiver declares in its metadata.yaml. Any may be nil.
// It also counts API requests for the HTTP client (it is an httpapi.Observer).
type Telemetry struct {
	Requests      metric.Int64Counter // API requests, by call and outcome
	Pages         metric.Int64Counter // pages fetched
	Records       metric.Int64Counter // records delivered downstream
	Duplicates    metric.Int64Counter // records dropped as already delivered
	Retries       metric.Int64Counter // retried API requests and consumer calls
	CheckpointLag metric.Int64Gauge   // seconds between now and the checkpoint's time
	FutureRecords metric.Int64Counter // records dated later than the vendor could still add records up to
	Status        metric.Int64Gauge   // the last poll's outcome: see statusValue
	ClockSkew     metric.Int64Gauge   // seconds the vendor's clock is ahead of ours
	SaveFailures  metric.Int64Counter // checkpoint saves the storage refused
	// FutureCheckpoints counts stored checkpoints found in the future at start (recoverFuture).
	FutureCheckpoints metric.Int64Counter
}

func (t Telemetry) withDefaults() Telemetry {
	if t.Requests == nil {
		t.Requests = noop.Int64Counter{}
	}
	if t.Pages == nil {
		t.Pages = noop.Int64Counter{}
	}
	if t.Records == nil {
		t.Records = noop.Int64Counter{}
	}
	if t.Duplicates == nil {
		t.Duplicates = noop.Int64Counter{}
	}
	if t.Retries == nil {
		t.Retries = noop.Int64Counter{}
	}
	if t.FutureRecords == nil {
		t.FutureRecords = noop.Int64Counter{}
	}
	if t.Status == nil {
		t.Status = noop.Int64Gauge{}
	}
	if t.CheckpointLag == nil {
		t.CheckpointLag = noop.Int64Gauge{}
	}
	if t.ClockSkew == nil {
		t.ClockSkew = noop.Int64Gauge{}
	}
	if t.SaveFailures == nil {
		t.SaveFailures = noop.Int64Counter{}
	}
	if t.FutureCheckpoints == nil {
		t.FutureCheckpoints = noop.Int64Counter{}
	}
	return t
}

// Request counts one API request; it implements httpapi.Observer.
func (t Telemetry) Request(ctx context.Context, call string, status int, outcome string) {
	t = t.withDefaults()
	t.Requests.Add(ctx, 1, metric.WithAttributes(
		attribute.String("call", call), attribute.String("outcome", outcome), attribute.Int("http.response.status_code", status)))
	if outcome == "retried" {
		t.Retries.Add(ctx, 1, metric.WithAttributes(attribute.String("call", call)))
	}
}

// statusValue is the status gauge's value: 0 OK, 1 recoverable error, 2 permanent error. Unlike
// the component status, which stays permanent once reported, it follows every poll, so that an
// alert on it resolves once a fixed setting is picked up.
func statusValue(s componentstatus.Status) int64 {
	switch s {
	case componentstatus.StatusRecoverableError:
		return 1
	case componentstatus.StatusPermanentError, componentstatus.StatusFatalError:
		return 2
	default:
		return 0
	}
}

// lag remembers the checkpoint time for the checkpoint-lag gauge.
type lag struct{ unixNano atomic.Int64 }

func (l *lag) set(t time.Time) { l.unixNano.Store(t.UnixNano()) }

func (l *lag) seconds(now time.Time) int64 {
	return int64(now.Sub(time.Unix(0, l.unixNano.Load())) / time.Second)
}
