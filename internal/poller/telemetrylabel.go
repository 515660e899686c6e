package poller

import (
	"context"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// ForReceiver returns the instruments with every measurement labelled receiver="<type>/<name>",
// as the collector labels its own receiver metrics: without it, the metrics of two instances of
// one receiver type (two tenants) would add up in one series.
func (t Telemetry) ForReceiver(id component.ID) Telemetry {
	t = t.withDefaults()
	opt := metric.WithAttributes(attribute.String("receiver", id.String()))
	counter := func(c metric.Int64Counter) metric.Int64Counter {
		if l, ok := c.(labeledCounter); ok {
			c = l.Int64Counter
		}
		return labeledCounter{c, opt}
	}
	gauge := func(g metric.Int64Gauge) metric.Int64Gauge {
		if l, ok := g.(labeledGauge); ok {
			g = l.Int64Gauge
		}
		return labeledGauge{g, opt}
	}
	t.Requests, t.Pages, t.Records = counter(t.Requests), counter(t.Pages), counter(t.Records)
	t.Duplicates, t.Retries, t.FutureRecords = counter(t.Duplicates), counter(t.Retries), counter(t.FutureRecords)
	t.CheckpointLag, t.Status, t.ClockSkew = gauge(t.CheckpointLag), gauge(t.Status), gauge(t.ClockSkew)
	t.SaveFailures, t.FutureCheckpoints = counter(t.SaveFailures), counter(t.FutureCheckpoints)
	return t
}

type labeledCounter struct {
	metric.Int64Counter
	label metric.MeasurementOption
}

func (c labeledCounter) Add(ctx context.Context, v int64, opts ...metric.AddOption) {
	c.Int64Counter.Add(ctx, v, append(opts, c.label)...)
}

type labeledGauge struct {
	metric.Int64Gauge
	label metric.MeasurementOption
}

func (g labeledGauge) Record(ctx context.Context, v int64, opts ...metric.RecordOption) {
	g.Int64Gauge.Record(ctx, v, append(opts, g.label)...)
}
