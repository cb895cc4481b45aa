package cachekitprom_test

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/cachekit/cachekit"
	"github.com/cachekit/cachekit/cachekitprom"
)

// BenchmarkMemoryHit is the cost of the metrics on the hot path: a Get hit of a small struct on a
// memory Cache, without and with a registered Collector (goal: on ≤ 1.10× off).
func BenchmarkMemoryHit(b *testing.B) {
	for _, on := range []bool{false, true} {
		name := "metrics=off"
		if on {
			name = "metrics=on"
		}
		b.Run(name, func(b *testing.B) {
			ctx := context.Background()
			c, err := cachekit.Open(ctx, "memory://")
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			if on {
				prometheus.NewRegistry().MustRegister(cachekitprom.New(c))
			}
			if err := c.Set(ctx, "ticker:QRL/USDT", quote{Symbol: "QRL/USDT", Last: "0.0123"}, time.Hour); err != nil {
				b.Fatal(err)
			}
			var v quote
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if err := c.Get(ctx, "ticker:QRL/USDT", &v); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkMemoryHitPaired measures the same two Caches as BenchmarkMemoryHit, metrics off and on,
// alternating in chunks of 512 Gets (each side first in every other round), and reports the on/off
// time ratio: a machine shared with other
// work slows both sides of each pair alike, so the ratio is steadier than two separate benchmarks.
func BenchmarkMemoryHitPaired(b *testing.B) {
	ctx := context.Background()
	open := func(on bool) *cachekit.Cache {
		c, err := cachekit.Open(ctx, "memory://")
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = c.Close() })
		if on {
			prometheus.NewRegistry().MustRegister(cachekitprom.New(c))
		}
		if err := c.Set(ctx, "ticker:QRL/USDT", quote{Symbol: "QRL/USDT", Last: "0.0123"}, time.Hour); err != nil {
			b.Fatal(err)
		}
		return c
	}
	caches := [2]*cachekit.Cache{open(false), open(true)}
	const chunk = 512
	var spent [2]time.Duration
	var v quote
	b.ReportAllocs()
	b.ResetTimer()
	order := [2][2]int{{0, 1}, {1, 0}} // which Cache goes first alternates, so neither gains from going second
	n := 0
	for b.Loop() {
		n++
		for _, i := range order[n%2] {
			c := caches[i]
			began := time.Now()
			for range chunk {
				if err := c.Get(ctx, "ticker:QRL/USDT", &v); err != nil {
					b.Fatal(err)
				}
			}
			spent[i] += time.Since(began)
		}
	}
	b.ReportMetric(float64(spent[1])/float64(spent[0]), "on/off")
	b.ReportMetric(float64(spent[0])/float64(b.N*chunk), "off-ns/get")
	b.ReportMetric(float64(spent[1])/float64(b.N*chunk), "on-ns/get")
}

// BenchmarkCount is the Observer call a memory hit makes (a known kind), alone: what the Collector
// itself adds, without the root hook's interface call and kind cut.
func BenchmarkCount(b *testing.B) {
	c, err := cachekit.Open(context.Background(), "memory://")
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	col := cachekitprom.New(c)
	b.ReportAllocs()
	for b.Loop() {
		col.Count(cachekit.OpGet, "ticker", cachekit.OutcomeHit, 1)
	}
}
