package cachekit_test

// Benchmarks of the Cache's read path beside a raw baseline doing the same work, as sub-benchmarks
// impl=raw / impl=cachekit so that `benchstat -col /impl` prints the ratios. The machine is small and
// noisy: interleave runs of the binary rather than using -count, and trust allocs/op first.
//
//	go test -c -o ck.test . && for i in 1 2 3 4 5 6; do ./ck.test -test.run '^$' -test.bench . -test.benchmem -test.count 1; done > new.txt
//	benchstat -col /impl new.txt

import (
	"context"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dgraph-io/ristretto/v2"
	"github.com/shopspring/decimal"

	"github.com/cachekit/cachekit"
	"github.com/cachekit/cachekit/codec"
	"github.com/cachekit/cachekit/exchange"
	"github.com/cachekit/cachekit/store/memory"
	"github.com/cachekit/cachekit/store/tiered"
)

// benchTicker is the exchange's ticker: a symbol, eight decimals and a time.
type benchTicker = exchange.Ticker

func newBenchTicker(i int) benchTicker {
	d := decimal.RequireFromString
	return benchTicker{
		Symbol: fmt.Sprintf("S%04d/USDT", i),
		Last:   d("0.00412300"), Bid: d("0.00412000"), Ask: d("0.00412600"),
		High: d("0.00431000"), Low: d("0.00398000"),
		BaseVolume: d("1832345.12"), QuoteVolume: d("7540.33"), Percentage: d("-2.35"),
		Time: time.Date(2026, 11, 26, 21, 41, 25, 123e6, time.UTC),
	}
}

const benchKeys = 256 // a power of two

// benchRel returns the i-th relative key; with the default prefix the full key is ~28 bytes.
func benchRel(i int) string { return fmt.Sprintf("ticker:mexc:S%04d/USDT", i) }

var benchCodecs = []codec.Codec{codec.JSON, codec.Msgpack}

// newRawBytes is the raw baseline: ristretto holding the encoded values under the full keys, configured
// as the memory backend configures it.
func newRawBytes(b *testing.B, c codec.Codec, full func(int) string) *ristretto.Cache[string, []byte] {
	r, err := ristretto.NewCache(&ristretto.Config[string, []byte]{
		NumCounters: 64 << 20 / 256 * 10, MaxCost: 64 << 20, BufferItems: 64, IgnoreInternalCost: true,
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(r.Close)
	for i := range benchKeys {
		data, err := codec.Encode(c, newBenchTicker(i))
		if err != nil {
			b.Fatal(err)
		}
		r.SetWithTTL(full(i), data, int64(len(data)), time.Hour)
	}
	r.Wait()
	return r
}

// fillCache writes the benchmark tickers into c.
func fillCache(b *testing.B, c *cachekit.Cache) []string {
	ctx := context.Background()
	keys := make([]string, benchKeys)
	for i := range keys {
		keys[i] = benchRel(i)
		if err := c.Set(ctx, keys[i], newBenchTicker(i), time.Hour); err != nil {
			b.Fatal(err)
		}
	}
	return keys
}

func newMemoryCache(b *testing.B, cd codec.Codec) *cachekit.Cache {
	s, err := memory.New(memory.Options{MaxBytes: 64 << 20})
	if err != nil {
		b.Fatal(err)
	}
	c, err := cachekit.New(s, cachekit.WithCodec(cd))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = c.Close() })
	return c
}

var sinkTicker benchTicker

// BenchmarkCacheGet is a typed Get hit through the memory backend (decode included) beside raw ristretto
// Get followed by codec.Decode of the same bytes.
func BenchmarkCacheGet(b *testing.B) {
	b.Logf("GOMAXPROCS=%d", runtime.GOMAXPROCS(0))
	for _, cd := range benchCodecs {
		b.Run("codec="+cd.Name(), func(b *testing.B) {
			b.Run("impl=raw", func(b *testing.B) {
				full := func(i int) string { return "qrl:v1:" + benchRel(i) }
				keys := make([]string, benchKeys)
				for i := range keys {
					keys[i] = full(i)
				}
				r := newRawBytes(b, cd, full)
				b.ReportAllocs()
				for i := 0; b.Loop(); i++ {
					data, ok := r.Get(keys[i&(benchKeys-1)])
					if !ok {
						b.Fatal("miss")
					}
					var t benchTicker
					if _, err := codec.Decode(data, &t); err != nil {
						b.Fatal(err)
					}
					sinkTicker = t
				}
			})
			b.Run("impl=cachekit", func(b *testing.B) {
				c := newMemoryCache(b, cd)
				keys := fillCache(b, c)
				ctx := context.Background()
				b.ReportAllocs()
				for i := 0; b.Loop(); i++ {
					var t benchTicker
					if err := c.Get(ctx, keys[i&(benchKeys-1)], &t); err != nil {
						b.Fatal(err)
					}
					sinkTicker = t
				}
			})
		})
	}
}

// BenchmarkCacheGetParallel is BenchmarkCacheGet (msgpack) from GOMAXPROCS goroutines: it shows
// contention on shared counters.
func BenchmarkCacheGetParallel(b *testing.B) {
	cd := codec.Msgpack
	b.Run("impl=raw", func(b *testing.B) {
		full := func(i int) string { return "qrl:v1:" + benchRel(i) }
		keys := make([]string, benchKeys)
		for i := range keys {
			keys[i] = full(i)
		}
		r := newRawBytes(b, cd, full)
		var seq atomic.Int64
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			i := int(seq.Add(1)) * 7919
			for pb.Next() {
				data, ok := r.Get(keys[i&(benchKeys-1)])
				if !ok {
					panic("miss")
				}
				var t benchTicker
				if _, err := codec.Decode(data, &t); err != nil {
					panic(err)
				}
				i++
			}
		})
	})
	b.Run("impl=cachekit", func(b *testing.B) {
		c := newMemoryCache(b, cd)
		keys := fillCache(b, c)
		ctx := context.Background()
		var seq atomic.Int64
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			i := int(seq.Add(1)) * 7919
			for pb.Next() {
				var t benchTicker
				if err := c.Get(ctx, keys[i&(benchKeys-1)], &t); err != nil {
					panic(err)
				}
				i++
			}
		})
	})
}

// newTieredCache is a Cache over tiered(memory, memory) with a long L1 lifetime, so reads are L1 hits.
func newTieredCache(b *testing.B, cd codec.Codec) *cachekit.Cache {
	l1, err := memory.New(memory.Options{MaxBytes: 64 << 20})
	if err != nil {
		b.Fatal(err)
	}
	l2, err := memory.New(memory.Options{MaxBytes: 64 << 20})
	if err != nil {
		b.Fatal(err)
	}
	s, err := tiered.New(l1, l2, tiered.Options{L1MaxTTL: time.Hour})
	if err != nil {
		b.Fatal(err)
	}
	c, err := cachekit.New(s, cachekit.WithCodec(cd))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = c.Close() })
	return c
}

// BenchmarkViewHot is the typed read of a hot key: impl=raw is a ristretto Get of the already decoded
// struct (the floor: no codec at all), impl=cachekit is View (decoded once per write, then shared),
// impl=get is Get (decodes on every read), on the memory backend and on tiered(memory, memory) L1 hits.
func BenchmarkViewHot(b *testing.B) {
	b.Logf("GOMAXPROCS=%d", runtime.GOMAXPROCS(0))
	cd := codec.Msgpack
	backends := []struct {
		name string
		open func(*testing.B, codec.Codec) *cachekit.Cache
	}{{"memory", newMemoryCache}, {"tiered", newTieredCache}}
	for _, be := range backends {
		b.Run("backend="+be.name, func(b *testing.B) {
			b.Run("impl=raw", func(b *testing.B) {
				r, err := ristretto.NewCache(&ristretto.Config[string, benchTicker]{
					NumCounters: 64 << 20 / 256 * 10, MaxCost: 64 << 20, BufferItems: 64, IgnoreInternalCost: true,
				})
				if err != nil {
					b.Fatal(err)
				}
				defer r.Close()
				keys := make([]string, benchKeys)
				for i := range keys {
					keys[i] = "qrl:v1:" + benchRel(i)
					r.SetWithTTL(keys[i], newBenchTicker(i), 200, time.Hour)
				}
				r.Wait()
				b.ReportAllocs()
				for i := 0; b.Loop(); i++ {
					t, ok := r.Get(keys[i&(benchKeys-1)])
					if !ok {
						b.Fatal("miss")
					}
					sinkTicker = t
				}
			})
			b.Run("impl=cachekit", func(b *testing.B) {
				c := be.open(b, cd)
				keys := fillCache(b, c)
				ctx := context.Background()
				b.ReportAllocs()
				for i := 0; b.Loop(); i++ {
					t, err := cachekit.View[benchTicker](ctx, c, keys[i&(benchKeys-1)])
					if err != nil {
						b.Fatal(err)
					}
					sinkTicker = t
				}
			})
			b.Run("impl=get", func(b *testing.B) {
				c := be.open(b, cd)
				keys := fillCache(b, c)
				ctx := context.Background()
				b.ReportAllocs()
				for i := 0; b.Loop(); i++ {
					var t benchTicker
					if err := c.Get(ctx, keys[i&(benchKeys-1)], &t); err != nil {
						b.Fatal(err)
					}
					sinkTicker = t
				}
			})
		})
	}
}

// BenchmarkViewHotParallel is BenchmarkViewHot/backend=memory from GOMAXPROCS goroutines, all reading
// one hot key: it shows contention on shared counters.
func BenchmarkViewHotParallel(b *testing.B) {
	b.Run("impl=raw", func(b *testing.B) {
		r, err := ristretto.NewCache(&ristretto.Config[string, benchTicker]{
			NumCounters: 64 << 20 / 256 * 10, MaxCost: 64 << 20, BufferItems: 64, IgnoreInternalCost: true,
		})
		if err != nil {
			b.Fatal(err)
		}
		defer r.Close()
		key := "qrl:v1:" + benchRel(0)
		r.SetWithTTL(key, newBenchTicker(0), 200, time.Hour)
		r.Wait()
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, ok := r.Get(key); !ok {
					panic("miss")
				}
			}
		})
	})
	b.Run("impl=cachekit", func(b *testing.B) {
		c := newMemoryCache(b, codec.Msgpack)
		keys := fillCache(b, c)
		ctx := context.Background()
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := cachekit.View[benchTicker](ctx, c, keys[0]); err != nil {
					panic(err)
				}
			}
		})
	})
}
