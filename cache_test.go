package cachekit_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/cachekit/cachekit"
	"github.com/cachekit/cachekit/codec"
	"github.com/cachekit/cachekit/store"
	"github.com/cachekit/cachekit/store/memory"
)

type ticker struct {
	Symbol string          `json:"symbol" msgpack:"symbol"`
	Last   decimal.Decimal `json:"last" msgpack:"last"`
	At     time.Time       `json:"at" msgpack:"at"`
}

func newStore(t *testing.T) store.Store {
	t.Helper()
	s, err := memory.New(memory.Options{MaxBytes: 16 << 20})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func newCache(t *testing.T, opts ...cachekit.Option) *cachekit.Cache {
	t.Helper()
	c, err := cachekit.New(newStore(t), opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestSetGetRoundTripsTypedValuesUnderNamespacedKey(t *testing.T) {
	ctx := context.Background()
	for _, cd := range []codec.Codec{codec.JSON, codec.Msgpack} {
		t.Run(cd.Name(), func(t *testing.T) {
			c := newCache(t, cachekit.WithCodec(cd))
			in := ticker{Symbol: "QRL/USDT", Last: decimal.RequireFromString("0.123456789012345678901234567"), At: time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)}
			if err := c.Set(ctx, "ticker:QRL/USDT", in, 0); err != nil {
				t.Fatal(err)
			}
			var out ticker
			if err := c.Get(ctx, "ticker:QRL/USDT", &out); err != nil {
				t.Fatal(err)
			}
			if out.Symbol != in.Symbol || !out.Last.Equal(in.Last) || out.Last.String() != in.Last.String() || !out.At.Equal(in.At) {
				t.Fatalf("round trip: got %+v, want %+v", out, in)
			}
			// The store sees the full, readable key.
			if _, err := c.Store().Get(ctx, "qrl:v1:ticker:QRL/USDT"); err != nil {
				t.Fatalf("full key not in store: %v", err)
			}
		})
	}
}

func TestMissIsErrNotFound(t *testing.T) {
	c := newCache(t)
	var v ticker
	err := c.Get(context.Background(), "ticker:NOPE", &v)
	if !errors.Is(err, cachekit.ErrNotFound) {
		t.Fatalf("Get miss = %v, want ErrNotFound", err)
	}
}

func TestBadInputIsAClearError(t *testing.T) {
	ctx := context.Background()
	c := newCache(t)
	var v ticker
	err := c.Get(ctx, "ticker::x", &v)
	if !errors.Is(err, cachekit.ErrInvalidKey) || !strings.Contains(err.Error(), "empty segment") {
		t.Fatalf("invalid key: %v", err)
	}
	if err := c.Set(ctx, "ticker:X", 1, -time.Second); !errors.Is(err, cachekit.ErrInvalidTTL) {
		t.Fatalf("negative TTL: %v", err)
	}
	if err := c.Get(ctx, "ticker:X", v); err == nil || !strings.Contains(err.Error(), "pointer") {
		t.Fatalf("non-pointer destination: %v", err)
	}
	err = c.Set(ctx, "ticker:X", make(chan int), 0)
	if !errors.Is(err, codec.ErrEncode) {
		t.Fatalf("unencodable value: %v", err)
	}
	if _, err := c.Store().Get(ctx, "qrl:v1:ticker:X"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("failed Set stored something: %v", err)
	}
	if _, err := c.DeletePattern(ctx, ""); !errors.Is(err, cachekit.ErrInvalidKey) {
		t.Fatalf("empty pattern: %v", err)
	}
	if _, err := cachekit.New(newStore(t), cachekit.WithNamespace("a:b")); !errors.Is(err, cachekit.ErrInvalidKey) {
		t.Fatalf("namespace with ':': %v", err)
	}
	if _, err := cachekit.New(newStore(t), cachekit.WithDefaultTTL(0)); !errors.Is(err, cachekit.ErrInvalidTTL) {
		t.Fatalf("zero default TTL: %v", err)
	}
}

func TestZeroTTLUsesKindTTLThenDefault(t *testing.T) {
	ctx := context.Background()
	c := newCache(t, cachekit.WithDefaultTTL(time.Hour), cachekit.WithKindTTL("ticker", 5*time.Second))
	if err := c.Set(ctx, "ticker:QRL/USDT", 1, 0); err != nil {
		t.Fatal(err)
	}
	if err := c.Set(ctx, "balance:QRL/USDT:20", 1, 0); err != nil {
		t.Fatal(err)
	}
	if err := c.Set(ctx, "deals:QRL/USDT:50", 1, 90*time.Second); err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]time.Duration{"ticker:QRL/USDT": 5 * time.Second, "balance:QRL/USDT:20": time.Hour, "deals:QRL/USDT:50": 90 * time.Second} {
		got, err := c.TTL(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		if got > want || got < want-2*time.Second {
			t.Errorf("TTL(%s) = %v, want about %v", key, got, want)
		}
	}
}

func TestCorruptEntryIsDeletedAndReadAsMiss(t *testing.T) {
	ctx := context.Background()
	c := newCache(t)
	for i, garbage := range [][]byte{{0xC1, 0x01, 0x63, 0x00, 1, 2}, []byte("not json {"), {0xC1}} {
		if err := c.Store().Set(ctx, "qrl:v1:ticker:BAD", garbage, time.Minute); err != nil {
			t.Fatal(err)
		}
		var v ticker
		if err := c.Get(ctx, "ticker:BAD", &v); !errors.Is(err, cachekit.ErrNotFound) {
			t.Fatalf("corrupt #%d: Get = %v, want ErrNotFound", i, err)
		}
		if _, err := c.Store().Get(ctx, "qrl:v1:ticker:BAD"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("corrupt #%d entry was not deleted: %v", i, err)
		}
		st, err := c.Stats(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if st.Corrupt != int64(i+1) {
			t.Fatalf("Stats.Corrupt = %d, want %d", st.Corrupt, i+1)
		}
	}
}

func TestCodecSwitchKeepsOldValuesReadable(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	jsonCache, _ := cachekit.New(s, cachekit.WithCodec(codec.JSON))
	mpCache, _ := cachekit.New(s, cachekit.WithCodec(codec.Msgpack))
	defer s.Close()
	in := ticker{Symbol: "QRL/USDT", Last: decimal.RequireFromString("1.10"), At: time.Unix(1700000000, 5).UTC()}
	if err := jsonCache.Set(ctx, "ticker:A", in, 0); err != nil {
		t.Fatal(err)
	}
	if err := mpCache.Set(ctx, "ticker:B", in, 0); err != nil {
		t.Fatal(err)
	}
	for _, read := range []*cachekit.Cache{jsonCache, mpCache} {
		for _, key := range []string{"ticker:A", "ticker:B"} {
			var out ticker
			if err := read.Get(ctx, key, &out); err != nil {
				t.Fatalf("%s reading %s: %v", read.Codec().Name(), key, err)
			}
			if out.Last.String() != "1.1" && out.Last.String() != "1.10" || !out.At.Equal(in.At) {
				t.Fatalf("%s reading %s: %+v", read.Codec().Name(), key, out)
			}
		}
	}
}

func TestPlainJSONIsReadableByPythonAndBack(t *testing.T) {
	ctx := context.Background()
	c := newCache(t, cachekit.WithPlainJSON())
	if err := c.Set(ctx, "ticker:QRL/USDT", map[string]any{"last": 1.5}, 0); err != nil {
		t.Fatal(err)
	}
	raw, err := c.Store().Get(ctx, "qrl:v1:ticker:QRL/USDT")
	if err != nil {
		t.Fatal(err)
	}
	if string(raw) != `{"last":1.5}` {
		t.Fatalf("plain JSON write = %q", raw)
	}
	// What the Python CacheClient wrote with json.dumps: a number for a Decimal, an ISO string for a datetime.
	py := []byte(`{"symbol": "QRL/USDT", "last": 0.0012345678901234567890, "at": "2024-05-01T12:00:00.123456+00:00"}`)
	if err := c.Store().Set(ctx, "qrl:v1:ticker:PY", py, time.Minute); err != nil {
		t.Fatal(err)
	}
	var out ticker
	if err := c.Get(ctx, "ticker:PY", &out); err != nil {
		t.Fatal(err)
	}
	if out.Last.String() != "0.001234567890123456789" || out.At.Format(time.RFC3339Nano) != "2024-05-01T12:00:00.123456Z" {
		t.Fatalf("python value decoded as %+v (last %s)", out, out.Last)
	}
}

func TestManyRoundTripsAndCountsMisses(t *testing.T) {
	ctx := context.Background()
	c := newCache(t)
	err := c.SetMany(ctx, []cachekit.Entry{{Key: "n:1", Value: 1}, {Key: "n:2", Value: 2, TTL: time.Minute}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := cachekit.GetMany[int](ctx, c, []string{"n:1", "n:2", "n:3"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got["n:1"] != 1 || got["n:2"] != 2 {
		t.Fatalf("GetMany = %v", got)
	}
	st, _ := c.Stats(ctx)
	if st.Hits != 2 || st.Misses != 1 {
		t.Fatalf("hits/misses = %d/%d, want 2/1", st.Hits, st.Misses)
	}
	if err := c.SetMany(ctx, []cachekit.Entry{{Key: "n:4", Value: 4}, {Key: "bad::key", Value: 5}}); !errors.Is(err, cachekit.ErrInvalidKey) {
		t.Fatalf("SetMany with invalid key: %v", err)
	}
	if ok, _ := c.Exists(ctx, "n:4"); ok {
		t.Fatal("SetMany stored part of a batch that had an invalid key")
	}
}

func TestFetchLoadsOnceForConcurrentMisses(t *testing.T) {
	ctx := context.Background()
	c := newCache(t)
	var calls atomic.Int64
	release := make(chan struct{})
	var started sync.WaitGroup
	var wg sync.WaitGroup
	results := make([]int, 100)
	errs := make([]error, 100)
	for i := range 100 {
		started.Add(1)
		wg.Add(1)
		go func() {
			defer wg.Done()
			started.Done()
			results[i], errs[i] = cachekit.Fetch(ctx, c, "ticker:QRL/USDT", 0, func(context.Context) (int, error) {
				calls.Add(1)
				<-release
				return 42, nil
			})
		}()
	}
	started.Wait()
	time.Sleep(20 * time.Millisecond) // let callers reach the flight; late ones hit the cache instead
	close(release)
	wg.Wait()
	if n := calls.Load(); n != 1 {
		t.Fatalf("loader called %d times, want 1", n)
	}
	for i := range results {
		if errs[i] != nil || results[i] != 42 {
			t.Fatalf("caller %d got %d, %v", i, results[i], errs[i])
		}
	}
	var v int
	// The write lands behind Fetch's return.
	eventually(t, "the loaded value cached", func() bool { return c.Get(ctx, "ticker:QRL/USDT", &v) == nil })
	if v != 42 {
		t.Fatalf("Fetch did not cache: %d", v)
	}
	loadErr := errors.New("upstream down")
	_, err := cachekit.Fetch(ctx, c, "ticker:BTC/USDT", 0, func(context.Context) (int, error) { return 0, loadErr })
	if !errors.Is(err, loadErr) {
		t.Fatalf("load error = %v", err)
	}
	if ok, _ := c.Exists(ctx, "ticker:BTC/USDT"); ok {
		t.Fatal("a failed load was cached")
	}
}

func TestWarmSkipsCachedAndBoundsConcurrency(t *testing.T) {
	ctx := context.Background()
	c := newCache(t, cachekit.WithWarmConcurrency(3))
	if err := c.Set(ctx, "ticker:CACHED", 1, 0); err != nil {
		t.Fatal(err)
	}
	var running, maxRunning, calls atomic.Int64
	load := func(v int) func(context.Context) (any, error) {
		return func(context.Context) (any, error) {
			calls.Add(1)
			n := running.Add(1)
			for {
				m := maxRunning.Load()
				if n <= m || maxRunning.CompareAndSwap(m, n) {
					break
				}
			}
			time.Sleep(5 * time.Millisecond)
			running.Add(-1)
			return v, nil
		}
	}
	items := []cachekit.WarmItem{{Key: "ticker:CACHED", Load: load(0)}, {Key: "bad::key", Load: load(0)},
		{Key: "ticker:FAIL", Load: func(context.Context) (any, error) { return nil, errors.New("boom") }}}
	for i := range 10 {
		items = append(items, cachekit.WarmItem{Key: "n:" + string(rune('a'+i)), Load: load(i)})
	}
	var progressed atomic.Int64
	res, err := c.Warm(ctx, items, func(string, cachekit.WarmOutcome) { progressed.Add(1) })
	if err != nil {
		t.Fatal(err)
	}
	if res.Success != 10 || res.Skipped != 1 || res.Failed != 2 {
		t.Fatalf("Warm = %+v", res)
	}
	if calls.Load() != 10 {
		t.Fatalf("loaders called %d times, want 10 (cached and invalid keys must not load)", calls.Load())
	}
	if maxRunning.Load() > 3 {
		t.Fatalf("%d loaders ran at once, limit 3", maxRunning.Load())
	}
	if progressed.Load() != int64(len(items)) {
		t.Fatalf("progress called %d times for %d items", progressed.Load(), len(items))
	}
	if !errors.Is(res.Errors["bad::key"], cachekit.ErrInvalidKey) {
		t.Fatalf("invalid key error = %v", res.Errors["bad::key"])
	}
	var v int
	if err := c.Get(ctx, "n:c", &v); err != nil || v != 2 {
		t.Fatalf("warmed value = %d, %v", v, err)
	}
}

func TestClosedCacheRefusesEveryCall(t *testing.T) {
	ctx := context.Background()
	c := newCache(t)
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	var v int
	checks := map[string]error{
		"get":   c.Get(ctx, "a:b", &v),
		"set":   c.Set(ctx, "a:b", 1, 0),
		"stats": func() error { _, err := c.Stats(ctx); return err }(),
		"clear": func() error { _, err := c.ClearAll(ctx); return err }(),
		"fetch": func() error {
			_, err := cachekit.Fetch(ctx, c, "a:b", 0, func(context.Context) (int, error) { return 1, nil })
			return err
		}(),
	}
	for op, err := range checks {
		if !errors.Is(err, cachekit.ErrClosed) {
			t.Errorf("%s after Close = %v, want ErrClosed", op, err)
		}
	}
}

func TestCancelledContext(t *testing.T) {
	c := newCache(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var v int
	if err := c.Get(ctx, "a:b", &v); !errors.Is(err, context.Canceled) {
		t.Fatalf("Get with cancelled ctx = %v", err)
	}
}
