package bench

// The memory backend beside raw ristretto v2 configured as the backend configures it (MaxCost,
// NumCounters, BufferItems, IgnoreInternalCost, cost = len(key)+len(value), metrics off). Raw Get
// returns ristretto's own slice and raw Set keeps the caller's; the Store contract makes cachekit copy
// both ways, so impl=raw+copy adds that copy to raw Get (the allocation the contract costs), and to raw
// Set. impl=otter is otter v2 under the same budget and TTL, a reference peer (otter_test.go).

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/dgraph-io/ristretto/v2"

	"github.com/cachekit/cachekit/store/memory"
)

const memKeys = 1024 // keys read by the Get benchmarks (a power of two)

// newRistretto returns the raw baseline, closed at cleanup.
func newRistretto(tb testing.TB) *ristretto.Cache[string, []byte] {
	tb.Helper()
	c := openRistretto(tb)
	tb.Cleanup(c.Close)
	return c
}

// openRistretto returns the raw baseline; the caller closes it.
func openRistretto(tb testing.TB) *ristretto.Cache[string, []byte] {
	tb.Helper()
	c, err := ristretto.NewCache(&ristretto.Config[string, []byte]{
		NumCounters: memCounters, MaxCost: memMaxBytes, BufferItems: memBuffer, IgnoreInternalCost: true,
	})
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// newMemory returns the memory backend with the baseline's settings, closed at cleanup.
func newMemory(tb testing.TB) *memory.Store {
	tb.Helper()
	s := openMemory(tb)
	tb.Cleanup(func() { _ = s.Close() })
	return s
}

// openMemory returns the memory backend with the baseline's settings; the caller closes it.
func openMemory(tb testing.TB) *memory.Store {
	tb.Helper()
	s, err := memory.New(memory.Options{MaxBytes: memMaxBytes, NumCounters: memCounters, BufferItems: memBuffer})
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

func cost(key string, v []byte) int64 { return int64(len(key) + len(v)) }

// fillRistretto stores value under keys and checks that every one is visible before timing starts.
func fillRistretto(tb testing.TB, c *ristretto.Cache[string, []byte], keys []string, value []byte) {
	tb.Helper()
	for _, k := range keys {
		c.SetWithTTL(k, value, cost(k, value), remoteTTL)
	}
	c.Wait()
	for _, k := range keys {
		if _, ok := c.Get(k); !ok {
			tb.Fatalf("raw ristretto refused %s", k)
		}
	}
}

func fillMemory(tb testing.TB, s *memory.Store, keys []string, value []byte) {
	tb.Helper()
	ctx := context.Background()
	for _, k := range keys {
		if err := s.Set(ctx, k, value, remoteTTL); err != nil {
			tb.Fatal(err)
		}
	}
}

var sinkBytes []byte

func BenchmarkMemoryGet(b *testing.B) {
	keys := fullKeys("ticker", memKeys)
	for _, val := range values {
		value := *val.data
		b.Run("value="+val.name+"/impl=raw", func(b *testing.B) {
			c := newRistretto(b)
			fillRistretto(b, c, keys, value)
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				v, ok := c.Get(keys[i&(memKeys-1)])
				if !ok {
					b.Fatal("miss")
				}
				sinkBytes = v
			}
		})
		b.Run("value="+val.name+"/impl=raw+copy", func(b *testing.B) {
			c := newRistretto(b)
			fillRistretto(b, c, keys, value)
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				v, ok := c.Get(keys[i&(memKeys-1)])
				if !ok {
					b.Fatal("miss")
				}
				sinkBytes = append([]byte(nil), v...)
			}
		})
		b.Run("value="+val.name+"/impl=cachekit", func(b *testing.B) {
			s := newMemory(b)
			fillMemory(b, s, keys, value)
			ctx := context.Background()
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				v, err := s.Get(ctx, keys[i&(memKeys-1)])
				if err != nil {
					b.Fatal(err)
				}
				sinkBytes = v
			}
		})
		// The zero-copy read the Cache uses (store.Viewer): what a hit costs when no copy is owed.
		b.Run("value="+val.name+"/impl=cachekit-view", func(b *testing.B) {
			s := newMemory(b)
			fillMemory(b, s, keys, value)
			ctx := context.Background()
			n := 0
			count := func(v []byte) error { n += len(v); return nil }
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				if err := s.View(ctx, keys[i&(memKeys-1)], count); err != nil {
					b.Fatal(err)
				}
			}
			sinkInt = n
		})
		// otter v2, a peer of ristretto (reference only): its Get returns its own slice, as raw does.
		b.Run("value="+val.name+"/impl=otter", func(b *testing.B) {
			c := newOtter(b)
			fillOtter(b, c, keys, value)
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				v, ok := c.GetIfPresent(keys[i&(memKeys-1)])
				if !ok {
					b.Fatal("miss")
				}
				sinkBytes = v
			}
		})
	}
}

var sinkInt int

// setRound is how many new keys a Set benchmark writes into one cache before it replaces it by a fresh
// one (timer stopped): every Set is of a new key, and the cache never fills (a full cache would measure
// eviction and admission, not Set).
const setRound = 1 << 16

func BenchmarkMemorySet(b *testing.B) {
	keys := fullKeys("ticker", setRound)
	value := tickerBytes
	raw := func(b *testing.B, copyValue, wait bool) {
		c := openRistretto(b)
		defer func() { c.Close() }()
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if i > 0 && i%setRound == 0 {
				b.StopTimer()
				c.Close()
				c = openRistretto(b)
				b.StartTimer()
			}
			k := keys[i%setRound]
			v := value
			if copyValue {
				v = append([]byte(nil), value...)
			}
			c.SetWithTTL(k, v, cost(k, v), remoteTTL)
			if wait {
				c.Wait()
			}
		}
	}
	b.Run("impl=raw", func(b *testing.B) { raw(b, false, false) })
	// raw+wait is read-your-writes the simple way: a Wait after every Set. It is the baseline that keeps
	// the guarantee cachekit's Set gives; raw does not keep it (a Get right after may miss).
	b.Run("impl=raw+wait", func(b *testing.B) { raw(b, false, true) })
	// raw+copy stores a copy of the caller's bytes, which the Store contract requires (the caller may
	// reuse its buffer): it isolates that copy from the rest of cachekit's Set.
	b.Run("impl=raw+copy", func(b *testing.B) { raw(b, true, false) })
	b.Run("impl=cachekit", func(b *testing.B) {
		ctx := context.Background()
		s := openMemory(b)
		defer func() { _ = s.Close() }()
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if i > 0 && i%setRound == 0 {
				b.StopTimer()
				_ = s.Close()
				s = openMemory(b)
				b.StartTimer()
			}
			if err := s.Set(ctx, keys[i%setRound], value, remoteTTL); err != nil {
				b.Fatal(err)
			}
		}
	})
	// otter v2 (reference only): a synchronous Set, so read-your-writes holds as it does for cachekit.
	b.Run("impl=otter", func(b *testing.B) {
		c := openOtter(b)
		defer func() { c.StopAllGoroutines() }()
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if i > 0 && i%setRound == 0 {
				b.StopTimer()
				c.StopAllGoroutines()
				c = openOtter(b)
				b.StartTimer()
			}
			c.Set(keys[i%setRound], value)
		}
	})
}

func BenchmarkMemoryGetMany100(b *testing.B) {
	const n = 100
	keys := fullKeys("ticker", memKeys)
	b.Run("impl=raw", func(b *testing.B) {
		c := newRistretto(b)
		fillRistretto(b, c, keys, tickerBytes)
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			off := (i * n) % (memKeys - n)
			m := make(map[string][]byte, n)
			for _, k := range keys[off : off+n] {
				if v, ok := c.Get(k); ok {
					m[k] = v
				}
			}
			if len(m) != n {
				b.Fatalf("%d hits of %d", len(m), n)
			}
		}
	})
	b.Run("impl=cachekit", func(b *testing.B) {
		s := newMemory(b)
		fillMemory(b, s, keys, tickerBytes)
		ctx := context.Background()
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			off := (i * n) % (memKeys - n)
			m, err := s.GetMany(ctx, keys[off:off+n])
			if err != nil || len(m) != n {
				b.Fatalf("%d hits of %d: %v", len(m), n, err)
			}
		}
	})
}

func BenchmarkMemoryGetParallel(b *testing.B) {
	keys := fullKeys("ticker", memKeys)
	b.Run("impl=raw", func(b *testing.B) {
		c := newRistretto(b)
		fillRistretto(b, c, keys, tickerBytes)
		var seq atomic.Int64
		b.ReportAllocs()
		b.ResetTimer() // the function is timed from its start, setup included
		b.RunParallel(func(pb *testing.PB) {
			i := int(seq.Add(1)) * 7919
			for ; pb.Next(); i++ {
				if _, ok := c.Get(keys[i&(memKeys-1)]); !ok {
					b.Error("miss")
					return
				}
			}
		})
	})
	b.Run("impl=cachekit", func(b *testing.B) {
		s := newMemory(b)
		fillMemory(b, s, keys, tickerBytes)
		ctx := context.Background()
		var seq atomic.Int64
		b.ReportAllocs()
		b.ResetTimer() // the function is timed from its start, setup included
		b.RunParallel(func(pb *testing.PB) {
			i := int(seq.Add(1)) * 7919
			for ; pb.Next(); i++ {
				if _, err := s.Get(ctx, keys[i&(memKeys-1)]); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}
