package bench

// tiered(memory, redis) beside raw ristretto (L1 hits), and beside the two Go libraries a user would
// pick for a local cache in front of Redis: go-redis/cache (TinyLFU local cache + Redis) and rueidis
// (server-assisted client-side caching). Local copies live localTTL on every side, Redis entries
// remoteTTL.

import (
	"context"
	"encoding/json"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-redis/cache/v9"
	goredis "github.com/redis/go-redis/v9"
	"github.com/redis/rueidis"

	"github.com/cachekit/cachekit"
	"github.com/cachekit/cachekit/exchange"
	"github.com/cachekit/cachekit/store/tiered"
)

// newTiered returns tiered(memory, redis over client) with invalidation live, closed at cleanup.
func newTiered(tb testing.TB, client goredis.UniversalClient) *tiered.Store {
	tb.Helper()
	s, err := tiered.New(openMemory(tb), newRedisStore(tb, client), tiered.Options{L1MaxTTL: localTTL})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = s.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Ready(ctx); err != nil {
		tb.Fatalf("tiered: invalidation subscription not ready: %v", err)
	}
	return s
}

// newTieredCache returns a Cache over newTiered, in namespace "qrl", closed at cleanup.
func newTieredCache(tb testing.TB, client goredis.UniversalClient, opts ...cachekit.Option) *cachekit.Cache {
	tb.Helper()
	c, err := cachekit.New(newTiered(tb, client), append([]cachekit.Option{cachekit.WithNamespace(namespace)}, opts...)...)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = c.Close() })
	return c
}

// newGoRedisCache returns go-redis/cache over client with a TinyLFU local cache holding up to 10,000
// entries for localTTL, and its default codec (msgpack, s2-compressed above 64 bytes).
func newGoRedisCache(client goredis.UniversalClient) *cache.Cache {
	return cache.New(&cache.Options{Redis: client, LocalCache: cache.NewTinyLFU(10_000, localTTL)})
}

func BenchmarkTieredL1Hit(b *testing.B) {
	client := newClient(b)
	purgeAtCleanup(b, client, namespace+":*")
	keys := fullKeys("ticker", memKeys)
	ctx := context.Background()
	b.Run("impl=raw", func(b *testing.B) {
		c := newRistretto(b)
		fillRistretto(b, c, keys, tickerBytes)
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			v, ok := c.Get(keys[i&(memKeys-1)])
			if !ok {
				b.Fatal("miss")
			}
			sinkBytes = v
		}
	})
	b.Run("impl=cachekit", func(b *testing.B) {
		s := newTiered(b, client)
		fillTiered(b, s, keys)
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			v, err := s.Get(ctx, keys[i&(memKeys-1)])
			if err != nil {
				b.Fatal(err)
			}
			sinkBytes = v
		}
	})
}

// fillTiered writes keys through both tiers and reads each once, so that every key is in L1.
func fillTiered(tb testing.TB, s *tiered.Store, keys []string) {
	tb.Helper()
	ctx := context.Background()
	for _, k := range keys {
		if err := s.Set(ctx, k, tickerBytes, remoteTTL); err != nil {
			tb.Fatal(err)
		}
		if _, err := s.Get(ctx, k); err != nil {
			tb.Fatal(err)
		}
	}
}

func BenchmarkTieredGetParallel(b *testing.B) {
	client := newClient(b)
	purgeAtCleanup(b, client, namespace+":*")
	keys := fullKeys("ticker", memKeys)
	ctx := context.Background()
	b.Run("impl=raw", func(b *testing.B) {
		c := newRistretto(b)
		fillRistretto(b, c, keys, tickerBytes)
		runParallelGets(b, keys, func(k string) ([]byte, error) {
			v, _ := c.Get(k)
			return v, nil
		})
	})
	b.Run("impl=cachekit", func(b *testing.B) {
		s := newTiered(b, client)
		fillTiered(b, s, keys)
		runParallelGets(b, keys, func(k string) ([]byte, error) { return s.Get(ctx, k) })
	})
}

// hotKeys is the read-heavy workload's key set; one operation in writeEvery is a write.
const (
	hotKeys    = 1000
	writeEvery = 20 // 5 % writes
)

// tickerClient is one library's typed access to tickers under full keys.
type tickerClient struct {
	get func(ctx context.Context, key string) (exchange.Ticker, error)
	set func(ctx context.Context, key string, t exchange.Ticker) error
}

// tickerClients returns, per implementation, typed ticker access over a fresh client of the standalone
// server. Every implementation reads and writes the same full keys.
func tickerClients(tb testing.TB) map[string]func(tb testing.TB) tickerClient {
	return map[string]func(tb testing.TB) tickerClient{
		"cachekit":     func(tb testing.TB) tickerClient { return cachekitTickers(tb, getTicker) },
		"cachekit-get": func(tb testing.TB) tickerClient { return cachekitTickers(tb, getTickerCopy) },
		"gorediscache": func(tb testing.TB) tickerClient {
			cd := newGoRedisCache(newClient(tb))
			return tickerClient{
				get: func(ctx context.Context, key string) (t exchange.Ticker, err error) {
					err = cd.Get(ctx, key, &t)
					return t, err
				},
				set: func(ctx context.Context, key string, t exchange.Ticker) error {
					return cd.Set(&cache.Item{Ctx: ctx, Key: key, Value: &t, TTL: remoteTTL})
				},
			}
		},
		"rueidis": func(tb testing.TB) tickerClient {
			rc := newRueidis(tb)
			return tickerClient{
				get: func(ctx context.Context, key string) (t exchange.Ticker, err error) {
					data, err := rc.DoCache(ctx, rc.B().Get().Key(key).Cache(), localTTL).AsBytes()
					if err != nil {
						return t, err
					}
					err = json.Unmarshal(data, &t)
					return t, err
				},
				set: func(ctx context.Context, key string, t exchange.Ticker) error {
					data, err := json.Marshal(t)
					if err != nil {
						return err
					}
					return rc.Do(ctx, rc.B().Set().Key(key).Value(rueidis.BinaryString(data)).Ex(remoteTTL).Build()).Error()
				},
			}
		},
	}
}

// cachekitTickers is typed ticker access through a Cache over tiered(memory, redis), reading with get.
func cachekitTickers(tb testing.TB, get func(context.Context, *cachekit.Cache, string) (exchange.Ticker, error)) tickerClient {
	c := newTieredCache(tb, newClient(tb))
	prefix := namespace + ":v1:"
	return tickerClient{
		get: func(ctx context.Context, key string) (exchange.Ticker, error) {
			return get(ctx, c, key[len(prefix):])
		},
		set: func(ctx context.Context, key string, t exchange.Ticker) error {
			return c.Set(ctx, key[len(prefix):], t, remoteTTL)
		},
	}
}

// peerOrder lists the implementations of peer comparisons, the baseline of benchstat's columns first.
var peerOrder = []string{"gorediscache", "rueidis", "cachekit"}

// prepareTickers writes ticker under keys through tc and reads each back twice (so local caches hold
// it), checking that what comes back is the ticker written.
func prepareTickers(tb testing.TB, tc tickerClient, keys []string) {
	tb.Helper()
	ctx := context.Background()
	for _, k := range keys {
		if err := tc.set(ctx, k, ticker); err != nil {
			tb.Fatal(err)
		}
	}
	for range 2 {
		for _, k := range keys {
			got, err := tc.get(ctx, k)
			if err != nil {
				tb.Fatal(err)
			}
			if got.Symbol != ticker.Symbol || !got.Last.Equal(ticker.Last) || !got.Time.Equal(ticker.Time) {
				tb.Fatalf("%s: read back %+v, wrote %+v", k, got, ticker)
			}
		}
	}
}

// BenchmarkReadHeavy is 95 % typed ticker reads and 5 % writes over 1,000 hot keys, from one goroutine.
func BenchmarkReadHeavy(b *testing.B) {
	purgeAtCleanup(b, newClient(b), namespace+":*")
	keys := fullKeys("ticker", hotKeys)
	clients := tickerClients(b)
	for _, impl := range peerOrder {
		b.Run("impl="+impl, func(b *testing.B) {
			tc := clients[impl](b)
			prepareTickers(b, tc, keys)
			ctx := context.Background()
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				k := keys[(i*7919)%hotKeys]
				if i%writeEvery == 0 {
					if err := tc.set(ctx, k, ticker); err != nil {
						b.Fatal(err)
					}
				} else if _, err := tc.get(ctx, k); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkReadHeavyParallel is BenchmarkReadHeavy from b.RunParallel's goroutines.
func BenchmarkReadHeavyParallel(b *testing.B) {
	purgeAtCleanup(b, newClient(b), namespace+":*")
	keys := fullKeys("ticker", hotKeys)
	clients := tickerClients(b)
	for _, impl := range peerOrder {
		b.Run("impl="+impl, func(b *testing.B) {
			tc := clients[impl](b)
			prepareTickers(b, tc, keys)
			ctx := context.Background()
			var seq atomic.Int64
			b.ReportAllocs()
			b.ResetTimer() // b.RunParallel's benchmark function is timed from its start, setup included
			b.RunParallel(func(pb *testing.PB) {
				i := int(seq.Add(1)) * 104729
				for ; pb.Next(); i++ {
					k := keys[(i*7919)%hotKeys]
					var err error
					if i%writeEvery == 0 {
						err = tc.set(ctx, k, ticker)
					} else {
						_, err = tc.get(ctx, k)
					}
					if err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}
