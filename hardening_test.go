package cachekit_test

// Regression tests for the hardening issue: each failed on the code before it.

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/cachekit/cachekit"
	"github.com/cachekit/cachekit/internal/redistest"
	"github.com/cachekit/cachekit/store"
	_ "github.com/cachekit/cachekit/store/tiered"
)

// A panicking loader comes back to every waiting caller as an error wrapping ErrLoaderPanic, with the
// panic value and a stack; the process lives and nothing is cached. Same for Warm.
func TestLoaderPanicIsAnErrorForEveryWaiter(t *testing.T) {
	ctx := context.Background()
	c := newCache(t)
	release := make(chan struct{})
	var calls atomic.Int64
	load := func(context.Context) (int, error) {
		calls.Add(1)
		<-release
		panic("exchange client bug")
	}
	const waiters = 10
	errs := make(chan error, waiters)
	var started sync.WaitGroup
	for range waiters {
		started.Add(1)
		go func() {
			started.Done()
			_, err := cachekit.Fetch(ctx, c, "ticker:PANIC", 0, load)
			errs <- err
		}()
	}
	started.Wait()
	time.Sleep(20 * time.Millisecond) // let the waiters join the flight (not a timing assertion)
	close(release)
	for range waiters {
		err := <-errs
		var pe *cachekit.LoaderPanicError
		if !errors.Is(err, cachekit.ErrLoaderPanic) || !errors.As(err, &pe) {
			t.Fatalf("Fetch with a panicking loader = %v; want a *LoaderPanicError", err)
		}
		if pe.Value != "exchange client bug" || !strings.Contains(string(pe.Stack), "hardening_test.go") || pe.Key != "ticker:PANIC" {
			t.Fatalf("panic error carries value %v, key %q, stack %d bytes", pe.Value, pe.Key, len(pe.Stack))
		}
	}
	if ok, _ := c.Exists(ctx, "ticker:PANIC"); ok {
		t.Fatal("a panicking load cached something")
	}
	if n := c.Counters().LoaderPanics; n != calls.Load() || n < 1 {
		t.Fatalf("LoaderPanics = %d, loader calls %d", n, calls.Load())
	}
	// An error value panicked with is matched too.
	boom := errors.New("boom")
	_, err := cachekit.Fetch(ctx, c, "ticker:PANIC2", 0, func(context.Context) (int, error) { panic(boom) })
	if !errors.Is(err, boom) || !errors.Is(err, cachekit.ErrLoaderPanic) {
		t.Fatalf("panic(err): Fetch = %v; want both ErrLoaderPanic and the panicked error", err)
	}

	res, err := c.Warm(ctx, []cachekit.WarmItem{
		{Key: "ticker:W1", Load: func(context.Context) (any, error) { panic("warm bug") }},
		{Key: "ticker:W2", Load: func(context.Context) (any, error) { return 2, nil }},
	}, nil)
	if err != nil || res.Success != 1 || res.Failed != 1 || !errors.Is(res.Errors["ticker:W1"], cachekit.ErrLoaderPanic) {
		t.Fatalf("Warm with a panicking loader = %+v, %v", res, err)
	}
}

// Concurrent Fetches of one key with different types never share a result: each caller gets its own
// type, and nothing panics.
func TestFetchOfOneKeyWithTwoTypes(t *testing.T) {
	ctx := context.Background()
	c := newCache(t)
	inA := make(chan struct{})
	release := make(chan struct{})
	type shapeA map[string]int
	var wg sync.WaitGroup
	var a shapeA
	var errA error
	wg.Add(1)
	go func() {
		defer wg.Done()
		a, errA = cachekit.Fetch(ctx, c, "deals:TWO", 0, func(context.Context) (shapeA, error) {
			close(inA)
			<-release
			return shapeA{"n": 1}, nil
		})
	}()
	<-inA // A's load is in flight for the key
	b, errB := cachekit.Fetch(ctx, c, "deals:TWO", 0, func(context.Context) (string, error) { return "b", nil })
	close(release)
	wg.Wait()
	if errA != nil || a["n"] != 1 {
		t.Fatalf("Fetch[map] = %v, %v", a, errA)
	}
	if errB != nil || b != "b" {
		t.Fatalf("Fetch[string] during Fetch[map] = %q, %v; want its own load", b, errB)
	}
}

// Coalesced Fetch callers each get their own copy of the loaded value.
func TestCoalescedFetchResultsAreEachCallersOwn(t *testing.T) {
	ctx := context.Background()
	c := newCache(t)
	release := make(chan struct{})
	var loads atomic.Int64
	load := func(context.Context) ([]int, error) {
		loads.Add(1)
		<-release
		return []int{1, 2, 3}, nil
	}
	const n = 8
	results := make([][]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() { defer wg.Done(); results[i], _ = cachekit.Fetch(ctx, c, "ohlcv:COAL", 0, load) }()
	}
	time.Sleep(20 * time.Millisecond)
	close(release)
	wg.Wait()
	if loads.Load() < 1 || loads.Load() >= n {
		t.Fatalf("%d loads for %d concurrent Fetches; want them coalesced", loads.Load(), n)
	}
	for i := range results {
		for j := range results {
			if i != j && len(results[i]) == 3 && sameArray(results[i], results[j]) {
				t.Fatalf("callers %d and %d share one slice", i, j)
			}
		}
		if len(results[i]) != 3 || results[i][2] != 3 {
			t.Fatalf("caller %d got %v", i, results[i])
		}
	}
}

// mismatchStores are the stores the type-mismatch rules are checked on, real Redis included.
func mismatchStores() map[string]func(t *testing.T) store.Store {
	m := stores()
	m["redis"] = func(t *testing.T) store.Store {
		s, err := store.Open(context.Background(), redistest.Standalone(t).URL)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	return m
}

// A well-formed value of another shape is not corrupt: Get reports ErrTypeMismatch naming the key and
// the type, the entry stays for its owner, dst is untouched; Fetch loads, returns and overwrites, and
// counts it. Undecodable bytes are still deleted and read as a miss.
func TestTypeMismatchKeepsTheEntry(t *testing.T) {
	ctx := context.Background()
	for name, open := range mismatchStores() {
		t.Run(name, func(t *testing.T) {
			ns := redistest.Namespace(t)
			c := newCacheOver(t, open(t), cachekit.WithNamespace(ns))
			full := ns + ":v1:balance:QRL"
			if err := c.Set(ctx, "balance:QRL", 42, 0); err != nil {
				t.Fatal(err)
			}
			s := "untouched"
			err := c.Get(ctx, "balance:QRL", &s)
			if !errors.Is(err, cachekit.ErrTypeMismatch) || errors.Is(err, cachekit.ErrNotFound) {
				t.Fatalf("Get of 42 into *string = %v; want ErrTypeMismatch (not a miss)", err)
			}
			if !strings.Contains(err.Error(), `"balance:QRL"`) || !strings.Contains(err.Error(), "*string") {
				t.Fatalf("mismatch error %q does not name the key and the type", err)
			}
			if s != "untouched" {
				t.Fatalf("dst = %q after a failed decode; want it untouched", s)
			}
			if _, err := c.Store().Get(ctx, full); err != nil {
				t.Fatalf("the mismatched entry was deleted: %v", err)
			}
			var n int
			if err := c.Get(ctx, "balance:QRL", &n); err != nil || n != 42 {
				t.Fatalf("the owner's read after a mismatch = %d, %v", n, err)
			}
			// A struct half filled before the failing field stays untouched too.
			type pair struct {
				A string `json:"a" msgpack:"a"`
				B int    `json:"b" msgpack:"b"`
			}
			if err := c.Set(ctx, "balance:PAIR", map[string]any{"a": "new", "b": "not a number"}, 0); err != nil {
				t.Fatal(err)
			}
			p := pair{A: "old", B: 7}
			if err := c.Get(ctx, "balance:PAIR", &p); !errors.Is(err, cachekit.ErrTypeMismatch) || p != (pair{A: "old", B: 7}) {
				t.Fatalf("Get into a struct = %v, dst %+v; want ErrTypeMismatch and dst untouched", err, p)
			}
			// View reports it the same way and keeps the entry.
			if _, err := cachekit.View[string](ctx, c, "balance:QRL"); !errors.Is(err, cachekit.ErrTypeMismatch) {
				t.Fatalf("View of 42 as string = %v; want ErrTypeMismatch", err)
			}

			loads := 0
			v, err := cachekit.Fetch(ctx, c, "balance:QRL", 0, func(context.Context) (string, error) { loads++; return "mine", nil })
			if err != nil || v != "mine" || loads != 1 {
				t.Fatalf("Fetch[string] over a stored int = %q, %v, %d loads; want the loaded value", v, err, loads)
			}
			// Fetch writes behind its return: wait for the overwrite to land.
			eventually(t, "the mismatched entry overwritten by Fetch", func() bool {
				return c.Get(ctx, "balance:QRL", &s) == nil && s == "mine"
			})
			ct := c.Counters()
			if ct.TypeMismatches < 3 || ct.Corrupt != 0 {
				t.Fatalf("counters: TypeMismatches %d, Corrupt %d; want >= 3 and 0", ct.TypeMismatches, ct.Corrupt)
			}

			// Undecodable bytes: deleted, a miss, counted as corrupt.
			if err := c.Store().Set(ctx, full, []byte(`{"a":`), time.Minute); err != nil {
				t.Fatal(err)
			}
			if err := c.Get(ctx, "balance:QRL", &s); !errors.Is(err, cachekit.ErrNotFound) {
				t.Fatalf("Get of truncated JSON = %v; want a miss", err)
			}
			if _, err := c.Store().Get(ctx, full); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("the corrupt entry was kept: %v", err)
			}
			if c.Counters().Corrupt != 1 {
				t.Fatalf("Corrupt = %d; want 1", c.Counters().Corrupt)
			}
			// GetMany leaves a mismatched value out of the map and keeps it.
			_ = c.Set(ctx, "balance:A", 1, 0)
			_ = c.Set(ctx, "balance:B", "two", 0)
			got, err := cachekit.GetMany[int](ctx, c, []string{"balance:A", "balance:B"})
			if err != nil || len(got) != 1 || got["balance:A"] != 1 {
				t.Fatalf("GetMany[int] = %v, %v", got, err)
			}
			if ok, _ := c.Exists(ctx, "balance:B"); !ok {
				t.Fatal("GetMany deleted a mismatched entry")
			}
		})
	}
}

// Cache options written in REDIS_URL are honoured by OpenEnv (redis and tiered drivers), and a setting
// given twice with different values is an error naming both sources.
func TestOpenEnvHonoursAndChecksURLOptions(t *testing.T) {
	ctx := context.Background()
	srv := redistest.Standalone(t)
	ns := redistest.Namespace(t)
	for _, driver := range []string{"redis", "tiered"} {
		t.Run(driver, func(t *testing.T) {
			t.Setenv("CACHE_DRIVER", driver)
			t.Setenv("REDIS_URL", srv.URL+"?namespace="+ns+"&codec=msgpack&ttl=42")
			t.Setenv("REDIS_NAMESPACE", "")
			c, err := cachekit.OpenEnv(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if c.Keyspace().Namespace() != ns || c.Codec().Name() != "msgpack" || c.DefaultTTL() != 42*time.Second {
				t.Fatalf("OpenEnv dropped URL options: namespace %q codec %s ttl %v", c.Keyspace().Namespace(), c.Codec().Name(), c.DefaultTTL())
			}
			if err := c.Ping(ctx); err != nil {
				t.Fatalf("Ping: %v", err)
			}

			t.Setenv("REDIS_NAMESPACE", ns) // agreeing sources are fine
			c2, err := cachekit.OpenEnv(ctx)
			if err != nil {
				t.Fatalf("agreeing REDIS_NAMESPACE: %v", err)
			}
			c2.Close()

			t.Setenv("REDIS_NAMESPACE", "bar")
			_, err = cachekit.OpenEnv(ctx)
			if !errors.Is(err, cachekit.ErrConflict) || !strings.Contains(err.Error(), "REDIS_NAMESPACE=bar") ||
				!strings.Contains(err.Error(), "REDIS_URL option namespace="+ns) {
				t.Fatalf("conflicting namespace: %v; want ErrConflict naming both", err)
			}
			t.Setenv("REDIS_NAMESPACE", "")
			t.Setenv("CACHE_CODEC", "json")
			if _, err := cachekit.OpenEnv(ctx); !errors.Is(err, cachekit.ErrConflict) {
				t.Fatalf("conflicting codec: %v", err)
			}
			t.Setenv("CACHE_CODEC", "")
			if _, err := cachekit.OpenEnv(ctx, cachekit.WithNamespace("other")); !errors.Is(err, cachekit.ErrConflict) ||
				!strings.Contains(err.Error(), `WithNamespace("other")`) {
				t.Fatalf("Go option against REDIS_URL's: %v", err)
			}
		})
	}
}

// The original bot's per-kind TTLs apply to a key whatever API writes it.
func TestKindTTLsWhateverWritesTheKey(t *testing.T) {
	ctx := context.Background()
	t.Setenv("REDIS_URL", "")
	t.Setenv("CACHE_DRIVER", "memory")
	t.Setenv("REDIS_CACHE_TTL_DEALS", "12")
	c, err := cachekit.OpenEnv(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	want := map[string]time.Duration{"ticker": 5 * time.Second, "ohlcv": 86400 * time.Second, "deals": 12 * time.Second, "orderbook": 5 * time.Second, "other": time.Minute}
	for kind, d := range want {
		setKey, warmKey, fetchKey := kind+":SET", kind+":WARM", kind+":FETCH"
		if err := c.Set(ctx, setKey, 1, 0); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Warm(ctx, []cachekit.WarmItem{{Key: warmKey, Load: func(context.Context) (any, error) { return 1, nil }}}, nil); err != nil {
			t.Fatal(err)
		}
		r, err := cachekit.FetchResult(ctx, c, fetchKey, 0, func(context.Context) (int, error) { return 1, nil })
		if err != nil {
			t.Fatal(err)
		}
		// Fetch's fresh TTL is the kind's, shortened by the policy's jitter; the store keeps the value
		// longer, for the stale window.
		jitter := time.Duration(c.PolicyFor(fetchKey).Jitter * float64(d))
		if fresh := r.FreshUntil.Sub(r.WrittenAt); fresh > d || fresh < d-jitter-time.Second {
			t.Errorf("Fetch of %s: fresh for %v; want about %v", fetchKey, fresh, d)
		}
		for _, key := range []string{setKey, warmKey} {
			got, err := c.TTL(ctx, key)
			if err != nil || got > d || got < d-2*time.Second {
				t.Errorf("TTL(%s) = %v, %v; want about %v", key, got, err, d)
			}
		}
	}
}

// Fetch serves the loader's value on any store failure, not only ErrUnavailable: here every command is
// refused with NOAUTH (the server requires a password the Cache does not have).
func TestFetchFailsOpenOnAnyStoreFailure(t *testing.T) {
	ctx := context.Background()
	srv := redistest.Dedicated(t)
	admin := goredis.NewClient(&goredis.Options{Addr: srv.Addr})
	defer admin.Close()
	if err := admin.ConfigSet(ctx, "requirepass", "s3cret").Err(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		a := goredis.NewClient(&goredis.Options{Addr: srv.Addr, Password: "s3cret"})
		a.ConfigSet(context.Background(), "requirepass", "")
		a.Close()
	})
	c, err := cachekit.Open(ctx, srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var n int
	if err := c.Get(ctx, "ticker:AUTH", &n); err == nil || errors.Is(err, cachekit.ErrNotFound) {
		t.Fatalf("Get without the password = %v; want a store failure", err)
	}
	v, err := cachekit.Fetch(ctx, c, "ticker:AUTH", 0, func(context.Context) (int, error) { return 7, nil })
	if err != nil || v != 7 {
		t.Fatalf("Fetch on a refusing store = %d, %v; want the loader's value", v, err)
	}
	if c.Counters().StoreErrors < 1 {
		t.Fatalf("StoreErrors = %d; want the failure counted", c.Counters().StoreErrors)
	}
	if err := c.Ping(ctx); err == nil {
		t.Fatal("Ping of a server refusing us succeeded")
	}
}

// Stats returns the counters while Redis is down, within its bound, and the namespace key count is not
// a SCAN on every call. A Cache whose first Stats finds Redis stopped or hung returns one error, not one
// for the store's figures and another for the key count.
func TestStatsDuringAnOutage(t *testing.T) {
	ctx := context.Background()
	srv := redistest.Dedicated(t)
	c, err := cachekit.Open(ctx, srv.URL+"?dial_timeout=100ms&read_timeout=100ms&write_timeout=100ms", cachekit.WithStatsTimeout(300*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for i := range 5 {
		if err := c.Set(ctx, fmt.Sprintf("ticker:S%d", i), i, 0); err != nil {
			t.Fatal(err)
		}
	}
	var n int
	_ = c.Get(ctx, "ticker:S1", &n)
	_ = c.Get(ctx, "ticker:NONE", &n)
	first, err := c.Stats(ctx)
	if err != nil || first.NamespaceKeys != 5 || first.NamespaceKeysAt.IsZero() {
		t.Fatalf("Stats = keys %d at %v, %v", first.NamespaceKeys, first.NamespaceKeysAt, err)
	}
	again, _ := c.Stats(ctx)
	if !again.NamespaceKeysAt.Equal(first.NamespaceKeysAt) {
		t.Fatal("a second Stats right after the first counted the namespace again")
	}

	srv.Stop(t)
	began := time.Now()
	st, err := c.Stats(ctx)
	took := time.Since(began)
	if !errors.Is(err, cachekit.ErrUnavailable) {
		t.Fatalf("Stats with Redis stopped: %v; want ErrUnavailable", err)
	}
	// A Cache whose first Stats finds Redis down (its namespace key count fails too) says so once.
	fresh, err := cachekit.Open(ctx, srv.URL+"?dial_timeout=100ms&read_timeout=100ms&write_timeout=100ms", cachekit.WithStatsTimeout(300*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Close()
	if _, err := fresh.Stats(ctx); !errors.Is(err, cachekit.ErrUnavailable) || strings.Contains(err.Error(), "\n") {
		t.Fatalf("first Stats with Redis stopped: %q; want one ErrUnavailable, on one line", err)
	}
	if st.Hits != 1 || st.Misses != 1 {
		t.Fatalf("counters during the outage: hits %d misses %d; want 1 and 1", st.Hits, st.Misses)
	}
	if got := c.Counters(); got.Hits != 1 || got.Misses != 1 {
		t.Fatalf("Counters during the outage = %+v", got)
	}
	// Bound with generous slack for a loaded machine: the point is "not seconds of retries".
	if took > 2*time.Second {
		t.Fatalf("Stats took %v with Redis down; want about its 300ms bound", took)
	}
	if err := c.Ping(ctx); !errors.Is(err, cachekit.ErrUnavailable) {
		t.Fatalf("Ping with Redis stopped = %v; want ErrUnavailable", err)
	}
	// And so does one whose first Stats finds Redis hung (paused): the bound ends both figures' reads.
	srv.Start(t)
	srv.Pause(t)
	hung, err := cachekit.Open(ctx, srv.URL+"?dial_timeout=100ms&read_timeout=100ms&write_timeout=100ms", cachekit.WithStatsTimeout(300*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer hung.Close()
	_, err = hung.Stats(ctx)
	srv.Resume(t)
	if err == nil || strings.Contains(err.Error(), "\n") {
		t.Fatalf("first Stats with Redis paused: %q; want one error, on one line", err)
	}
	t.Logf("first Stats with Redis paused: %v", err)
}

// Warm does not count a corrupt entry as cached: it deletes it (counted) and loads the key.
func TestWarmReplacesACorruptEntry(t *testing.T) {
	ctx := context.Background()
	c := newCache(t)
	if err := c.Store().Set(ctx, "qrl:v1:ticker:BAD", []byte("{not json"), time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := c.Set(ctx, "ticker:GOOD", 1, 0); err != nil {
		t.Fatal(err)
	}
	loaded := 0
	load := func(context.Context) (any, error) { loaded++; return 2, nil }
	res, err := c.Warm(ctx, []cachekit.WarmItem{{Key: "ticker:BAD", Load: load}, {Key: "ticker:GOOD", Load: load}}, nil)
	if err != nil || res.Success != 1 || res.Skipped != 1 || loaded != 1 {
		t.Fatalf("Warm = %+v, %v, %d loads; want the corrupt key loaded and the good one skipped", res, err, loaded)
	}
	var n int
	if err := c.Get(ctx, "ticker:BAD", &n); err != nil || n != 2 {
		t.Fatalf("after Warm the key reads %d, %v", n, err)
	}
	if c.Counters().Corrupt != 1 {
		t.Fatalf("Corrupt = %d; want 1", c.Counters().Corrupt)
	}
}

// Smaller defects: malformed URLs say what is wrong, an unescaped nested tiered URL is refused as
// store.Open refuses it, a repeated cache option is an error, and Ping works on a store without one.
func TestURLErrorsAndPing(t *testing.T) {
	ctx := context.Background()
	for raw, want := range map[string]string{
		"redis://h:port/0":                  "invalid port",
		"redis://h/0?namespace=%zz":         "invalid URL escape",
		"memory://?namespace=a&namespace=b": `"namespace" given more than once`,
	} {
		_, err := cachekit.Open(ctx, raw)
		if !errors.Is(err, cachekit.ErrInvalidURL) || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "<unparsable URL>") {
			t.Errorf("Open(%q) = %v; want ErrInvalidURL saying %q", raw, err, want)
		}
	}
	nested := "tiered://?l1=memory://&l2=memory://?max_bytes=1MiB"
	_, storeErr := store.Open(ctx, nested)
	_, cacheErr := cachekit.Open(ctx, nested)
	if storeErr == nil || cacheErr == nil {
		t.Fatalf("unescaped nested URL: store.Open %v, cachekit.Open %v; want both to refuse", storeErr, cacheErr)
	}
	c := newCache(t)
	if err := c.Ping(ctx); err != nil {
		t.Fatalf("Ping of a memory cache: %v", err)
	}
	c.Close()
	if err := c.Ping(ctx); !errors.Is(err, cachekit.ErrClosed) {
		t.Fatalf("Ping after Close = %v", err)
	}
}

// eventually waits (up to 5 s) for cond, which checks an effect that lands behind a call's return (a
// Fetch's write). It is not a timing assertion: the bound only keeps a broken build from hanging.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("%s: never happened", what)
		}
		time.Sleep(time.Millisecond)
	}
}
