package cachekitotel_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/url"
	"time"

	"github.com/redis/go-redis/extra/redisotel/v9"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/cachekit/cachekit"
	"github.com/cachekit/cachekit/cachekitotel"
	_ "github.com/cachekit/cachekit/store/memory" // registers memory://
	_ "github.com/cachekit/cachekit/store/redis"  // registers redis://
	_ "github.com/cachekit/cachekit/store/tiered" // registers tiered://
)

// Instrument a two-tier cache: the spans and metrics come from its L2's Redis client. The providers
// here record in memory; a service passes those of its exporter (OTLP, Prometheus), or none to use
// OpenTelemetry's global ones. It needs a Redis on localhost:6379, so it is compiled, not run; the
// package's tests run the same steps against a real Redis and check what is recorded.
func ExampleInstrument() {
	ctx := context.Background()
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	defer func() { _ = tp.Shutdown(ctx); _ = mp.Shutdown(ctx) }()

	c, err := cachekit.Open(ctx, "tiered://?l1="+url.QueryEscape("memory://")+"&l2="+url.QueryEscape("redis://localhost:6379/0"))
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	// Right after Open, before traffic. WithDBStatement(false) keeps keys and values out of the spans.
	err = cachekitotel.Instrument(c,
		cachekitotel.WithTracerProvider(tp),
		cachekitotel.WithMeterProvider(mp),
		cachekitotel.WithTracingOptions(redisotel.WithDBStatement(false)))
	if err != nil {
		log.Fatal(err)
	}

	if err := c.Set(ctx, "ticker:QRL/USDT", "0.0012345", time.Minute); err != nil {
		log.Fatal(err)
	}
	for _, s := range spans.Ended() {
		fmt.Println(s.Name()) // ..., "set", "publish" (tiered's invalidation of other instances' L1)
	}
}

// A cache with no Redis in it has nothing to instrument: Instrument says so, and a program that runs
// with either kind of store can carry on.
func ExampleInstrument_noRedis() {
	c, err := cachekit.Open(context.Background(), "memory://")
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	err = cachekitotel.Instrument(c)
	fmt.Println(errors.Is(err, cachekitotel.ErrNoRedis))
	// Output:
	// true
}
