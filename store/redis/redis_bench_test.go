package redis

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/cachekit/cachekit/internal/redistest"
	"github.com/cachekit/cachekit/store"
)

// Benchmarks compare the Store with raw go-redis on the same server and the same client (so pool and
// timeouts are equal): sub-benchmarks impl=raw and impl=cachekit. Keys are about 30 bytes, values 200.
//
//	go test ./store/redis -run '^$' -bench . -benchmem -count 3

type benchEnv struct {
	ctx    context.Context
	client *goredis.Client
	s      *Store
	keys   []string
	value  []byte
}

func newBenchEnv(b *testing.B, n int) *benchEnv {
	b.Helper()
	srv := redistest.Standalone(b)
	client := goredis.NewClient(&goredis.Options{Addr: srv.Addr})
	s, err := New(client, Options{CloseClient: true})
	if err != nil {
		b.Fatal(err)
	}
	e := &benchEnv{ctx: context.Background(), client: client, s: s, value: bytes.Repeat([]byte("v"), 200)}
	ns := redistest.Namespace(b)[:9] // "t" + 8 hex: keys like "t1a2b3c4d:v1:ticker:QRL/USDT:042", 32 bytes
	items := make([]store.Item, n)
	for i := range n {
		e.keys = append(e.keys, fmt.Sprintf("%s:v1:ticker:QRL/USDT:%03d", ns, i))
		items[i] = store.Item{Key: e.keys[i], Value: e.value, TTL: time.Hour}
	}
	if err := s.SetMany(e.ctx, items); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		_, _ = s.DeletePattern(context.Background(), ns+":v1:*")
		_ = s.Close()
	})
	return e
}

func BenchmarkGet(b *testing.B) {
	e := newBenchEnv(b, 1)
	k := e.keys[0]
	b.Run("impl=raw", func(b *testing.B) {
		for b.Loop() {
			if v, err := e.client.Get(e.ctx, k).Bytes(); err != nil || len(v) != 200 {
				b.Fatal(err)
			}
		}
	})
	b.Run("impl=cachekit", func(b *testing.B) {
		for b.Loop() {
			if v, err := e.s.Get(e.ctx, k); err != nil || len(v) != 200 {
				b.Fatal(err)
			}
		}
	})
	// A lone caller on the auto-pipeliner: what Options.AutoPipeline costs without concurrency.
	auto, err := New(e.client, Options{AutoPipeline: true})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("impl=cachekit-autopipeline", func(b *testing.B) {
		for b.Loop() {
			if v, err := auto.Get(e.ctx, k); err != nil || len(v) != 200 {
				b.Fatal(err)
			}
		}
	})
	blocking, err := e.client.AutoPipeline()
	if err != nil {
		b.Fatal(err)
	}
	b.Run("impl=raw-autopipeline", func(b *testing.B) {
		for b.Loop() {
			if v, err := blocking.Get(e.ctx, k).Bytes(); err != nil || len(v) != 200 {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkSet(b *testing.B) {
	e := newBenchEnv(b, 1)
	k := e.keys[0]
	b.Run("impl=raw", func(b *testing.B) {
		for b.Loop() {
			if err := e.client.Set(e.ctx, k, e.value, time.Hour).Err(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("impl=cachekit", func(b *testing.B) {
		for b.Loop() {
			if err := e.s.Set(e.ctx, k, e.value, time.Hour); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkGetMany100(b *testing.B) {
	e := newBenchEnv(b, 100)
	b.Run("impl=raw", func(b *testing.B) { // one MGET, values as go-redis returns them
		for b.Loop() {
			if vs, err := e.client.MGet(e.ctx, e.keys...).Result(); err != nil || len(vs) != 100 {
				b.Fatal(err)
			}
		}
	})
	b.Run("impl=cachekit", func(b *testing.B) {
		for b.Loop() {
			if m, err := e.s.GetMany(e.ctx, e.keys); err != nil || len(m) != 100 {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkGetParallel is Get from 50 goroutines (SetParallelism(25) at GOMAXPROCS=2; run with -cpu 2):
// the plain client and Store, the Store with Options.AutoPipeline (go-redis' deferred auto-pipeliner,
// awaited with the caller's context), and go-redis' own auto-pipeliners used directly: the blocking
// face (Client.AutoPipeline, which ignores the caller's context once a command is queued) and the
// deferred face the Store uses.
func BenchmarkGetParallel(b *testing.B) {
	e := newBenchEnv(b, 1)
	k := e.keys[0]
	auto, err := New(e.client, Options{AutoPipeline: true}) // shares the client and its auto-pipeliner
	if err != nil {
		b.Fatal(err)
	}
	blocking, err := e.client.AutoPipeline()
	if err != nil {
		b.Fatal(err)
	}
	deferred, err := e.client.AsyncAutoPipeline()
	if err != nil {
		b.Fatal(err)
	}
	get := map[string]func() ([]byte, error){
		"raw":                   func() ([]byte, error) { return e.client.Get(e.ctx, k).Bytes() },
		"cachekit":              func() ([]byte, error) { return e.s.Get(e.ctx, k) },
		"cachekit-autopipeline": func() ([]byte, error) { return auto.Get(e.ctx, k) },
		"raw-autopipeline":      func() ([]byte, error) { return blocking.Get(e.ctx, k).Bytes() },
		"raw-asyncautopipeline": func() ([]byte, error) { return deferred.Get(e.ctx, k).Bytes() },
	}
	for _, impl := range []string{"raw", "cachekit", "cachekit-autopipeline", "raw-autopipeline", "raw-asyncautopipeline"} {
		b.Run("impl="+impl, func(b *testing.B) {
			b.SetParallelism(25)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if v, err := get[impl](); err != nil || len(v) != 200 {
						b.Errorf("Get = %d bytes, %v", len(v), err)
						return
					}
				}
			})
		})
	}
}

// BenchmarkGetBreaker measures what the circuit breaker's hook and the call budget's deadline cost on a
// GET hit, against the same Store without them (each on a client of its own, same server):
//
//	go test ./store/redis -run '^$' -bench GetBreaker -benchmem -count 6
func BenchmarkGetBreaker(b *testing.B) {
	srv := redistest.Dedicated(b) // a loopback process: less noise than a container's port proxy
	ctx := context.Background()
	k, value := "bench:v1:breaker", bytes.Repeat([]byte("v"), 200)
	for _, c := range []struct {
		name string
		opts Options
	}{
		{"breaker=off,budget=off", Options{BreakerFailures: -1, CallTimeout: -1}},
		{"breaker=on,budget=off", Options{CallTimeout: -1}},
		{"breaker=on,budget=on", Options{}},
	} {
		client := goredis.NewClient(&goredis.Options{Addr: srv.Addr})
		c.opts.CloseClient = true
		s, err := New(client, c.opts)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = s.Close() })
		if err := s.Set(ctx, k, value, time.Hour); err != nil {
			b.Fatal(err)
		}
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if v, err := s.Get(ctx, k); err != nil || len(v) != 200 {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkBreakerHook isolates the breaker hook's own cost per command (admission, the nesting mark,
// judging the outcome), around a next that does nothing, against calling next directly.
func BenchmarkBreakerHook(b *testing.B) {
	bs := newBreakerSet(DefaultBreakerFailures, DefaultBreakerProbe)
	defer bs.close()
	hook := breakerHook{bs.breakerFor("bench", &goredis.Options{Addr: "bench"})}
	next := func(context.Context, goredis.Cmder) error { return nil }
	ctx := context.Background()
	cmd := goredis.NewStringCmd(ctx, "get", "k")
	b.Run("hook=off", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = next(ctx, cmd)
		}
	})
	wrapped := hook.ProcessHook(next)
	b.Run("hook=on", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = wrapped(ctx, cmd)
		}
	})
}
