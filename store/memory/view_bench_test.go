package memory_test

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/cachekit/cachekit/store/memory"
)

// BenchmarkViewHit is a read that only looks at the bytes, beside raw ristretto: View lends the stored
// bytes (no copy), so unlike Get it is comparable to raw directly.
func BenchmarkViewHit(b *testing.B) {
	keys := benchKeyList(benchKeys, 0)
	b.Run("impl=raw", func(b *testing.B) {
		c := newRaw(b)
		defer c.Close()
		fillRaw(b, c, keys)
		n := 0
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			v, ok := c.Get(keys[i&(benchKeys-1)])
			if !ok {
				b.Fatal("miss")
			}
			n += len(v)
		}
	})
	b.Run("impl=cachekit", func(b *testing.B) {
		s := newKit(b)
		defer s.Close()
		fillKit(b, s, keys)
		ctx := context.Background()
		n := 0
		fn := func(v []byte) error { n += len(v); return nil }
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if err := s.View(ctx, keys[i&(benchKeys-1)], fn); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkStatsCost measures what hit counting costs a read (View, which adds nothing else to
// ristretto's Get): stats=on is the store as shipped, stats=off the same store with counting turned off.
// `benchstat -col /stats` prints the ratio. The parallel variant reads one hot key from every
// goroutine, the worst case for a shared counter.
func BenchmarkStatsCost(b *testing.B) {
	keys := benchKeyList(benchKeys, 0)
	open := func(b *testing.B, counting bool) *memory.Store {
		s := newKit(b)
		if !counting {
			memory.StopCounting(s)
		}
		fillKit(b, s, keys)
		return s
	}
	for _, mode := range []struct {
		name     string
		counting bool
	}{{"stats=on", true}, {"stats=off", false}} {
		b.Run("serial/"+mode.name, func(b *testing.B) {
			s := open(b, mode.counting)
			defer s.Close()
			ctx := context.Background()
			fn := func([]byte) error { return nil }
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				if err := s.View(ctx, keys[i&(benchKeys-1)], fn); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("parallel-hot/"+mode.name, func(b *testing.B) {
			s := open(b, mode.counting)
			defer s.Close()
			ctx := context.Background()
			fn := func([]byte) error { return nil }
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := s.View(ctx, keys[0], fn); err != nil {
						panic(err)
					}
				}
			})
		})
		b.Run("parallel/"+mode.name, func(b *testing.B) {
			s := open(b, mode.counting)
			defer s.Close()
			ctx := context.Background()
			var seq atomic.Int64
			fn := func([]byte) error { return nil }
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				i := int(seq.Add(1)) * 7919
				for pb.Next() {
					if err := s.View(ctx, keys[i&(benchKeys-1)], fn); err != nil {
						panic(err)
					}
					i++
				}
			})
		})
	}
}
