package cachekitotel_test

import (
	"context"
	"errors"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/cachekit/cachekit"
	"github.com/cachekit/cachekit/cachekitotel"
	"github.com/cachekit/cachekit/internal/redistest"
	_ "github.com/cachekit/cachekit/store/memory"
	_ "github.com/cachekit/cachekit/store/redis"
	_ "github.com/cachekit/cachekit/store/tiered"
)

// telemetry is an in-memory OpenTelemetry SDK: spans recorded as they end, metrics read on demand.
type telemetry struct {
	spans  *tracetest.SpanRecorder
	reader *sdkmetric.ManualReader
	opts   []cachekitotel.Option
}

func newTelemetry(t *testing.T) *telemetry {
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	t.Cleanup(func() {
		_ = tp.Shutdown(context.Background())
		_ = mp.Shutdown(context.Background())
	})
	return &telemetry{spans, reader, []cachekitotel.Option{
		cachekitotel.WithTracerProvider(tp), cachekitotel.WithMeterProvider(mp),
	}}
}

// spanNames returns the names of the spans ended so far, in order.
func (tm *telemetry) spanNames() []string {
	var names []string
	for _, s := range tm.spans.Ended() {
		names = append(names, s.Name())
	}
	return names
}

// count returns how many ended spans are named name.
func (tm *telemetry) count(name string) int {
	n := 0
	for _, s := range tm.spanNames() {
		if s == name {
			n++
		}
	}
	return n
}

// metricNames collects the metrics and returns their names.
func (tm *telemetry) metricNames(t *testing.T) []string {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := tm.reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			names = append(names, m.Name)
		}
	}
	return names
}

func open(t *testing.T, rawURL string) *cachekit.Cache {
	t.Helper()
	c, err := cachekit.Open(context.Background(), rawURL, cachekit.WithNamespace(redistest.Namespace(t)))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// TestInstrument: over redis:// and over tiered:// (the Redis client is L2's), Set and Get produce
// redisotel's spans, named after the commands, and its metrics; a second Instrument adds nothing.
func TestInstrument(t *testing.T) {
	redisURL := redistest.Standalone(t).URL
	for name, rawURL := range map[string]string{
		"redis":  redisURL,
		"tiered": "tiered://?l1=" + url.QueryEscape("memory://") + "&l2=" + url.QueryEscape(redisURL),
	} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			c := open(t, rawURL)
			tm := newTelemetry(t)
			if err := cachekitotel.Instrument(c, tm.opts...); err != nil {
				t.Fatalf("Instrument: %v", err)
			}
			if err := cachekitotel.Instrument(c, tm.opts...); err != nil {
				t.Fatalf("second Instrument: %v", err)
			}

			if err := c.Set(ctx, "otel:k", "v", time.Minute); err != nil {
				t.Fatal(err)
			}
			var got string
			if err := c.Get(ctx, "otel:missing", &got); !errors.Is(err, cachekit.ErrNotFound) {
				t.Fatalf("Get of a missing key: %v, want ErrNotFound", err) // reaches Redis on both stores
			}
			if err := c.Get(ctx, "otel:k", &got); err != nil || got != "v" {
				t.Fatalf("Get = %q, %v", got, err)
			}

			names := tm.spanNames()
			t.Logf("spans: %v", names)
			if n := tm.count("set"); n != 1 {
				t.Errorf("%d spans named \"set\" for one Set (spans %v); want 1: instrumented once, named after the command", n, names)
			}
			if !slices.ContainsFunc(names, func(s string) bool { return s == "get" || strings.HasPrefix(s, "redis.pipeline get") }) {
				t.Errorf("no span for the GET that a miss sends to Redis; spans %v", names)
			}
			metrics := tm.metricNames(t)
			t.Logf("metrics: %v", metrics)
			for _, want := range []string{"db.client.connections.usage", "db.client.connections.use_time"} {
				if !slices.Contains(metrics, want) {
					t.Errorf("metric %s not recorded; got %v", want, metrics)
				}
			}
		})
	}
}

// TestInstrumentNoRedis: a cache without a Redis store is reported, naming the store, not ignored.
func TestInstrumentNoRedis(t *testing.T) {
	for _, rawURL := range []string{
		"memory://",
		"tiered://?l1=" + url.QueryEscape("memory://") + "&l2=" + url.QueryEscape("memory://"),
	} {
		c := open(t, rawURL)
		err := cachekitotel.Instrument(c)
		if !errors.Is(err, cachekitotel.ErrNoRedis) || !strings.Contains(err.Error(), "holds no store/redis Store") {
			t.Errorf("Instrument(%s) = %v, want ErrNoRedis naming the store", rawURL, err)
		}
	}
	if err := cachekitotel.Instrument(nil); err == nil || errors.Is(err, cachekitotel.ErrNoRedis) {
		t.Errorf("Instrument(nil) = %v, want an error about the nil Cache", err)
	}
}

// TestWithoutTracing: the option leaves spans out and still installs metrics.
func TestWithoutTracing(t *testing.T) {
	c := open(t, redistest.Standalone(t).URL)
	tm := newTelemetry(t)
	if err := cachekitotel.Instrument(c, append(tm.opts, cachekitotel.WithoutTracing())...); err != nil {
		t.Fatal(err)
	}
	if err := c.Set(context.Background(), "otel:k", "v", time.Minute); err != nil {
		t.Fatal(err)
	}
	if names := tm.spanNames(); len(names) != 0 {
		t.Errorf("WithoutTracing recorded spans %v", names)
	}
	if m := tm.metricNames(t); !slices.Contains(m, "db.client.connections.use_time") {
		t.Errorf("WithoutTracing: metrics %v, want db.client.connections.use_time", m)
	}
}
