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
