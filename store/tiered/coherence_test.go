package tiered

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cachekit/cachekit/internal/redistest"
	"github.com/cachekit/cachekit/keyspace"
	"github.com/cachekit/cachekit/store"
)

// arrivals records when invalidations from other instances were applied by a Store (through its test
// hook, which runs after the L1 entries are dropped).
type arrivals struct {
	mu   sync.Mutex
	at   map[string]time.Time // by key or pattern
	wake chan struct{}
}

func watchArrivals(s *Store) *arrivals {
	a := &arrivals{at: map[string]time.Time{}, wake: make(chan struct{}, 1)}
	hook := func(_ entryKind, text string) {
		a.mu.Lock()
		a.at[text] = time.Now()
		a.mu.Unlock()
		select {
		case a.wake <- struct{}{}:
		default:
		}
	}
	s.testHookApplied.Store(&hook)
	return a
}

// arrived reports when the invalidation of text was applied (zero: not yet).
func (a *arrivals) arrived(text string) time.Time {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.at[text]
}

// wait returns when the invalidation of text is applied, failing t after d.
func (a *arrivals) wait(t *testing.T, text string, d time.Duration) time.Time {
	t.Helper()
	deadline := time.After(d)
	for {
		if at := a.arrived(text); !at.IsZero() {
			return at
		}
		select {
		case <-a.wake:
		case <-deadline:
			t.Fatalf("the invalidation of %q did not arrive within %v", text, d)
		}
	}
}

// forget clears what was recorded, before the next step of a test.
func (a *arrivals) forget() {
	a.mu.Lock()
	clear(a.at)
	a.mu.Unlock()
}

// staleReader reads keys from s in a loop and records every read, begun after the invalidation of its
// key (or of a pattern in patterns) had been applied, that returned the value in old[key].
type staleReader struct {
	stop   chan struct{}
	done   chan struct{}
	stale  atomic.Int64
	reads  atomic.Int64
	detail atomic.Pointer[string]
}

func startStaleReader(s *Store, a *arrivals, old map[string]string, patterns []string) *staleReader {
	r := &staleReader{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(r.done)
		for {
			for key, oldValue := range old {
				select {
				case <-r.stop:
					return
				default:
				}
				began := time.Now()
				invalidated := a.arrived(key)
				for _, p := range patterns {
					if at := a.arrived(p); !at.IsZero() && (invalidated.IsZero() || at.Before(invalidated)) {
						invalidated = at
					}
				}
				v, err := s.Get(context.Background(), key)
				r.reads.Add(1)
				if err == nil && string(v) == oldValue && !invalidated.IsZero() && invalidated.Before(began) {
					r.stale.Add(1)
					msg := fmt.Sprintf("Get(%q) begun %v after its invalidation arrived returned the old value %q", key, began.Sub(invalidated), v)
					r.detail.Store(&msg)
				}
			}
		}
	}()
	return r
}

func (r *staleReader) finish(t *testing.T) {
	t.Helper()
	close(r.stop)
	<-r.done
	if n := r.stale.Load(); n > 0 {
		t.Errorf("%d of %d reads served an old value after its invalidation had arrived; e.g. %s", n, r.reads.Load(), *r.detail.Load())
	}
}

// mustGet reads key from s and fails t unless it holds want.
func mustGet(t *testing.T, s store.Store, key, want string) {
	t.Helper()
	v, err := s.Get(context.Background(), key)
	if err != nil || string(v) != want {
		t.Fatalf("Get(%q) = %q, %v; want %q", key, v, err, want)
	}
}

// mustMiss fails t unless key is absent from s.
func mustMiss(t *testing.T, s store.Store, key string) {
	t.Helper()
	if v, err := s.Get(context.Background(), key); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Get(%q) = %q, %v; want ErrNotFound", key, v, err)
	}
}

// mustL1Hit reads key from s and fails t unless L1 served it.
func mustL1Hit(t *testing.T, s *Store, key, want string) {
	t.Helper()
	before := extra(t, s, "l1_hits")
	mustGet(t, s, key, want)
	if after := extra(t, s, "l1_hits"); after != before+1 {
		t.Fatalf("Get(%q) was not an L1 hit (l1_hits %d -> %d)", key, before, after)
	}
}

func TestInvalidationAcrossInstances(t *testing.T) {
	srv := redistest.Standalone(t)
	// A long L1 lifetime, so that only invalidations can remove B's stale copies.
	// Published messages (pattern entries, invalidations_sent): the pub/sub path.
	opts := Options{L1MaxTTL: time.Hour, Invalidation: InvalidationPubSub}
	a := openRedisTiered(t, srv.URL, opts)
	b := openRedisTiered(t, srv.URL, opts)
	ns := redistest.Namespace(t) + ":v1:"
	t.Cleanup(func() { _, _ = a.DeletePattern(context.Background(), keyspace.EscapeGlob(ns)+"*") })
	ctx := t.Context()
	arr := watchArrivals(b)
	key := func(rel string) string { return ns + rel }

	// step writes old values through A, loads them into B's L1, changes the keys in changed through A with
	// mutate, and checks that B drops its copies when the invalidation arrives (within 2s) and never
	// serves an old value of a changed key after that.
	step := func(name string, old map[string]string, changed []string, invalidation string, patterns []string, mutate func(), check func()) {
		t.Run(name, func(t *testing.T) {
			arr.forget()
			for k, v := range old {
				if err := a.Set(ctx, k, []byte(v), time.Hour); err != nil {
					t.Fatal(err)
				}
			}
			waitFor(t, 2*time.Second, "the invalidations of the initial writes reach B", func() bool {
				for k := range old {
					if arr.arrived(k).IsZero() {
						return false
					}
				}
				return true
			})
			arr.forget()
			for k, v := range old {
				mustGet(t, b, k, v)   // an L2 hit, backfilled into B's L1
				mustL1Hit(t, b, k, v) // now served by B's L1
			}
			watched := map[string]string{}
			for _, k := range changed {
				watched[k] = old[k]
			}
			r := startStaleReader(b, arr, watched, patterns)
			began := time.Now()
			mutate()
			at := arr.wait(t, invalidation, 2*time.Second)
			t.Logf("%s: invalidation of %q applied by B %v after A began the change", name, invalidation, at.Sub(began).Round(time.Microsecond))
			time.Sleep(20 * time.Millisecond) // let the reader read after the arrival
			r.finish(t)
			check()
		})
	}

	k := key("ticker:QRL/USDT")
	step("Overwrite", map[string]string{k: "old"}, []string{k}, k, nil,
		func() {
			if err := a.Set(ctx, k, []byte("new"), time.Hour); err != nil {
				t.Fatal(err)
			}
		},
		func() { mustGet(t, b, k, "new") })

	step("Delete", map[string]string{k: "old"}, []string{k}, k, nil,
		func() {
			if n, err := a.Delete(ctx, k); err != nil || n != 1 {
				t.Fatalf("Delete = %d, %v", n, err)
			}
		},
		func() { mustMiss(t, b, k) })

	p1, p2, other := key("ohlcv:QRL/USDT:1m"), key("ohlcv:QRL/USDT:1h"), key("ohlcv:BTC/USDT:1m")
	pat := keyspace.EscapeGlob(key("ohlcv:QRL/USDT:")) + "*"
	step("DeletePattern", map[string]string{p1: "old1", p2: "old2", other: "other"}, []string{p1, p2}, pat, []string{pat},
		func() {
			if n, err := a.DeletePattern(ctx, pat); err != nil || n != 2 {
				t.Fatalf("DeletePattern = %d, %v; want 2", n, err)
			}
		},
		func() {
			mustMiss(t, b, p1)
			mustMiss(t, b, p2)
			mustL1Hit(t, b, other, "other") // not matched: B keeps its copy
		})

	all := keyspace.EscapeGlob(ns) + "*"
	step("ClearAll", map[string]string{k: "old", p1: "old1"}, []string{k, p1}, all, []string{all},
		func() {
			if n, err := a.DeletePattern(ctx, all); err != nil || n < 2 {
				t.Fatalf("DeletePattern(namespace) = %d, %v; want >= 2", n, err)
			}
		},
		func() {
			mustMiss(t, b, k)
			mustMiss(t, b, p1)
		})

	if got := extra(t, b, "invalidations_received"); got < 4 {
		t.Errorf("B counted %d invalidations received, want at least 4", got)
	}
	if got := extra(t, a, "invalidations_sent"); got < 4 {
		t.Errorf("A counted %d invalidations sent, want at least 4", got)
	}
}

func TestEchoesAreIgnored(t *testing.T) {
	srv := redistest.Standalone(t)
	// Echoes of published messages: the pub/sub path (tracking's are refilled, see TestTrackOwnWriteRefilled).
	a := openRedisTiered(t, srv.URL, Options{L1MaxTTL: time.Hour, Invalidation: InvalidationPubSub})
	k := redistest.Namespace(t) + ":v1:k"
	t.Cleanup(func() { _, _ = a.Delete(context.Background(), k) })
	echoes := extra(t, a, "echoes_ignored")
	if err := a.Set(t.Context(), k, []byte("mine"), time.Hour); err != nil {
		t.Fatal(err)
	}
	d := waitFor(t, 2*time.Second, "A receives its own publication", func() bool { return extra(t, a, "echoes_ignored") > echoes })
	t.Logf("own echo back after %v", d.Round(time.Microsecond))
	mustL1Hit(t, a, k, "mine") // the echo did not drop A's fresh copy
	if got := extra(t, a, "invalidations_received"); got != 0 {
		t.Errorf("A applied %d invalidations, want 0 (its own are echoes)", got)
	}
	if got := extra(t, a, "l2_hits"); got != 0 {
		t.Errorf("A read L2 %d times, want 0", got)
	}
}

func TestSyncPublish(t *testing.T) {
	srv := redistest.Standalone(t)
	a := openRedisTiered(t, srv.URL, Options{SyncPublish: true, Invalidation: InvalidationPubSub}) // publications: pub/sub
	k := redistest.Namespace(t) + ":v1:k"
	t.Cleanup(func() { _, _ = a.Delete(context.Background(), k) })
	for i := range 3 {
		sent := extra(t, a, "invalidations_sent")
		if err := a.Set(t.Context(), k, []byte("v"), time.Hour); err != nil {
			t.Fatal(err)
		}
		if got := extra(t, a, "invalidations_sent"); got != sent+1 {
			t.Fatalf("write %d: invalidations_sent %d -> %d when Set returned; SyncPublish must publish first", i, sent, got)
		}
	}
}

// TestConcurrentWritersAndReaders writes one key 300 times through A while readers on B read it, and
// checks that B never serves a value older than the invalidations it has applied, and ends with A's last
// value. A publishes one entry per write, in order, each after its L2 write: once B has applied c
// invalidations of the key, L2 holds write c-1 or a later one, so no read begun after that may return less.
func TestConcurrentWritersAndReaders(t *testing.T) {
	srv := redistest.Standalone(t)
	a := openRedisTiered(t, srv.URL, Options{L1MaxTTL: time.Hour})
	b := openRedisTiered(t, srv.URL, Options{L1MaxTTL: time.Hour})
	k := redistest.Namespace(t) + ":v1:k"
	t.Cleanup(func() { _, _ = a.Delete(context.Background(), k) })
	ctx := t.Context()

	var applied atomic.Int64 // invalidations of k applied by B (the hook runs after the L1 drop)
	hook := func(_ entryKind, text string) {
		if text == k {
			applied.Add(1)
		}
	}
	b.testHookApplied.Store(&hook)

	const writes = 300
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var bad atomic.Pointer[string]
	var reads atomic.Int64
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				floor := applied.Load() - 1
				v, err := b.Get(ctx, k)
				if err != nil {
					continue // before the first write
				}
				reads.Add(1)
				var n int64
				if _, err := fmt.Sscanf(string(v), "v%d", &n); err != nil {
					msg := fmt.Sprintf("B read %q, which A never wrote", v)
					bad.Store(&msg)
				} else if n < floor {
					msg := fmt.Sprintf("B read v%d after applying the invalidation of v%d", n, floor)
					bad.Store(&msg)
				}
			}
		})
	}
	for i := range writes {
		if err := a.Set(ctx, k, fmt.Appendf(nil, "v%d", i), time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, 2*time.Second, "B applies all 300 invalidations", func() bool { return applied.Load() >= writes })
	close(stop)
	wg.Wait()
	if msg := bad.Load(); msg != nil {
		t.Error(*msg)
	}
	t.Logf("%d reads on B during %d writes on A", reads.Load(), writes)
	mustGet(t, b, k, fmt.Sprintf("v%d", writes-1))
}
