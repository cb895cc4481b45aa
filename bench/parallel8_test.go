package bench

// Hot-path throughput from exactly 8 goroutines: memory Get hits and tiered L1 hits beside raw
// ristretto and otter. ns/op is wall time divided by the operations of all goroutines (as b.RunParallel
// reports it), so it is the inverse of throughput.
//
// b.RunParallel is not used: it starts SetParallelism(p) × GOMAXPROCS goroutines, so 8 goroutines exist
// only when GOMAXPROCS divides 8, and never under -cpu 3 or 5. runGoroutines starts exactly 8 whatever
// GOMAXPROCS is, and hands out work as RunParallel does (batches taken from one shared counter), so a
// goroutine that is descheduled does not leave the others idle at the end.

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
)

// goroutines8 is the number of goroutines of the *GetParallel8 benchmarks.
const goroutines8 = 8

// opBatch is how many operations a goroutine takes from the shared counter at a time: enough that the
// counter is not the contended part, few enough that the goroutines finish together.
const opBatch = 64

// runGoroutines runs op b.N times in all from exactly n goroutines, timing from the moment all n are
// started until the last one finishes. op gets the operation's index (0 ≤ i < b.N, each once) and
// returns false to stop the benchmark after a failure it has reported.
func runGoroutines(b *testing.B, n int, op func(i int) bool) {
	var (
		next    atomic.Int64
		failed  atomic.Bool
		started sync.WaitGroup
		done    sync.WaitGroup
	)
	total := int64(b.N)
	release := make(chan struct{})
	started.Add(n)
	for range n {
		done.Go(func() {
			started.Done()
			<-release
			for !failed.Load() {
				hi := next.Add(opBatch)
				lo := hi - opBatch
				if lo >= total {
					return
				}
				for i := lo; i < min(hi, total); i++ {
					if !op(int(i)) {
						failed.Store(true)
						return
					}
				}
			}
		})
	}
	started.Wait()
	b.ReportAllocs()
	b.ResetTimer()
	close(release)
	done.Wait()
	b.StopTimer()
}

// hotKey spreads operation i over keys (len a power of two) in an order no two goroutines share: 7919
// is odd, so i ↦ i·7919 mod len is a permutation.
func hotKey(keys []string, i int) string { return keys[(i*7919)&(len(keys)-1)] }

// parallelImpls are the *GetParallel8 implementations in column order: raw ristretto (the baseline),
// raw with the copy the Store contract requires, otter (reference), cachekit's Get (a copy) and View
// (zero-copy, what the Cache uses).
var parallelImpls = []string{"raw", "raw+copy", "otter", "cachekit", "cachekit-view"}

// parallelBaseline returns op for runGoroutines over a filled cache of impl (raw, raw+copy, otter), or
// nil when impl is cachekit's.
func parallelBaseline(b *testing.B, impl string, keys []string) func(i int) bool {
	switch impl {
	case "raw", "raw+copy":
		c := newRistretto(b)
		fillRistretto(b, c, keys, tickerBytes)
		copyValue := impl == "raw+copy"
		return func(i int) bool {
			v, ok := c.Get(hotKey(keys, i))
			if !ok || len(v) == 0 {
				b.Error("raw ristretto: miss")
				return false
			}
			if copyValue {
				_ = copyBytes(v) // heap-allocated in copyBytes, as cachekit's copy is
			}
			return true
		}
	case "otter":
		c := newOtter(b)
		fillOtter(b, c, keys, tickerBytes)
		return func(i int) bool {
			if v, ok := c.GetIfPresent(hotKey(keys, i)); !ok || len(v) == 0 {
				b.Error("otter: miss")
				return false
			}
			return true
		}
	}
	return nil
}

// copyBytes is the copy the Store contract makes a Get return; not inlined, so that the copy escapes as
// cachekit's does and the compiler cannot drop or stack-allocate it.
//
//go:noinline
func copyBytes(v []byte) []byte { return append([]byte(nil), v...) }

// errEmpty reports a hit whose value is empty (the benchmarks store a non-empty ticker).
var errEmpty = errors.New("empty value")

// viewer is the zero-copy read both the memory and the tiered Store offer (store.Viewer).
type viewer interface {
	View(ctx context.Context, key string, fn func(value []byte) error) error
}

// getter is the copying read.
type getter interface {
	Get(ctx context.Context, key string) ([]byte, error)
}

// cachekitOp returns op for runGoroutines reading s with Get (copy) or, for impl cachekit-view, View.
func cachekitOp(b *testing.B, impl string, s interface {
	getter
	viewer
}) func(i int) bool {
	ctx := context.Background()
	keys := fullKeys("ticker", memKeys)
	if impl == "cachekit-view" {
		check := func(v []byte) error {
			if len(v) == 0 {
				return errEmpty
			}
			return nil
		}
		return func(i int) bool {
			if err := s.View(ctx, hotKey(keys, i), check); err != nil {
				b.Error(err)
				return false
			}
			return true
		}
	}
	return func(i int) bool {
		if v, err := s.Get(ctx, hotKey(keys, i)); err != nil || len(v) == 0 {
			b.Errorf("get: %d bytes, %v", len(v), err)
			return false
		}
		return true
	}
}

// BenchmarkMemoryGetParallel8 is memory-backend Get hits of 1,024 tickers from exactly 8 goroutines.
func BenchmarkMemoryGetParallel8(b *testing.B) {
	keys := fullKeys("ticker", memKeys)
	for _, impl := range parallelImpls {
		b.Run("impl="+impl, func(b *testing.B) {
			op := parallelBaseline(b, impl, keys)
			if op == nil {
				s := newMemory(b)
				fillMemory(b, s, keys, tickerBytes)
				op = cachekitOp(b, impl, s)
			}
			runGoroutines(b, goroutines8, op)
		})
	}
}

// BenchmarkTieredGetParallel8 is tiered(memory, redis) L1 hits of 1,024 tickers from exactly 8
// goroutines, beside the same in-process baselines (which never touch Redis). Needs the standalone
// server.
func BenchmarkTieredGetParallel8(b *testing.B) {
	client := newClient(b)
	purgeAtCleanup(b, client, namespace+":*")
	keys := fullKeys("ticker", memKeys)
	for _, impl := range parallelImpls {
		b.Run("impl="+impl, func(b *testing.B) {
			op := parallelBaseline(b, impl, keys)
			if op == nil {
				s := newTiered(b, client)
				fillTiered(b, s, keys)
				op = cachekitOp(b, impl, s)
			}
			runGoroutines(b, goroutines8, op)
		})
	}
}
