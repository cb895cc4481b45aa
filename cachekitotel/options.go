package cachekitotel

import (
	"github.com/redis/go-redis/extra/redisotel/v9"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
)

// Option configures Instrument.
type Option func(*config)

type config struct {
	tracing              []redisotel.TracingOption
	metrics              []redisotel.MetricsOption
	noTracing, noMetrics bool
}

// WithTracerProvider makes the spans come from tp instead of OpenTelemetry's global provider
// (redisotel.WithTracerProvider).
func WithTracerProvider(tp trace.TracerProvider) Option {
	return func(c *config) { c.tracing = append(c.tracing, redisotel.WithTracerProvider(tp)) }
}

// WithMeterProvider makes the metrics come from mp instead of OpenTelemetry's global provider
// (redisotel.WithMeterProvider).
func WithMeterProvider(mp metric.MeterProvider) Option {
	return func(c *config) { c.metrics = append(c.metrics, redisotel.WithMeterProvider(mp)) }
}

// WithTracingOptions passes opts on to redisotel.InstrumentTracing (redisotel.WithDBStatement(false),
// WithAttributes, ...). All options apply in the order given: a later one wins where two overlap.
func WithTracingOptions(opts ...redisotel.TracingOption) Option {
	return func(c *config) { c.tracing = append(c.tracing, opts...) }
}

// WithMetricsOptions passes opts on to redisotel.InstrumentMetrics, as WithTracingOptions does for
// tracing: redisotel.WithCloseChan, WithSemConvCompliantMetrics, ...
func WithMetricsOptions(opts ...redisotel.MetricsOption) Option {
	return func(c *config) { c.metrics = append(c.metrics, opts...) }
}

// WithoutTracing installs the metrics only.
func WithoutTracing() Option { return func(c *config) { c.noTracing = true } }

// WithoutMetrics installs the tracing only.
func WithoutMetrics() Option { return func(c *config) { c.noMetrics = true } }
