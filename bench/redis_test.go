package bench

// The redis backend beside raw go-redis: both use one client object (same pool, timeouts and server),
// the same keys and the same stored bytes.

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	goredis "github.com/redis/go-redis/v9"

	rstore "github.com/cachekit/cachekit/store/redis"
)

const redisKeys = 1024 // keys the Get benchmarks cycle through (a power of two)

func BenchmarkRedisGet(b *testing.B) {
	client := newClient(b)
	s := newRedisStore(b, client)
	purgeAtCleanup(b, client, namespace+":*")
	keys := fullKeys("ticker", redisKeys)
	ctx := context.Background()
	for _, val := range values {
		value := *val.data
		populate(b, client, keys, value)
		warm(b, client, keys)
		b.Run("value="+val.name+"/impl=raw", func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				v, err := client.Get(ctx, keys[i&(redisKeys-1)]).Bytes()
				if err != nil || len(v) != len(value) {
					b.Fatal(err)
				}
			}
		})
		b.Run("value="+val.name+"/impl=cachekit", func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				v, err := s.Get(ctx, keys[i&(redisKeys-1)])
				if err != nil || len(v) != len(value) {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkRedisSet(b *testing.B) {
	client := newClient(b)
	s := newRedisStore(b, client)
	purgeAtCleanup(b, client, namespace+":*")
	keys := fullKeys("ticker", redisKeys)
	ctx := context.Background()
	populate(b, client, keys, tickerBytes)
	warm(b, client, keys)
	b.Run("impl=raw", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if err := client.Set(ctx, keys[i&(redisKeys-1)], tickerBytes, remoteTTL).Err(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("impl=cachekit", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if err := s.Set(ctx, keys[i&(redisKeys-1)], tickerBytes, remoteTTL); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// warm reads every key once, untimed, so that the first sub-benchmark does not pay for a cold
// connection and cold caches on either side of it.
func warm(tb testing.TB, client goredis.UniversalClient, keys []string) {
	tb.Helper()
	ctx := context.Background()
	for _, k := range keys {
		if err := client.Get(ctx, k).Err(); err != nil {
			tb.Fatalf("warm-up GET %s: %v", k, err)
		}
	}
}

// rawGetMany is what a go-redis user writes for 100 keys: one MGET on a single node; on a Cluster, a
// pipeline of GETs (go-redis sends one pipeline per node; MGET across slots fails with CROSSSLOT).
func rawGetMany(ctx context.Context, c goredis.UniversalClient, keys []string) (map[string][]byte, error) {
	out := make(map[string][]byte, len(keys))
	if _, ok := c.(*goredis.ClusterClient); !ok {
		vals, err := c.MGet(ctx, keys...).Result()
		if err != nil {
			return nil, err
		}
		for i, v := range vals {
			if s, ok := v.(string); ok {
				out[keys[i]] = []byte(s)
			}
		}
		return out, nil
	}
	cmds := make([]*goredis.StringCmd, len(keys))
	_, err := c.Pipelined(ctx, func(p goredis.Pipeliner) error {
		for i, k := range keys {
			cmds[i] = p.Get(ctx, k)
		}
		return nil
	})
	if err != nil && !errors.Is(err, goredis.Nil) {
		return nil, err
	}
	for i, cmd := range cmds {
		if v, err := cmd.Bytes(); err == nil {
			out[keys[i]] = v
		}
	}
	return out, nil
}

func BenchmarkRedisGetMany100(b *testing.B) {
	const n = 100
	keys := fullKeys("ticker", redisKeys)
	ctx := context.Background()
	for _, topo := range topologies {
		b.Run("topology="+topo, func(b *testing.B) {
			client := newClientOf(b, topo)
			s := newRedisStore(b, client)
			purgeAtCleanup(b, client, namespace+":*")
			populate(b, client, keys, tickerBytes)
			b.Run("impl=raw", func(b *testing.B) {
				b.ReportAllocs()
				for i := 0; b.Loop(); i++ {
					off := (i * n) % (redisKeys - n)
					m, err := rawGetMany(ctx, client, keys[off:off+n])
					if err != nil || len(m) != n {
						b.Fatalf("%d hits of %d: %v", len(m), n, err)
					}
				}
			})
			b.Run("impl=cachekit", func(b *testing.B) {
				b.ReportAllocs()
				for i := 0; b.Loop(); i++ {
					off := (i * n) % (redisKeys - n)
					m, err := s.GetMany(ctx, keys[off:off+n])
					if err != nil || len(m) != n {
						b.Fatalf("%d hits of %d: %v", len(m), n, err)
					}
				}
			})
		})
	}
}

func BenchmarkRedisSetMany100(b *testing.B) {
	const n = 100
	keys := fullKeys("ticker", redisKeys)
	ctx := context.Background()
	for _, topo := range topologies {
		b.Run("topology="+topo, func(b *testing.B) {
			client := newClientOf(b, topo)
			s := newRedisStore(b, client)
			purgeAtCleanup(b, client, namespace+":*")
			b.Run("impl=raw", func(b *testing.B) {
				b.ReportAllocs()
				for i := 0; b.Loop(); i++ {
					off := (i * n) % (redisKeys - n)
					if _, err := client.Pipelined(ctx, func(p goredis.Pipeliner) error {
						for _, k := range keys[off : off+n] {
							p.Set(ctx, k, tickerBytes, remoteTTL)
						}
						return nil
					}); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("impl=cachekit", func(b *testing.B) {
				all := items(keys, tickerBytes)
				b.ReportAllocs()
				for i := 0; b.Loop(); i++ {
					off := (i * n) % (redisKeys - n)
					if err := s.SetMany(ctx, all[off:off+n]); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}

func BenchmarkRedisGetParallel(b *testing.B) {
	keys := fullKeys("ticker", redisKeys)
	ctx := context.Background()
	for _, topo := range topologies {
		b.Run("topology="+topo, func(b *testing.B) {
			client := newClientOf(b, topo)
			s := newRedisStore(b, client)
			purgeAtCleanup(b, client, namespace+":*")
			populate(b, client, keys, tickerBytes)
			get := map[string]func(k string) ([]byte, error){
				"raw":      func(k string) ([]byte, error) { return client.Get(ctx, k).Bytes() },
				"cachekit": func(k string) ([]byte, error) { return s.Get(ctx, k) },
			}
			for _, impl := range []string{"raw", "cachekit"} {
				b.Run("impl="+impl, func(b *testing.B) { runParallelGets(b, keys, get[impl]) })
			}
		})
	}
}

// runParallelGets runs get over keys from b.RunParallel's goroutines, each starting at its own offset.
// A burst of concurrent gets first, untimed, lets the client dial its whole pool.
func runParallelGets(b *testing.B, keys []string, get func(k string) ([]byte, error)) {
	var wg sync.WaitGroup
	for g := range concurrency {
		wg.Go(func() {
			for i := range 10 {
				_, _ = get(keys[(g*10+i)%len(keys)])
			}
		})
	}
	wg.Wait()
	var seq atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := int(seq.Add(1)) * 7919
		for ; pb.Next(); i++ {
			if v, err := get(keys[i%len(keys)]); err != nil || len(v) == 0 {
				b.Errorf("get: %d bytes, %v", len(v), err)
				return
			}
		}
	})
}

// concurrency is the number of goroutines of BenchmarkRedisGetConcurrent50.
const concurrency = 50

// BenchmarkRedisGetConcurrent50 runs GETs from 50 goroutines on the standalone server: go-redis with its
// default pool (raw), the redis backend over that client (cachekit), go-redis's AutoPipeline (blocking
// face, default options; experimental in v9.23), the redis backend with its opt-in auto_pipeline
// (cachekit-autopipeline), and rueidis, which pipelines concurrent commands automatically. ns/op is the inverse of throughput.
func BenchmarkRedisGetConcurrent50(b *testing.B) {
	client := newClient(b)
	s := newRedisStore(b, client)
	purgeAtCleanup(b, client, namespace+":*")
	keys := fullKeys("ticker", redisKeys)
	populate(b, client, keys, tickerBytes)
	ctx := context.Background()
	p := (concurrency + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0)

	apClient := newClient(b)
	ap, err := apClient.AutoPipeline()
	if err != nil {
		b.Fatalf("go-redis AutoPipeline: %v", err)
	}
	rc := newRueidis(b)
	apStore, err := rstore.New(newClient(b), rstore.Options{AutoPipeline: true, CloseClient: true})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { apStore.Close() })

	get := map[string]func(k string) ([]byte, error){
		"raw":                   func(k string) ([]byte, error) { return client.Get(ctx, k).Bytes() },
		"cachekit":              func(k string) ([]byte, error) { return s.Get(ctx, k) },
		"cachekit-autopipeline": func(k string) ([]byte, error) { return apStore.Get(ctx, k) },
		"goredis-autopipeline":  func(k string) ([]byte, error) { return ap.Get(ctx, k).Bytes() },
		"rueidis":               func(k string) ([]byte, error) { return rc.Do(ctx, rc.B().Get().Key(k).Build()).AsBytes() },
	}
	for _, impl := range []string{"raw", "cachekit", "cachekit-autopipeline", "goredis-autopipeline", "rueidis"} {
		b.Run("impl="+impl, func(b *testing.B) {
			b.SetParallelism(p)
			runParallelGets(b, keys, get[impl])
		})
	}
}
