package exchange

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/cachekit/cachekit"
)

// BenchmarkTickerP99DemoWorkload polls three tickers the way the demo's bot does, against a synthetic
// exchange with the demo's latency (30–80 ms), with a ticker TTL short enough (250 ms) that the run
// crosses many expiries, and reports the p99 and p50 request latency and their ratio. policy=default is
// the built-in ticker policy (stale-while-revalidate, early refresh): an expiry is refreshed behind the
// bot's back, so p99 stays near a cache hit. policy=none is plain read-through: every expiry is an
// upstream call on the bot's path, so p99 is the upstream latency. Run with -benchtime=Nx (N rounds of
// three requests, 5 ms apart); the cache is warmed first, as a running bot's is. hits-only is the
// reference: the same pacing with a TTL that never expires, so its p99 is a cache hit's.
func BenchmarkTickerP99DemoWorkload(b *testing.B) {
	for _, tc := range []struct {
		name   string
		policy *cachekit.Policy
		ttl    time.Duration
	}{
		{"policy=default", nil, 250 * time.Millisecond},
		{"policy=none", &cachekit.Policy{}, 250 * time.Millisecond},
		{"hits-only", nil, time.Hour}, // the reference: the same pacing, never an expiry
	} {
		b.Run(tc.name, func(b *testing.B) {
			ctx := context.Background()
			var opts []cachekit.Option
			if tc.policy != nil {
				opts = append(opts, cachekit.WithPolicy(KindTicker, *tc.policy))
			}
			src, err := NewSynthetic(SyntheticOptions{Seed: 1, Latency: 30 * time.Millisecond, Jitter: 50 * time.Millisecond})
			if err != nil {
				b.Fatal(err)
			}
			c, err := NewClient(src, newBenchCache(b, opts...), WithTTL(KindTicker, tc.ttl))
			if err != nil {
				b.Fatal(err)
			}
			symbols := []string{"QRL/USDT", "BTC/USDT", "ETH/USDT"}
			for _, s := range symbols { // a running bot's cache is warm
				if _, err := c.Ticker(ctx, s); err != nil {
					b.Fatal(err)
				}
			}
			lat := make([]time.Duration, 0, 3*b.N)
			b.ResetTimer()
			for range b.N {
				for _, s := range symbols {
					t0 := time.Now()
					if _, err := c.Ticker(ctx, s); err != nil {
						b.Fatal(err)
					}
					lat = append(lat, time.Since(t0))
				}
				time.Sleep(5 * time.Millisecond)
			}
			b.StopTimer()
			slices.Sort(lat)
			p50, p99 := lat[len(lat)/2], lat[len(lat)*99/100]
			b.ReportMetric(float64(p99.Microseconds()), "p99-µs")
			b.ReportMetric(float64(p50.Microseconds()), "p50-µs")
			b.ReportMetric(float64(p99)/float64(p50), "p99/p50")
		})
	}
}

func newBenchCache(b *testing.B, opts ...cachekit.Option) *cachekit.Cache {
	b.Helper()
	c, err := cachekit.Open(context.Background(), "memory://", opts...)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	return c
}
