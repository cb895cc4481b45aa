package memory_test

// Benchmarks of the memory backend beside raw ristretto v2 with the same keys, values and configuration,
// as sub-benchmarks impl=raw / impl=cachekit (plus reference variants), so that `benchstat -col /impl`
// prints the ratios. Interleave runs rather than using -count:
//
//	go test -c -o mem.test ./store/memory
//	for i in 1 2 3 4 5 6; do ./mem.test -test.run '^$' -test.bench . -test.benchmem; done > new.txt
//	benchstat -col /impl new.txt
//
// raw is ristretto.Cache[string, []byte] with the store's settings (MaxCost = MaxBytes, the same
// NumCounters and BufferItems, IgnoreInternalCost, Metrics off, cost = len(key)+len(value)). raw Get
// returns ristretto's internal slice and raw Set stores the caller's slice; the Store contract makes
// cachekit copy both ways, so raw+copy adds that copy to raw, and cachekit+view copies the bytes View
// lends into a reused buffer, to show the store's overhead without the allocation Get's copy needs.

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dgraph-io/ristretto/v2"

	"github.com/cachekit/cachekit/store/memory"
)

const (
	benchMaxBytes = 64 << 20
	benchCounters = benchMaxBytes / 256 * 10
	benchTTL      = time.Hour
	benchKeys     = 1024
)

// benchValue is a ~200-byte ticker as the JSON codec would store it.
var benchValue = []byte(`{"symbol":"QRL/USDT","last":"0.00123456","bid":"0.00123400","ask":"0.00123500",` +
	`"high":"0.00130000","low":"0.00120000","volume":"1234567.89","quote_volume":"1523.45","ts":1732650000123}`)

// benchKey returns the i-th ~30-byte key, "qrl:v1:ticker:QRL/USDT" style.
func benchKey(i int) string { return fmt.Sprintf("qrl:v1:ticker:S%04d/USDT", i) }

func benchKeyList(n, offset int) []string {
	keys := make([]string, n)
	for i := range keys {
		keys[i] = benchKey(offset + i)
	}
	return keys
}

func newRaw(b testing.TB) *ristretto.Cache[string, []byte] {
	c, err := ristretto.NewCache(&ristretto.Config[string, []byte]{
		NumCounters:        benchCounters,
		MaxCost:            benchMaxBytes,
		BufferItems:        64,
		IgnoreInternalCost: true,
	})
	if err != nil {
		b.Fatal(err)
	}
	return c
}

func newKit(b testing.TB) *memory.Store {
	s, err := memory.New(memory.Options{MaxBytes: benchMaxBytes, NumCounters: benchCounters, BufferItems: 64})
	if err != nil {
		b.Fatal(err)
	}
	return s
}

func rawCost(key string, v []byte) int64 { return int64(len(key) + len(v)) }

// fillRaw and fillKit store keys and make sure they are visible before timing starts.
func fillRaw(b *testing.B, c *ristretto.Cache[string, []byte], keys []string) {
	for _, k := range keys {
		c.SetWithTTL(k, benchValue, rawCost(k, benchValue), benchTTL)
	}
	c.Wait()
	for _, k := range keys {
		if _, ok := c.Get(k); !ok {
			b.Fatalf("raw: %s not stored", k)
		}
	}
}

func fillKit(b *testing.B, s *memory.Store, keys []string) {
	ctx := context.Background()
	for _, k := range keys {
		if err := s.Set(ctx, k, benchValue, benchTTL); err != nil {
			b.Fatal(err)
		}
	}
}

var sink []byte

func BenchmarkGetHit(b *testing.B) {
	keys := benchKeyList(benchKeys, 0)
	b.Run("impl=raw", func(b *testing.B) {
		c := newRaw(b)
		defer c.Close()
		fillRaw(b, c, keys)
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			v, ok := c.Get(keys[i&(benchKeys-1)])
			if !ok {
				b.Fatal("miss")
			}
			sink = v
		}
	})
	// raw+copy is raw followed by the copy the Store contract requires (the caller owns the result).
	b.Run("impl=raw+copy", func(b *testing.B) {
		c := newRaw(b)
		defer c.Close()
		fillRaw(b, c, keys)
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			v, ok := c.Get(keys[i&(benchKeys-1)])
			if !ok {
				b.Fatal("miss")
			}
			sink = append([]byte(nil), v...)
		}
	})
	b.Run("impl=cachekit", func(b *testing.B) {
		s := newKit(b)
		defer s.Close()
		fillKit(b, s, keys)
		ctx := context.Background()
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			v, err := s.Get(ctx, keys[i&(benchKeys-1)])
			if err != nil {
				b.Fatal(err)
			}
			sink = v
		}
	})
	// cachekit+view copies what View lends into a reused buffer: the store's overhead without the
	// allocation of Get's copy.
	b.Run("impl=cachekit+view", func(b *testing.B) {
		s := newKit(b)
		defer s.Close()
		fillKit(b, s, keys)
		ctx := context.Background()
		buf := make([]byte, 0, 512)
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			err := s.View(ctx, keys[i&(benchKeys-1)], func(v []byte) error { buf = append(buf[:0], v...); return nil })
			if err != nil {
				b.Fatal(err)
			}
			sink = buf
		}
	})
}

func BenchmarkGetHitParallel(b *testing.B) {
	keys := benchKeyList(benchKeys, 0)
	b.Run("impl=raw", func(b *testing.B) {
		c := newRaw(b)
		defer c.Close()
		fillRaw(b, c, keys)
		var seq atomic.Int64
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			i := int(seq.Add(1)) * 7919
			for pb.Next() {
				if _, ok := c.Get(keys[i&(benchKeys-1)]); !ok {
					b.Error("miss")
					return
				}
				i++
			}
		})
	})
	b.Run("impl=cachekit", func(b *testing.B) {
		s := newKit(b)
		defer s.Close()
		fillKit(b, s, keys)
		ctx := context.Background()
		var seq atomic.Int64
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			i := int(seq.Add(1)) * 7919
			for pb.Next() {
				if _, err := s.Get(ctx, keys[i&(benchKeys-1)]); err != nil {
					b.Error(err)
					return
				}
				i++
			}
		})
	})
	b.Run("impl=cachekit+view", func(b *testing.B) {
		s := newKit(b)
		defer s.Close()
		fillKit(b, s, keys)
		ctx := context.Background()
		var seq atomic.Int64
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			i := int(seq.Add(1)) * 7919
			buf := make([]byte, 0, 512)
			copyOut := func(v []byte) error { buf = append(buf[:0], v...); return nil }
			for pb.Next() {
				if err := s.View(ctx, keys[i&(benchKeys-1)], copyOut); err != nil {
					b.Error(err)
					return
				}
				i++
			}
		})
	})
}

// setRound is how many new keys a Set benchmark writes into one cache before it starts a fresh one
// (timer stopped), so that every Set is of a new key and the cache never fills: a full cache measures
// eviction, not Set (BenchmarkSetNewKeyFull does that).
const setRound = 1 << 16

func BenchmarkSetNewKey(b *testing.B) {
	keys := benchKeyList(setRound, 0)
	rawLoop := func(b *testing.B, wait, copyValue bool) {
		c := newRaw(b)
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if i > 0 && i%setRound == 0 {
				b.StopTimer()
				c.Close()
				c = newRaw(b)
				b.StartTimer()
			}
			k := keys[i%setRound]
			v := benchValue
			if copyValue {
				v = append([]byte(nil), v...)
			}
			c.SetWithTTL(k, v, rawCost(k, v), benchTTL)
			if wait {
				c.Wait()
			}
		}
		b.StopTimer()
		c.Close()
	}
	b.Run("impl=raw", func(b *testing.B) { rawLoop(b, false, false) })
	// raw+copy copies the value first, as the Store contract requires (the caller may reuse its slice).
	b.Run("impl=raw+copy", func(b *testing.B) { rawLoop(b, false, true) })
	// raw+wait is read-your-writes the simple way: a Wait after every Set.
	b.Run("impl=raw+wait", func(b *testing.B) { rawLoop(b, true, false) })
	b.Run("impl=cachekit", func(b *testing.B) {
		ctx := context.Background()
		s := newKit(b)
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if i > 0 && i%setRound == 0 {
				b.StopTimer()
				s.Close()
				s = newKit(b)
				b.StartTimer()
			}
			if err := s.Set(ctx, keys[i%setRound], benchValue, benchTTL); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		s.Close()
	})
}

// BenchmarkSetNewKeyFull writes new keys into a full cache (1 MiB budget, ~4,500 entries), the steady
// state of a busy cache: every Set needs TinyLFU's admission, so cachekit waits for ristretto to learn
// whether the value was admitted (raw does not learn it at all).
func BenchmarkSetNewKeyFull(b *testing.B) {
	const small = 1 << 20
	keys := benchKeyList(setRound, 0)
	b.Run("impl=raw", func(b *testing.B) {
		c, err := ristretto.NewCache(&ristretto.Config[string, []byte]{
			NumCounters: small / 256 * 10, MaxCost: small, BufferItems: 64, IgnoreInternalCost: true,
		})
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			k := keys[i%setRound]
			c.SetWithTTL(k, benchValue, rawCost(k, benchValue), benchTTL)
		}
	})
	b.Run("impl=cachekit", func(b *testing.B) {
		ctx := context.Background()
		s, err := memory.New(memory.Options{MaxBytes: small})
		if err != nil {
			b.Fatal(err)
		}
		defer s.Close()
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			_ = s.Set(ctx, keys[i%setRound], benchValue, benchTTL) // refusals are part of the workload
		}
	})
}

func BenchmarkGetMany100(b *testing.B) {
	keys := benchKeyList(benchKeys, 0)
	const n = 100
	b.Run("impl=raw", func(b *testing.B) {
		c := newRaw(b)
		defer c.Close()
		fillRaw(b, c, keys)
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			off := (i * n) % (benchKeys - n)
			batch := keys[off : off+n]
			m := make(map[string][]byte, len(batch))
			for _, k := range batch {
				if v, ok := c.Get(k); ok {
					m[k] = v
				}
			}
			if len(m) != len(batch) {
				b.Fatal("miss")
			}
		}
	})
	b.Run("impl=cachekit", func(b *testing.B) {
		s := newKit(b)
		defer s.Close()
		fillKit(b, s, keys)
		ctx := context.Background()
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			off := (i * n) % (benchKeys - n)
			batch := keys[off : off+n]
			m, err := s.GetMany(ctx, batch)
			if err != nil || len(m) != len(batch) {
				b.Fatal("miss", err)
			}
		}
	})
}
