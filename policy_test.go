package cachekit_test

// Read-through policies (stale-while-revalidate, fail-safe, back-off, negative caching, soft and hard
// timeouts, early refresh, jitter, max age) with an injected clock: freshness is decided by the clock,
// so nothing here races real time except where a test waits for a background load it released itself.

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cachekit/cachekit"
	"github.com/cachekit/cachekit/internal/redistest"
	"github.com/cachekit/cachekit/store"
)

// fakeClock is a clock tests move by hand.
type fakeClock struct{ ns atomic.Int64 }

func newFakeClock() *fakeClock {
	c := &fakeClock{}
	c.ns.Store(time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC).UnixNano())
	return c
}
func (c *fakeClock) Now() time.Time          { return time.Unix(0, c.ns.Load()).UTC() }
func (c *fakeClock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

// policyStores are the backends every policy is checked on.
func policyStores() map[string]func(t *testing.T) store.Store {
	open := func(t *testing.T, raw string) store.Store {
		s, err := store.Open(context.Background(), raw)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	return map[string]func(t *testing.T) store.Store{
		"memory": newStore,
		"redis":  func(t *testing.T) store.Store { return open(t, redistest.Standalone(t).URL) },
		"tiered": func(t *testing.T) store.Store {
			return open(t, "tiered://?l1="+url.QueryEscape("memory://")+"&l2="+url.QueryEscape(redistest.Standalone(t).URL))
		},
	}
}

// source is a loader whose calls are counted and whose answers a test scripts: each call takes the
// next value from answers (blocking until one is sent).
type source struct {
	calls   atomic.Int64
	answers chan answer
}

type answer struct {
	v   int
	err error
}

func newSource() *source { return &source{answers: make(chan answer, 16)} }

func (s *source) load(ctx context.Context) (int, error) {
	s.calls.Add(1)
	select {
	case a := <-s.answers:
		return a.v, a.err
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

// forEachPolicyStore runs fn on every backend with a fresh Cache on a fake clock.
func forEachPolicyStore(t *testing.T, p cachekit.Policy, fn func(t *testing.T, c *cachekit.Cache, clock *fakeClock)) {
	for name, open := range policyStores() {
		t.Run(name, func(t *testing.T) {
			clock := newFakeClock()
			// The policy rules, not the fetch read timeout (faults_test.go), are under test: a burst of
			// concurrent callers queued for the pool must not fall back to their loaders.
			c := newCacheOver(t, open(t), cachekit.WithNamespace(redistest.Namespace(t)),
				cachekit.WithClock(clock.Now), cachekit.WithDefaultPolicy(p), cachekit.WithFetchReadTimeout(5*time.Second))
			fn(t, c, clock)
			c.Close() // ends loads still blocked on a source that a failing test never answered
		})
	}
}

// A stale hit within the stale-while-revalidate window returns at once, and exactly one background
// refresh runs however many callers see it stale; the refreshed value is then served fresh.
func TestStaleWhileRevalidate(t *testing.T) {
	ctx := context.Background()
	forEachPolicyStore(t, cachekit.Policy{StaleWhileRevalidate: 30 * time.Second}, func(t *testing.T, c *cachekit.Cache, clock *fakeClock) {
		src := newSource()
		src.answers <- answer{v: 1}
		if v, err := cachekit.Fetch(ctx, c, "price:A", 10*time.Second, src.load); err != nil || v != 1 {
			t.Fatalf("first Fetch = %d, %v", v, err)
		}
		landed(t, c, "price:A")
		clock.Advance(15 * time.Second) // past fresh, inside the stale window
		// The refresh blocks until answered, so every Fetch below returns while it is running.
		for i := range 10 {
			r, err := cachekit.FetchResult(ctx, c, "price:A", 10*time.Second, src.load)
			if err != nil || r.Value != 1 || !r.Stale || !r.Cached {
				t.Fatalf("stale Fetch #%d = %+v, %v; want the old value at once, flagged stale", i, r, err)
			}
			if r.Age != 15*time.Second {
				t.Fatalf("stale Fetch age = %v; want 15s", r.Age)
			}
		}
		eventually(t, "the background refresh to start", func() bool { return src.calls.Load() == 2 })
		src.answers <- answer{v: 2}
		eventually(t, "the refreshed value to be served fresh", func() bool {
			r, err := cachekit.FetchResult(ctx, c, "price:A", 10*time.Second, src.load)
			return err == nil && r.Value == 2 && !r.Stale
		})
		if n := src.calls.Load(); n != 2 {
			t.Fatalf("loader called %d times; want 2 (one load, one refresh)", n)
		}
	})
}

// When the loader fails, the last good value is served flagged stale with the error, up to the
// fail-safe age; the loader is retried no more often than the back-off; past the fail-safe age the
// error comes back.
func TestFailSafeServesLastGoodValue(t *testing.T) {
	ctx := context.Background()
	p := cachekit.Policy{FailSafe: time.Minute, FailBackoff: 5 * time.Second}
	forEachPolicyStore(t, p, func(t *testing.T, c *cachekit.Cache, clock *fakeClock) {
		src := newSource()
		down := errors.New("exchange down")
		src.answers <- answer{v: 1}
		if _, err := cachekit.Fetch(ctx, c, "price:B", 10*time.Second, src.load); err != nil {
			t.Fatal(err)
		}
		landed(t, c, "price:B")
		clock.Advance(20 * time.Second) // stale, inside the fail-safe window
		src.answers <- answer{err: down}
		r, err := cachekit.FetchResult(ctx, c, "price:B", 10*time.Second, src.load)
		if err != nil || r.Value != 1 || !r.Stale || !errors.Is(r.LoadErr, down) {
			t.Fatalf("Fetch with the loader failing = %+v, %v; want the last good value, stale, with the error", r, err)
		}
		calls := src.calls.Load()
		for range 5 { // inside the back-off: no loader call
			if r, err := cachekit.FetchResult(ctx, c, "price:B", 10*time.Second, src.load); err != nil || r.Value != 1 || !r.Stale {
				t.Fatalf("Fetch during the back-off = %+v, %v", r, err)
			}
		}
		if src.calls.Load() != calls {
			t.Fatalf("loader called %d times during the back-off; want 0", src.calls.Load()-calls)
		}
		clock.Advance(6 * time.Second) // back-off over: one retry
		src.answers <- answer{err: down}
		if r, err := cachekit.FetchResult(ctx, c, "price:B", 10*time.Second, src.load); err != nil || r.Value != 1 || src.calls.Load() != calls+1 {
			t.Fatalf("Fetch after the back-off = %+v, %v, %d calls; want one retry, stale value", r, err, src.calls.Load()-calls)
		}
		clock.Advance(time.Minute) // past the fail-safe age
		src.answers <- answer{err: down}
		if _, err := cachekit.FetchResult(ctx, c, "price:B", 10*time.Second, src.load); !errors.Is(err, down) {
			t.Fatalf("Fetch past the fail-safe age = %v; want the loader's error", err)
		}
	})
}

// Without a last good value, a failure is returned and remembered for the back-off.
func TestFailureBackoffWithoutValue(t *testing.T) {
	ctx := context.Background()
	forEachPolicyStore(t, cachekit.Policy{FailBackoff: 5 * time.Second}, func(t *testing.T, c *cachekit.Cache, clock *fakeClock) {
		src := newSource()
		down := errors.New("exchange down")
		src.answers <- answer{err: down}
		for i := range 5 {
			if _, err := cachekit.Fetch(ctx, c, "price:C", 10*time.Second, src.load); !errors.Is(err, down) {
				t.Fatalf("Fetch #%d = %v; want the error", i, err)
			}
		}
		if n := src.calls.Load(); n != 1 {
			t.Fatalf("a dead upstream was called %d times inside the back-off; want 1", n)
		}
		clock.Advance(5 * time.Second)
		src.answers <- answer{v: 3}
		if v, err := cachekit.Fetch(ctx, c, "price:C", 10*time.Second, src.load); err != nil || v != 3 {
			t.Fatalf("Fetch after the back-off = %d, %v", v, err)
		}
	})
}

// A "no such thing" result is remembered for the negative TTL.
func TestNegativeResultsAreCached(t *testing.T) {
	ctx := context.Background()
	forEachPolicyStore(t, cachekit.Policy{NegativeTTL: 30 * time.Second}, func(t *testing.T, c *cachekit.Cache, clock *fakeClock) {
		src := newSource()
		unknown := fmt.Errorf("symbol NOPE/USDT: %w", cachekit.ErrNoValue)
		src.answers <- answer{err: unknown}
		for range 3 {
			if _, err := cachekit.Fetch(ctx, c, "ticker:NOPE/USDT", 0, src.load); !errors.Is(err, cachekit.ErrNoValue) {
				t.Fatalf("Fetch of an unknown symbol = %v; want ErrNoValue", err)
			}
		}
		if src.calls.Load() != 1 {
			t.Fatalf("loader called %d times within the negative TTL; want 1", src.calls.Load())
		}
		clock.Advance(31 * time.Second)
		src.answers <- answer{v: 9}
		if v, err := cachekit.Fetch(ctx, c, "ticker:NOPE/USDT", 0, src.load); err != nil || v != 9 {
			t.Fatalf("Fetch after the negative TTL = %d, %v", v, err)
		}
	})
}

// Past the soft timeout a stale value is returned and the load goes on, landing in the cache; the hard
// timeout ends a load.
func TestSoftAndHardTimeouts(t *testing.T) {
	ctx := context.Background()
	p := cachekit.Policy{FailSafe: time.Minute, SoftTimeout: 10 * time.Millisecond, HardTimeout: time.Hour}
	forEachPolicyStore(t, p, func(t *testing.T, c *cachekit.Cache, clock *fakeClock) {
		src := newSource()
		src.answers <- answer{v: 1}
		if _, err := cachekit.Fetch(ctx, c, "price:D", 10*time.Second, src.load); err != nil {
			t.Fatal(err)
		}
		landed(t, c, "price:D")
		clock.Advance(20 * time.Second)
		// The loader blocks (no answer yet): the caller gets the stale value after the soft timeout.
		r, err := cachekit.FetchResult(ctx, c, "price:D", 10*time.Second, src.load)
		if err != nil || r.Value != 1 || !r.Stale {
			t.Fatalf("Fetch past the soft timeout = %+v, %v; want the stale value", r, err)
		}
		src.answers <- answer{v: 2} // the background load finishes
		eventually(t, "the slow load to land in the cache", func() bool {
			var v int
			return c.Get(ctx, "price:D", &v) == nil && v == 2
		})
		landed(t, c, "price:D")
		if src.calls.Load() != 2 {
			t.Fatalf("loader called %d times; want 2", src.calls.Load())
		}
	})
	forEachPolicyStore(t, cachekit.Policy{HardTimeout: 20 * time.Millisecond}, func(t *testing.T, c *cachekit.Cache, clock *fakeClock) {
		src := newSource() // never answers: only the hard timeout ends the load
		if _, err := cachekit.Fetch(ctx, c, "price:E", 0, src.load); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Fetch of a load that never ends = %v; want the hard timeout", err)
		}
	})
}

// MaxAge bounds the age of what Fetch returns: an older value is loaded again; a load failure then
// returns the error rather than the older value.
func TestMaxAge(t *testing.T) {
	ctx := context.Background()
	forEachPolicyStore(t, cachekit.Policy{FailSafe: time.Hour}, func(t *testing.T, c *cachekit.Cache, clock *fakeClock) {
		src := newSource()
		src.answers <- answer{v: 1}
		if _, err := cachekit.Fetch(ctx, c, "price:F", time.Minute, src.load); err != nil {
			t.Fatal(err)
		}
		landed(t, c, "price:F")
		clock.Advance(100 * time.Millisecond)
		if r, err := cachekit.FetchResult(ctx, c, "price:F", time.Minute, src.load, cachekit.MaxAge(200*time.Millisecond)); err != nil || r.Value != 1 || !r.Cached {
			t.Fatalf("Fetch of a 100ms-old value with MaxAge 200ms = %+v, %v; want the hit", r, err)
		}
		clock.Advance(150 * time.Millisecond)
		src.answers <- answer{v: 2}
		r, err := cachekit.FetchResult(ctx, c, "price:F", time.Minute, src.load, cachekit.MaxAge(200*time.Millisecond))
		if err != nil || r.Value != 2 || r.Cached || r.Age != 0 {
			t.Fatalf("Fetch of a 250ms-old value with MaxAge 200ms = %+v, %v; want a load", r, err)
		}
		landed(t, c, "price:F")
		clock.Advance(time.Second)
		src.answers <- answer{err: errors.New("down")}
		if _, err := cachekit.Fetch(ctx, c, "price:F", time.Minute, src.load, cachekit.MaxAge(200*time.Millisecond)); err == nil {
			t.Fatal("a failed load under MaxAge served an older value")
		}
	})
}

// Early refresh starts a background refresh of a value near its expiry; jitter spreads fresh TTLs.
func TestEarlyRefreshAndJitter(t *testing.T) {
	ctx := context.Background()
	forEachPolicyStore(t, cachekit.Policy{EarlyRefresh: 0.5}, func(t *testing.T, c *cachekit.Cache, clock *fakeClock) {
		src := newSource()
		src.answers <- answer{v: 1}
		if _, err := cachekit.Fetch(ctx, c, "price:G", 10*time.Second, src.load); err != nil {
			t.Fatal(err)
		}
		landed(t, c, "price:G")
		clock.Advance(2 * time.Second) // 20% of the TTL: too early
		for range 20 {
			_, _ = cachekit.Fetch(ctx, c, "price:G", 10*time.Second, src.load)
		}
		if src.calls.Load() != 1 {
			t.Fatalf("refreshed at 20%% of the TTL with early=0.5 (%d calls)", src.calls.Load())
		}
		clock.Advance(7999 * time.Millisecond) // 99.99%: a refresh is all but certain within a few hits
		for i := 0; src.calls.Load() == 1 && i < 20; i++ {
			if v, err := cachekit.Fetch(ctx, c, "price:G", 10*time.Second, src.load); err != nil || v != 1 {
				t.Fatalf("Fetch near expiry = %d, %v; want the fresh value at once", v, err)
			}
		}
		eventually(t, "an early refresh near expiry", func() bool { return src.calls.Load() == 2 })
		src.answers <- answer{v: 2}
		eventually(t, "the early refresh to land", func() bool {
			v, _ := cachekit.Fetch(ctx, c, "price:G", 10*time.Second, src.load)
			return v == 2
		})
	})
	c := newCache(t, cachekit.WithDefaultPolicy(cachekit.Policy{Jitter: 0.5}))
	seen := map[time.Duration]bool{}
	for i := range 50 {
		r, err := cachekit.FetchResult(ctx, c, fmt.Sprintf("price:J%d", i), 100*time.Second, func(context.Context) (int, error) { return i, nil })
		if err != nil {
			t.Fatal(err)
		}
		fresh := r.FreshUntil.Sub(r.WrittenAt)
		if fresh > 100*time.Second || fresh < 50*time.Second {
			t.Fatalf("jittered fresh TTL %v outside [50s, 100s]", fresh)
		}
		seen[fresh.Truncate(time.Second)] = true
	}
	if len(seen) < 10 {
		t.Fatalf("50 jittered TTLs took only %d distinct values", len(seen))
	}
}

// A Fetch returns the loaded value before the store write ends: callers arriving during the write get
// the value without loading again.
func TestFetchDuringWriteDoesNotLoadAgain(t *testing.T) {
	ctx := context.Background()
	c := newCache(t)
	var calls atomic.Int64
	load := func(context.Context) (int, error) { calls.Add(1); return 5, nil }
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			if v, err := cachekit.Fetch(ctx, c, "price:W", time.Minute, load); err != nil || v != 5 {
				t.Errorf("Fetch = %d, %v", v, err)
			}
		})
	}
	wg.Wait()
	if calls.Load() != 1 {
		t.Fatalf("50 Fetches loaded %d times; want 1", calls.Load())
	}
}

// landed waits until a Fetch's write (behind its return) is in the store and the flight has ended, so
// the next Fetch reads the cache.
func landed(t *testing.T, c *cachekit.Cache, key string) {
	t.Helper()
	eventually(t, key+" written and its flight ended", func() bool {
		r, err := cachekit.FetchResult(context.Background(), c, key, time.Minute, func(context.Context) (int, error) {
			return 0, errors.New("landed: loaded")
		})
		return err == nil && r.Cached // a hit, not the finished flight's value
	})
}

// FetchMany calls the loader once for all the misses, reads the hits in one store call, and overlapping
// batches load each key once; keys the loader does not return are absent and remembered.
func TestFetchMany(t *testing.T) {
	ctx := context.Background()
	forEachPolicyStore(t, cachekit.Policy{NegativeTTL: time.Minute}, func(t *testing.T, c *cachekit.Cache, clock *fakeClock) {
		var calls atomic.Int64
		var loaded sync.Map // key → times loaded
		release := make(chan struct{})
		load := func(ctx context.Context, keys []string) (map[string]int, error) {
			calls.Add(1)
			<-release
			out := map[string]int{}
			for _, k := range keys {
				n, _ := loaded.LoadOrStore(k, new(atomic.Int64))
				n.(*atomic.Int64).Add(1)
				if k != "ticker:NONE" {
					out[k] = len(k)
				}
			}
			return out, nil
		}
		if err := c.Set(ctx, "ticker:HIT", 42, time.Minute); err != nil {
			t.Fatal(err)
		}
		keys := []string{"ticker:A", "ticker:BB", "ticker:HIT", "ticker:NONE", "ticker:A"}
		const callers = 100
		var wg sync.WaitGroup
		results := make([]map[string]int, callers)
		errs := make([]error, callers)
		for i := range callers {
			wg.Go(func() { results[i], errs[i] = cachekit.FetchMany(ctx, c, keys, time.Minute, load) })
		}
		eventually(t, "a loader call", func() bool { return calls.Load() >= 1 })
		time.Sleep(20 * time.Millisecond) // let the other callers join the flights (not a timing assertion)
		close(release)
		wg.Wait()
		for i := range callers {
			want := map[string]int{"ticker:A": 8, "ticker:BB": 9, "ticker:HIT": 42}
			if errs[i] != nil || len(results[i]) != len(want) {
				t.Fatalf("caller %d: %v, %v; want %v", i, results[i], errs[i], want)
			}
			for k, v := range want {
				if results[i][k] != v {
					t.Fatalf("caller %d: %s = %d; want %d", i, k, results[i][k], v)
				}
			}
		}
		loaded.Range(func(k, n any) bool {
			if got := n.(*atomic.Int64).Load(); got != 1 {
				t.Errorf("%v loaded %d times by %d overlapping FetchMany calls; want once", k, got, callers)
			}
			return true
		})
		if _, ok := loaded.Load("ticker:HIT"); ok {
			t.Error("a cached key was loaded")
		}
		// The misses are cached now (behind the return), and the unknown key is remembered.
		eventually(t, "the loaded keys written", func() bool {
			ok, _ := c.Exists(ctx, "ticker:BB")
			return ok
		})
		before := calls.Load()
		got, err := cachekit.FetchMany(ctx, c, []string{"ticker:A", "ticker:BB", "ticker:NONE"}, time.Minute, load)
		if err != nil || len(got) != 2 || calls.Load() != before {
			t.Fatalf("FetchMany of cached keys and a remembered unknown one = %v, %v, %d loader calls; want 0", got, err, calls.Load()-before)
		}
	})
}

// A failing batch loader serves fail-safe values for the keys that have them and reports the others.
func TestFetchManyFailSafe(t *testing.T) {
	ctx := context.Background()
	forEachPolicyStore(t, cachekit.Policy{FailSafe: time.Minute}, func(t *testing.T, c *cachekit.Cache, clock *fakeClock) {
		ok := func(_ context.Context, keys []string) (map[string]int, error) {
			return map[string]int{"price:OLD": 1}, nil
		}
		if _, err := cachekit.FetchMany(ctx, c, []string{"price:OLD"}, 10*time.Second, ok); err != nil {
			t.Fatal(err)
		}
		landed(t, c, "price:OLD")
		clock.Advance(20 * time.Second)
		down := errors.New("batch endpoint down")
		got, err := cachekit.FetchMany(ctx, c, []string{"price:OLD", "price:NEW"}, 10*time.Second,
			func(context.Context, []string) (map[string]int, error) { return nil, down })
		if !errors.Is(err, down) || got["price:OLD"] != 1 || len(got) != 1 {
			t.Fatalf("FetchMany with the loader down = %v, %v; want the fail-safe value and the error", got, err)
		}
	})
}

// Policies come from the environment and URL options by the one precedence rule; a bad one names its
// source.
func TestPolicyConfiguration(t *testing.T) {
	ctx := context.Background()
	t.Setenv("CACHE_DRIVER", "memory")
	t.Setenv("REDIS_URL", "")
	t.Setenv("REDIS_CACHE_POLICY_TICKER", "failsafe=30s")
	t.Setenv("REDIS_CACHE_POLICY", "swr=1s")
	c, err := cachekit.OpenEnv(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	tp := c.PolicyFor("ticker:QRL/USDT")
	if tp.FailSafe != 30*time.Second || tp.StaleWhileRevalidate != 2*time.Second {
		t.Fatalf("ticker policy %s; want failsafe 30s over the built-in swr 2s", tp)
	}
	if p := c.PolicyFor("balance:X"); p.StaleWhileRevalidate != time.Second {
		t.Fatalf("default policy %s; want swr=1s", p)
	}
	u, err := cachekit.Open(ctx, "memory://?policy.ohlcv=failsafe%3D1h,soft%3D0")
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	if p := u.PolicyFor("ohlcv:X:1d:1"); p.FailSafe != time.Hour || p.SoftTimeout != 0 || p.HardTimeout != 10*time.Second {
		t.Fatalf("URL ohlcv policy %s", p)
	}
	t.Setenv("REDIS_CACHE_POLICY_TICKER", "failsafe=soon")
	if _, err := cachekit.ConfigFromEnv(); err == nil || !strings.Contains(err.Error(), "REDIS_CACHE_POLICY_TICKER") {
		t.Fatalf("bad policy: %v", err)
	}
	t.Setenv("REDIS_CACHE_POLICY_TICKER", "retries=3")
	if _, err := cachekit.ConfigFromEnv(); err == nil || !strings.Contains(err.Error(), "retries") {
		t.Fatalf("unknown policy setting: %v", err)
	}
}

// During a Redis hang (every client paused), a Fetch with a 250 ms deadline and a 20 ms loader still
// succeeds: the store read gets a quarter of the deadline, the loader the rest, and the write happens
// behind the return. (On the code before, 69 of 72 such Fetches failed.)
func TestFetchDuringARedisHangHonoursTheCallersDeadline(t *testing.T) {
	srv := redistest.Dedicated(t)
	c, err := cachekit.Open(context.Background(), srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	srv.Do(t, "CLIENT", "PAUSE", "3000", "ALL")
	load := func(ctx context.Context) (int, error) {
		select {
		case <-time.After(20 * time.Millisecond):
			return 7, nil
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	}
	failed := 0
	for i := range 8 {
		ctx, cancel := context.WithTimeout(context.Background(), 250*time.Millisecond)
		v, err := cachekit.Fetch(ctx, c, fmt.Sprintf("ticker:HANG%d", i), 0, load)
		cancel()
		if err != nil || v != 7 {
			failed++
			t.Logf("Fetch %d during the hang: %d, %v", i, v, err)
		}
	}
	if failed > 0 {
		t.Fatalf("%d of 8 Fetches failed during a Redis hang; want 0", failed)
	}
	if c.Counters().StoreErrors == 0 {
		t.Fatal("the hang was not counted as store errors")
	}
}

// Findings of the review of the read path, each pinned.
func TestReadPathReviewFindings(t *testing.T) {
	ctx := context.Background()
	t.Run("Close ends a blocked load", func(t *testing.T) {
		c, err := cachekit.New(newStore(t))
		if err != nil {
			t.Fatal(err)
		}
		ended := make(chan error, 1)
		fctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
		defer cancel()
		_, _ = cachekit.Fetch(fctx, c, "account:balance", 0, func(ctx context.Context) (int, error) {
			<-ctx.Done()
			ended <- ctx.Err()
			return 0, ctx.Err()
		})
		c.Close()
		select {
		case <-ended:
		case <-time.After(5 * time.Second):
			t.Fatal("a load blocked on its context outlived Close")
		}
	})
	t.Run("early refresh honours the back-off", func(t *testing.T) {
		clock := newFakeClock()
		c := newCache(t, cachekit.WithClock(clock.Now), cachekit.WithDefaultPolicy(cachekit.Policy{EarlyRefresh: 0.5, FailBackoff: time.Minute}))
		var calls atomic.Int64
		fail := false
		load := func(context.Context) (int, error) {
			calls.Add(1)
			if fail {
				return 0, errors.New("down")
			}
			return 1, nil
		}
		if _, err := cachekit.Fetch(ctx, c, "price:EB", 10*time.Second, load); err != nil {
			t.Fatal(err)
		}
		landed(t, c, "price:EB")
		fail = true
		clock.Advance(9999 * time.Millisecond)
		for range 50 {
			_, _ = cachekit.Fetch(ctx, c, "price:EB", 10*time.Second, load)
			time.Sleep(100 * time.Microsecond)
		}
		if n := calls.Load(); n > 2 {
			t.Fatalf("a failing upstream was called %d times by early refreshes inside the back-off; want at most 2", n)
		}
	})
	t.Run("invalidation forgets a remembered no-such-value", func(t *testing.T) {
		c := newCache(t, cachekit.WithDefaultPolicy(cachekit.Policy{NegativeTTL: time.Hour}))
		listed := false
		load := func(context.Context) (int, error) {
			if !listed {
				return 0, cachekit.ErrNoValue
			}
			return 5, nil
		}
		if _, err := cachekit.Fetch(ctx, c, "ticker:NEW", 0, load); !errors.Is(err, cachekit.ErrNoValue) {
			t.Fatal(err)
		}
		listed = true
		if _, err := c.Delete(ctx, "ticker:NEW"); err != nil {
			t.Fatal(err)
		}
		if v, err := cachekit.Fetch(ctx, c, "ticker:NEW", 0, load); err != nil || v != 5 {
			t.Fatalf("Fetch after Delete of a remembered unknown key = %d, %v; want a load", v, err)
		}
	})
	t.Run("an invalid per-call policy is an error", func(t *testing.T) {
		c := newCache(t)
		load := func(context.Context) (int, error) { return 1, nil }
		if _, err := cachekit.Fetch(ctx, c, "price:P", 0, load, cachekit.FetchPolicy(cachekit.Policy{Jitter: 1.9})); err == nil {
			t.Fatal("jitter 1.9 accepted")
		}
		if _, err := cachekit.FetchMany(ctx, c, []string{"price:P"}, 0, func(context.Context, []string) (map[string]int, error) { return nil, nil },
			cachekit.MaxAge(-time.Second)); err == nil {
			t.Fatal("negative MaxAge accepted")
		}
	})
}

// FetchMany during a Redis hang with a 250 ms deadline is served by its loader, as Fetch is.
func TestFetchManyDuringARedisHang(t *testing.T) {
	srv := redistest.Dedicated(t)
	c, err := cachekit.Open(context.Background(), srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	srv.Do(t, "CLIENT", "PAUSE", "3000", "ALL")
	ctx, cancel := context.WithTimeout(context.Background(), 250*time.Millisecond)
	defer cancel()
	got, err := cachekit.FetchMany(ctx, c, []string{"ticker:H1", "ticker:H2"}, 0, func(ctx context.Context, keys []string) (map[string]int, error) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		out := map[string]int{}
		for _, k := range keys {
			out[k] = 1
		}
		return out, nil
	})
	if err != nil || len(got) != 2 {
		t.Fatalf("FetchMany during a Redis hang = %v, %v; want both loaded", got, err)
	}
}
