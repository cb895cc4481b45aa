package memory_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/cachekit/cachekit/store"
	"github.com/cachekit/cachekit/store/memory"
)

const hour = time.Hour

func newStore(t *testing.T, o memory.Options) *memory.Store {
	t.Helper()
	s, err := memory.New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// settle makes the store apply every pending write (Stats drains the overlay first), so a test can
// check that what Get answered before settling is what ristretto ended up holding.
func settle(t *testing.T, s *memory.Store) {
	t.Helper()
	if _, err := s.Stats(t.Context()); err != nil {
		t.Fatal(err)
	}
}

func mustGet(t *testing.T, s *memory.Store, key string, want []byte) {
	t.Helper()
	got, err := s.Get(t.Context(), key)
	if err != nil {
		t.Fatalf("Get(%q): %v; want %q", key, err, want)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("Get(%q) = %q; want %q", key, got, want)
	}
}

func mustMiss(t *testing.T, s *memory.Store, key string) {
	t.Helper()
	got, err := s.Get(t.Context(), key)
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Get(%q) = %q, %v; want ErrNotFound", key, got, err)
	}
}

func mustSet(t *testing.T, s *memory.Store, key string, v []byte) {
	t.Helper()
	if err := s.Set(t.Context(), key, v, hour); err != nil {
		t.Fatalf("Set(%q): %v", key, err)
	}
}

// ristretto keeps the FIRST of two Sets of a new key made before it applies them; the store must make
// the second win, both right away and after ristretto has applied both.
func TestDoubleSetOfNewKeyKeepsSecond(t *testing.T) {
	s := newStore(t, memory.Options{})
	for i := range 2000 {
		k := fmt.Sprintf("qrl:v1:ticker:D%d/USDT", i)
		mustSet(t, s, k, []byte("first"))
		mustSet(t, s, k, []byte("second"))
		mustGet(t, s, k, []byte("second"))
	}
	settle(t, s)
	for i := range 2000 {
		mustGet(t, s, fmt.Sprintf("qrl:v1:ticker:D%d/USDT", i), []byte("second"))
	}
}

// Set then Get from many goroutines at once, each on its own keys, with some keys written twice and
// some deleted: every Get sees the goroutine's own last write.
func TestReadYourWritesUnderConcurrency(t *testing.T) {
	s := newStore(t, memory.Options{})
	ctx := t.Context()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Go(func() {
			for i := range 1500 {
				k := fmt.Sprintf("g%d:k%d", g, i)
				v := fmt.Appendf(nil, "v%d-%d", g, i)
				if err := s.Set(ctx, k, []byte("older"), hour); err != nil {
					errs <- err
					return
				}
				if err := s.Set(ctx, k, v, hour); err != nil {
					errs <- err
					return
				}
				got, err := s.Get(ctx, k)
				if err != nil || !bytes.Equal(got, v) {
					errs <- fmt.Errorf("Get(%q) after Set = %q, %v; want %q", k, got, err, v)
					return
				}
				if i%3 == 0 {
					if n, err := s.Delete(ctx, k); err != nil || n != 1 {
						errs <- fmt.Errorf("Delete(%q) = %d, %v; want 1", k, n, err)
						return
					}
					if _, err := s.Get(ctx, k); !errors.Is(err, store.ErrNotFound) {
						errs <- fmt.Errorf("Get(%q) after Delete: %v; want ErrNotFound", k, err)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	settle(t, s)
	for g := range 8 {
		for i := range 1500 {
			k := fmt.Sprintf("g%d:k%d", g, i)
			if i%3 == 0 {
				mustMiss(t, s, k)
			} else {
				mustGet(t, s, k, fmt.Appendf(nil, "v%d-%d", g, i))
			}
		}
	}
}

// Concurrent Sets of one key end with one of the written values, and every later Get agrees on it,
// before and after ristretto has applied all of them.
func TestConcurrentSetsOfOneKeyAgree(t *testing.T) {
	s := newStore(t, memory.Options{})
	ctx := t.Context()
	for round := range 200 {
		k := fmt.Sprintf("race:%d", round)
		var written [][]byte
		for g := range 6 {
			written = append(written, fmt.Appendf(nil, "writer-%d", g))
		}
		var wg sync.WaitGroup
		for _, v := range written {
			wg.Go(func() {
				if err := s.Set(ctx, k, v, hour); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		first, err := s.Get(ctx, k)
		if err != nil {
			t.Fatalf("round %d: Get: %v", round, err)
		}
		if !slices.ContainsFunc(written, func(v []byte) bool { return bytes.Equal(v, first) }) {
			t.Fatalf("round %d: Get = %q, not one of the written values", round, first)
		}
		settle(t, s)
		mustGet(t, s, k, first)
	}
}

// A write pending in ristretto's buffer must not reappear after a Delete, nor after Delete + Set.
func TestDeleteOfPendingWrite(t *testing.T) {
	s := newStore(t, memory.Options{})
	ctx := t.Context()
	for i := range 1000 {
		k := fmt.Sprintf("del:%d", i)
		mustSet(t, s, k, []byte("a"))
		mustSet(t, s, k, []byte("b")) // two queued writes of a new key
		n, err := s.Delete(ctx, k)
		if err != nil || n != 1 {
			t.Fatalf("Delete(%q) = %d, %v; want 1", k, n, err)
		}
		mustMiss(t, s, k)
		if i%2 == 0 {
			mustSet(t, s, k, []byte("c"))
			mustGet(t, s, k, []byte("c"))
		}
	}
	settle(t, s)
	time.Sleep(10 * time.Millisecond) // let the drainer run its own passes too
	settle(t, s)
	for i := range 1000 {
		k := fmt.Sprintf("del:%d", i)
		if i%2 == 0 {
			mustGet(t, s, k, []byte("c"))
		} else {
			mustMiss(t, s, k)
		}
	}
	if n, err := s.Delete(ctx, "del:1", "del:2", "del:3", "never"); err != nil || n != 1 {
		t.Fatalf("Delete of one present and three absent keys = %d, %v; want 1", n, err)
	}
}

// Writing a key whose previous value has expired (a refresh) is seen at once and stays.
func TestSetOverExpiredValue(t *testing.T) {
	s := newStore(t, memory.Options{})
	ctx := t.Context()
	for i := range 50 {
		if err := s.Set(ctx, fmt.Sprintf("exp:%d", i), []byte("old"), time.Millisecond); err != nil {
			t.Fatal(err)
		}
	}
	settle(t, s)
	time.Sleep(5 * time.Millisecond)
	for i := range 50 {
		k := fmt.Sprintf("exp:%d", i)
		mustMiss(t, s, k)
		mustSet(t, s, k, []byte("new"))
		mustGet(t, s, k, []byte("new"))
	}
	settle(t, s)
	for i := range 50 {
		mustGet(t, s, fmt.Sprintf("exp:%d", i), []byte("new"))
	}
}

// TTL reads back the remaining lifetime of pending and settled writes, and expiry hides a key from
// every read.
func TestTTLAndExpiry(t *testing.T) {
	s := newStore(t, memory.Options{})
	ctx := t.Context()
	mustSet(t, s, "long", []byte("x"))
	if d, err := s.TTL(ctx, "long"); err != nil || d <= 59*time.Minute || d > hour {
		t.Fatalf("TTL of a pending write = %v, %v; want just under 1h", d, err)
	}
	settle(t, s)
	if d, err := s.TTL(ctx, "long"); err != nil || d <= 59*time.Minute || d > hour {
		t.Fatalf("TTL of a settled write = %v, %v; want just under 1h", d, err)
	}
	if err := s.Set(ctx, "short", []byte("x"), 30*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	time.Sleep(60 * time.Millisecond)
	mustMiss(t, s, "short")
	if _, err := s.TTL(ctx, "short"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("TTL of an expired key: %v; want ErrNotFound", err)
	}
	if m, err := s.GetMany(ctx, []string{"short", "long"}); err != nil || len(m) != 1 || m["long"] == nil {
		t.Fatalf("GetMany = %q, %v; want only long", m, err)
	}
	var seen []string
	if err := s.Scan(ctx, "*", func(k string) bool { seen = append(seen, k); return true }); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(seen, []string{"long"}) {
		t.Fatalf("Scan(*) = %q; want only long", seen)
	}
	if ok, err := s.Add(ctx, "short", []byte("again"), hour); err != nil || !ok {
		t.Fatalf("Add over an expired key = %v, %v; want true", ok, err)
	}
	for _, ttl := range []time.Duration{0, -time.Second} {
		if err := s.Set(ctx, "k", []byte("v"), ttl); !errors.Is(err, store.ErrInvalidTTL) {
			t.Errorf("Set with ttl %v: %v; want ErrInvalidTTL", ttl, err)
		}
	}
}

// Of many concurrent Adds of one key exactly one stores its value, and that value is what Get returns.
func TestAddIsAtomic(t *testing.T) {
	s := newStore(t, memory.Options{})
	ctx := t.Context()
	for round := range 100 {
		k := fmt.Sprintf("add:%d", round)
		var (
			wg     sync.WaitGroup
			mu     sync.Mutex
			winner []byte
			wins   int
		)
		for g := range 8 {
			wg.Go(func() {
				v := fmt.Appendf(nil, "adder-%d", g)
				ok, err := s.Add(ctx, k, v, hour)
				if err != nil {
					t.Error(err)
					return
				}
				if ok {
					mu.Lock()
					wins++
					winner = v
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if wins != 1 {
			t.Fatalf("round %d: %d Adds succeeded; want exactly 1", round, wins)
		}
		mustGet(t, s, k, winner)
	}
}

// A value whose cost exceeds the whole budget is refused with ErrNotStored, counted, and leaves the
// previous value in place.
func TestValueLargerThanBudgetIsNotStored(t *testing.T) {
	s := newStore(t, memory.Options{MaxBytes: 4096})
	ctx := t.Context()
	mustSet(t, s, "big", []byte("small"))
	err := s.Set(ctx, "big", make([]byte, 5000), hour)
	if !errors.Is(err, store.ErrNotStored) {
		t.Fatalf("Set of 5000 bytes into a 4096-byte budget: %v; want ErrNotStored", err)
	}
	var oe *store.OpError
	if !errors.As(err, &oe) || oe.Backend != "memory" || oe.Op != "set" || oe.Key != "big" {
		t.Fatalf("error %#v; want *store.OpError{Backend: memory, Op: set, Key: big}", err)
	}
	mustGet(t, s, "big", []byte("small"))
	if ok, err := s.Add(ctx, "other", make([]byte, 5000), hour); ok || !errors.Is(err, store.ErrNotStored) {
		t.Fatalf("Add of 5000 bytes = %v, %v; want false, ErrNotStored", ok, err)
	}
	st, err := s.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.RejectedSets != 2 {
		t.Fatalf("RejectedSets = %d; want 2", st.RejectedSets)
	}
}

// Writing far more than the budget evicts entries (counted) and keeps the bytes in use within it.
func TestEvictionsAreCounted(t *testing.T) {
	const budget = 64 << 10
	s := newStore(t, memory.Options{MaxBytes: budget})
	ctx := t.Context()
	v := make([]byte, 1000)
	stored := 0
	for i := range 1000 {
		err := s.Set(ctx, fmt.Sprintf("ev:%04d", i), v, hour)
		switch {
		case err == nil:
			stored++
		case !errors.Is(err, store.ErrNotStored):
			t.Fatal(err)
		}
	}
	st, err := s.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Evictions == 0 {
		t.Fatalf("Evictions = 0 after writing %d KiB into a %d KiB budget (%d Sets accepted)", stored, budget>>10, stored)
	}
	if st.UsedBytes > budget || st.Keys*1007 != st.UsedBytes {
		t.Fatalf("UsedBytes = %d for %d keys; want %d per key and at most %d", st.UsedBytes, st.Keys, 1007, budget)
	}
	if st.Keys >= 1000 || st.Keys == 0 {
		t.Fatalf("Keys = %d; want some but not all of the 1000 written", st.Keys)
	}
	if int64(stored)+st.RejectedSets != 1000 {
		t.Fatalf("%d Sets accepted + %d RejectedSets != 1000", stored, st.RejectedSets)
	}
}

// GetMany's values are copies that share one buffer; appending to one must not change another.
func TestGetManyCopiesAreIndependent(t *testing.T) {
	s := newStore(t, memory.Options{})
	ctx := t.Context()
	mustSet(t, s, "a", []byte("aaa"))
	mustSet(t, s, "b", []byte("bbb"))
	mustSet(t, s, "e", []byte{})
	m, err := s.GetMany(ctx, []string{"a", "b", "e", "missing"})
	if err != nil || len(m) != 3 {
		t.Fatalf("GetMany = %q, %v", m, err)
	}
	if m["e"] == nil || len(m["e"]) != 0 {
		t.Fatalf("empty value = %#v; want a non-nil empty slice", m["e"])
	}
	m["a"] = append(m["a"], "XYZ"...)
	m["b"][0] = 'Z'
	if !bytes.Equal(m["b"], []byte("Zbb")) {
		t.Fatalf("after appending to a, b = %q; want Zbb", m["b"])
	}
	mustGet(t, s, "a", []byte("aaa"))
	mustGet(t, s, "b", []byte("bbb"))
}

// Scan collects first, so its callback may use the store; DeletePattern removes only matches,
// including writes still pending in ristretto.
func TestScanCallbackMayUseStoreAndDeletePatternSeesPendingWrites(t *testing.T) {
	s := newStore(t, memory.Options{})
	ctx := t.Context()
	for i := range 300 {
		mustSet(t, s, fmt.Sprintf("qrl:v1:ticker:S%d/USDT", i), []byte("t"))
		mustSet(t, s, fmt.Sprintf("qrl:v1:ohlcv:S%d/USDT:1m", i), []byte("o"))
	}
	// No settle: many of these writes are still pending in ristretto.
	n, err := s.DeletePattern(ctx, "qrl:v1:ticker:*")
	if err != nil || n != 300 {
		t.Fatalf("DeletePattern(ticker) = %d, %v; want 300", n, err)
	}
	mustMiss(t, s, "qrl:v1:ticker:S7/USDT")
	mustGet(t, s, "qrl:v1:ohlcv:S7/USDT:1m", []byte("o"))

	deleted := 0
	err = s.Scan(ctx, "qrl:v1:ohlcv:S1?/USDT:1m", func(k string) bool {
		if n, err := s.Delete(ctx, k); err != nil || n != 1 {
			t.Errorf("Delete(%q) inside Scan = %d, %v", k, n, err)
		}
		deleted++
		return true
	})
	if err != nil || deleted != 10 {
		t.Fatalf("Scan visited %d keys, %v; want S10..S19", deleted, err)
	}
	st, err := s.Stats(ctx)
	if err != nil || st.Keys != 290 {
		t.Fatalf("Keys = %d, %v; want 290", st.Keys, err)
	}
	// A literal pattern (no metacharacters) names one key, escapes resolved.
	mustSet(t, s, "lit*eral", []byte("x"))
	mustSet(t, s, "literal", []byte("y"))
	if n, err := s.DeletePattern(ctx, `lit\*eral`); err != nil || n != 1 {
		t.Fatalf(`DeletePattern(lit\*eral) = %d, %v; want 1`, n, err)
	}
	mustGet(t, s, "literal", []byte("y"))
}

// ctx is honoured before any work.
func TestCancelledContext(t *testing.T) {
	s := newStore(t, memory.Options{})
	mustSet(t, s, "k", []byte("v"))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := s.Get(ctx, "k"); !errors.Is(err, context.Canceled) {
		t.Fatalf("Get with a cancelled ctx: %v", err)
	}
	if err := s.Set(ctx, "k", []byte("w"), hour); !errors.Is(err, context.Canceled) {
		t.Fatalf("Set with a cancelled ctx: %v", err)
	}
	if _, err := s.DeletePattern(ctx, "*"); !errors.Is(err, context.Canceled) {
		t.Fatalf("DeletePattern with a cancelled ctx: %v", err)
	}
	mustGet(t, s, "k", []byte("v"))
}
