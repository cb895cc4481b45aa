package bench

// Redis GET from exactly 1, 8 and 50 goroutines, side by side in one run: raw go-redis, go-redis's
// auto-pipeliner, rueidis, and the redis backend in its default (off), adaptive and always-pipelined modes.

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	rstore "github.com/cachekit/cachekit/store/redis"
)

// goroutineCounts are the caller counts of BenchmarkRedisGetGoroutines.
var goroutineCounts = []int{1, 8, 50}

// BenchmarkRedisGetGoroutines runs GETs of one standalone server from exactly N goroutines (not
// b.RunParallel's multiple of GOMAXPROCS), sharing b.N through an atomic counter; ns/op is wall time
// over all operations, the inverse of throughput. Every client has a go-redis client (and pool) of its
// own: raw-goredis (Client.Get, default pool), goredis-autopipeline (Client.AutoPipeline, the blocking
// face with its defaults), rueidis (its defaults: auto-pipelining), cachekit (rstore.New with zero
// Options: the default, PipelineAdaptive), cachekit-off (PipelineOff, pipeline=off, the plain path)
// and cachekit-always (PipelineAlways, auto_pipeline=true).
func BenchmarkRedisGetGoroutines(b *testing.B) {
	keys := fullKeys("ticker", redisKeys)
	ctx := context.Background()
	raw := newClient(b)
	purgeAtCleanup(b, raw, namespace+":*")
	populate(b, raw, keys, tickerBytes)

	ap, err := newClient(b).AutoPipeline()
	if err != nil {
		b.Fatalf("go-redis AutoPipeline: %v", err)
	}
	rc := newRueidis(b)
	store := func(opts rstore.Options) *rstore.Store {
		opts.CloseClient = true
		s, err := rstore.New(newClient(b), opts)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = s.Close() })
		return s
	}
	def := store(rstore.Options{})
	off := store(rstore.Options{Pipeline: rstore.PipelineOff})
	always := store(rstore.Options{Pipeline: rstore.PipelineAlways})

	clients := []struct {
		name string
		get  func(k string) ([]byte, error)
	}{
		{"raw-goredis", func(k string) ([]byte, error) { return raw.Get(ctx, k).Bytes() }},
		{"goredis-autopipeline", func(k string) ([]byte, error) { return ap.Get(ctx, k).Bytes() }},
		{"rueidis", func(k string) ([]byte, error) { return rc.Do(ctx, rc.B().Get().Key(k).Build()).AsBytes() }},
		{"cachekit", func(k string) ([]byte, error) { return def.Get(ctx, k) }},
		{"cachekit-off", func(k string) ([]byte, error) { return off.Get(ctx, k) }},
		{"cachekit-always", func(k string) ([]byte, error) { return always.Get(ctx, k) }},
	}
	for _, n := range goroutineCounts {
		for _, c := range clients {
			b.Run(fmt.Sprintf("goroutines=%d/impl=%s", n, c.name), func(b *testing.B) {
				getsFromGoroutines(b, n, keys, c.get)
			})
		}
	}
}

// getsFromGoroutines calls get from exactly n goroutines until b.N calls have been made in all. An untimed
// burst first lets each client dial the connections n callers need.
func getsFromGoroutines(b *testing.B, n int, keys []string, get func(k string) ([]byte, error)) {
	var wg sync.WaitGroup
	for g := range n {
		wg.Go(func() {
			for i := range 10 {
				_, _ = get(keys[(g*10+i)%len(keys)])
			}
		})
	}
	wg.Wait()
	var (
		next  atomic.Int64
		total = int64(b.N)
	)
	b.ReportAllocs()
	b.ResetTimer()
	for g := range n {
		wg.Go(func() {
			for i := g * 7919; next.Add(1) <= total; i++ {
				if v, err := get(keys[i%len(keys)]); err != nil || len(v) == 0 {
					b.Errorf("get: %d bytes, %v", len(v), err)
					return
				}
			}
		})
	}
	wg.Wait()
}
