package tiered

import (
	"context"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/dgraph-io/ristretto/v2"
	goredis "github.com/redis/go-redis/v9"

	"github.com/cachekit/cachekit/internal/redistest"
)

// Benchmark data: a 30-byte key and a ticker-sized JSON value.
const benchKey = "qrl:v1:ticker:mexc:QRL/USDT:1m"

var benchValue = []byte(`{"symbol":"QRL/USDT","last":"0.00412300","bid":"0.00412000","ask":"0.00412600","high":"0.00431000","low":"0.00398000","volume":"1832345.12","quote_volume":"7540.33","ts":"2026-11-26T21:41:25.123Z"}`)

// newRawRistretto is the baseline: ristretto configured as the memory backend configures it.
func newRawRistretto(b *testing.B) *ristretto.Cache[string, []byte] {
	c, err := ristretto.NewCache(&ristretto.Config[string, []byte]{
		NumCounters: 64 << 20 / 256 * 10, MaxCost: 64 << 20, BufferItems: 64, IgnoreInternalCost: true,
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(c.Close)
	return c
}

// newBenchTiered is tiered(memory, memory) with benchKey written through, and the L1 fail-safe window
// failSafe (0: off).
func newBenchTiered(b *testing.B, failSafe time.Duration) *Store {
	s, err := New(newMemory(b), newMemory(b), Options{L1MaxTTL: time.Hour, L1FailSafe: failSafe})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = s.Close() })
	if err := s.Set(context.Background(), benchKey, benchValue, time.Hour); err != nil {
		b.Fatal(err)
	}
	return s
}

// BenchmarkGetL1Hit compares a tiered Get served by L1 (the memory backend: a copy of the value is
// returned) with a raw ristretto Get of the same key and value (no copy).
func BenchmarkGetL1Hit(b *testing.B) {
	b.Logf("GOMAXPROCS=%d", runtime.GOMAXPROCS(0))
	b.Run("impl=raw", func(b *testing.B) {
		c := newRawRistretto(b)
		c.SetWithTTL(benchKey, benchValue, int64(len(benchValue)), time.Hour)
		c.Wait()
		b.ReportAllocs()
		for b.Loop() {
			if v, ok := c.Get(benchKey); !ok || len(v) != len(benchValue) {
				b.Fatal("miss")
			}
		}
	})
	// +failsafe turns the L1 fail-safe on: the hit path then also compares the copy's remaining lifetime
	// with the window (one clock read in the memory backend's fresh reads).
	for _, fs := range []struct {
		name   string
		window time.Duration
	}{{"", 0}, {"+failsafe", 30 * time.Second}} {
		b.Run("impl=cachekit"+fs.name, func(b *testing.B) {
			s := newBenchTiered(b, fs.window)
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if v, err := s.Get(ctx, benchKey); err != nil || len(v) != len(benchValue) {
					b.Fatal(err)
				}
			}
		})
		// cachekit+view lends L1's bytes (store.Viewer) instead of copying them, as raw does.
		b.Run("impl=cachekit+view"+fs.name, func(b *testing.B) {
			s := newBenchTiered(b, fs.window)
			ctx := context.Background()
			n := 0
			fn := func(v []byte) error { n = len(v); return nil }
			b.ReportAllocs()
			for b.Loop() {
				if err := s.View(ctx, benchKey, fn); err != nil || n != len(benchValue) {
					b.Fatal(err)
				}
			}
		})
		// cachekit+decoded returns the form L1 keeps (store.DecodedCache).
		b.Run("impl=cachekit+decoded"+fs.name, func(b *testing.B) {
			s := newBenchTiered(b, fs.window)
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if v, err := s.GetDecoded(ctx, benchKey, benchDecoder{}); err != nil || v == nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// benchDecoder keeps the value's length as its decoded form.
type benchDecoder struct{}

func (benchDecoder) DecodeValue(v []byte) (any, error) { return len(v), nil }

// BenchmarkGetL1HitParallel is BenchmarkGetL1Hit from GOMAXPROCS goroutines.
func BenchmarkGetL1HitParallel(b *testing.B) {
	b.Run("impl=raw", func(b *testing.B) {
		c := newRawRistretto(b)
		c.SetWithTTL(benchKey, benchValue, int64(len(benchValue)), time.Hour)
		c.Wait()
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if v, ok := c.Get(benchKey); !ok || len(v) != len(benchValue) {
					panic("miss")
				}
			}
		})
	})
	for _, fs := range []struct {
		name   string
		window time.Duration
	}{{"", 0}, {"+failsafe", 30 * time.Second}} {
		b.Run("impl=cachekit"+fs.name, func(b *testing.B) {
			s := newBenchTiered(b, fs.window)
			ctx := context.Background()
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if v, err := s.Get(ctx, benchKey); err != nil || len(v) != len(benchValue) {
						panic(err)
					}
				}
			})
		})
	}
}

// BenchmarkSetRedis measures what a write costs over loopback Redis: a raw go-redis SET, and a tiered
// Set (SET, L1 write-through, invalidation) publishing asynchronously (the default) or synchronously.
func BenchmarkSetRedis(b *testing.B) {
	srv := redistest.Standalone(b)
	key := redistest.Namespace(b) + ":" + benchKey
	b.Run("impl=raw", func(b *testing.B) {
		c := goredis.NewClient(&goredis.Options{Addr: srv.Addr})
		defer c.Close()
		ctx := context.Background()
		b.ReportAllocs()
		for b.Loop() {
			if err := c.Set(ctx, key, benchValue, time.Hour).Err(); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, mode := range []struct {
		name string
		sync bool
	}{{"impl=cachekit/publish=async", false}, {"impl=cachekit/publish=sync", true}} {
		b.Run(mode.name, func(b *testing.B) {
			s := openRedisTiered(b, srv.URL, Options{SyncPublish: mode.sync})
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if err := s.Set(ctx, key, benchValue, time.Hour); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkInvalidationLatency measures, over loopback Redis, the time from the start of A's Set to B
// having dropped the key from its L1 (B's test hook runs right after the drop), sequentially, and
// reports its p50 and p99 in microseconds.
func BenchmarkInvalidationLatency(b *testing.B) {
	srv := redistest.Standalone(b)
	key := redistest.Namespace(b) + ":" + benchKey
	for _, mode := range []struct {
		name string
		sync bool
	}{{"publish=async", false}, {"publish=sync", true}} {
		b.Run(mode.name, func(b *testing.B) {
			a := openRedisTiered(b, srv.URL, Options{SyncPublish: mode.sync})
			bs := openRedisTiered(b, srv.URL, Options{})
			arrived := make(chan time.Time, 1)
			hook := func(_ entryKind, text string) {
				if text == key {
					select {
					case arrived <- time.Now():
					default:
					}
				}
			}
			bs.testHookApplied.Store(&hook)
			ctx := context.Background()
			var lat []time.Duration
			for b.Loop() {
				began := time.Now()
				if err := a.Set(ctx, key, benchValue, time.Hour); err != nil {
					b.Fatal(err)
				}
				select {
				case at := <-arrived:
					lat = append(lat, at.Sub(began))
				case <-time.After(2 * time.Second):
					b.Fatal("invalidation not applied by B within 2s")
				}
			}
			slices.Sort(lat)
			pct := func(p float64) float64 {
				return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Nanoseconds()) / 1e3
			}
			b.ReportMetric(pct(0.50), "p50-µs")
			b.ReportMetric(pct(0.99), "p99-µs")
			b.ReportMetric(0, "ns/op") // the loop time is the latency itself; p50/p99 say it better
		})
	}
}
