package cachekit_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
	"unsafe"

	"github.com/shopspring/decimal"

	"github.com/cachekit/cachekit"
	"github.com/cachekit/cachekit/codec"
	"github.com/cachekit/cachekit/store"
	"github.com/cachekit/cachekit/store/tiered"
)

// series has the parts a shared decoded value could leak through: a slice of decimals (big.Int
// pointers inside), a byte slice and a map.
type series struct {
	Symbol string            `json:"symbol" msgpack:"symbol"`
	N      int               `json:"n" msgpack:"n"`
	Closes []decimal.Decimal `json:"closes" msgpack:"closes"`
	Raw    []byte            `json:"raw" msgpack:"raw"`
	Tags   map[string]string `json:"tags" msgpack:"tags"`
}

func newSeries(n int) series {
	closes := make([]decimal.Decimal, 3)
	for i := range closes {
		closes[i] = decimal.New(int64(n), -4)
	}
	return series{Symbol: "QRL/USDT", N: n, Closes: closes, Raw: []byte{byte(n), 1, 2}, Tags: map[string]string{"n": fmt.Sprint(n)}}
}

// consistent reports why s is not a value newSeries wrote, or "".
func consistent(s series) string {
	want := newSeries(s.N)
	if s.Symbol != want.Symbol || len(s.Closes) != 3 || len(s.Raw) != 3 || s.Raw[0] != byte(s.N) || s.Tags["n"] != want.Tags["n"] {
		return fmt.Sprintf("%+v is not series %d", s, s.N)
	}
	for _, c := range s.Closes {
		if !c.Equal(want.Closes[0]) {
			return fmt.Sprintf("close %s in series %d", c, s.N)
		}
	}
	return ""
}

// plainStore hides a store's optional interfaces (Viewer, DecodedCache), as a third-party store would.
type plainStore struct{ store.Store }

func newCacheOver(t *testing.T, s store.Store, opts ...cachekit.Option) *cachekit.Cache {
	t.Helper()
	c, err := cachekit.New(s, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func newTieredStore(t *testing.T) store.Store {
	t.Helper()
	s, err := tiered.New(newStore(t), newStore(t), tiered.Options{L1MaxTTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// stores are the backends the read paths differ on: a Viewer+DecodedCache (memory), a composite one
// (tiered), and one with neither (the plain Store paths).
func stores() map[string]func(t *testing.T) store.Store {
	return map[string]func(t *testing.T) store.Store{
		"memory": newStore,
		"tiered": newTieredStore,
		"plain":  func(t *testing.T) store.Store { return plainStore{newStore(t)} },
	}
}

func sameArray[E any](a, b []E) bool { return unsafe.SliceData(a) == unsafe.SliceData(b) }

// Get, on every kind of store and with both codecs: a hit decodes the written value into a private copy
// (modifying it changes nothing the cache holds), a miss is ErrNotFound, a corrupt entry is deleted and
// read as a miss, and Stats counts each.
func TestGetHitMissCorruptOnEveryStoreKind(t *testing.T) {
	ctx := context.Background()
	for name, open := range stores() {
		for _, cd := range []codec.Codec{codec.JSON, codec.Msgpack} {
			t.Run(name+"/"+cd.Name(), func(t *testing.T) {
				c := newCacheOver(t, open(t), cachekit.WithCodec(cd))
				if err := c.Set(ctx, "ohlcv:QRL/USDT", newSeries(7), 0); err != nil {
					t.Fatal(err)
				}
				var a, b series
				if err := c.Get(ctx, "ohlcv:QRL/USDT", &a); err != nil {
					t.Fatal(err)
				}
				if why := consistent(a); why != "" || a.N != 7 {
					t.Fatalf("Get: %s (N %d)", why, a.N)
				}
				a.Closes[0], a.Raw[0], a.Tags["n"] = decimal.NewFromInt(-1), 99, "changed"
				if err := c.Get(ctx, "ohlcv:QRL/USDT", &b); err != nil {
					t.Fatal(err)
				}
				if why := consistent(b); why != "" || b.N != 7 || sameArray(a.Closes, b.Closes) {
					t.Fatalf("Get after modifying an earlier result: %s; the cache's value must not change", why)
				}

				var miss series
				if err := c.Get(ctx, "ohlcv:NOPE", &miss); !errors.Is(err, cachekit.ErrNotFound) {
					t.Fatalf("Get miss = %v; want ErrNotFound", err)
				}
				if err := c.Store().Set(ctx, "qrl:v1:ohlcv:BAD", []byte("not json {"), time.Minute); err != nil {
					t.Fatal(err)
				}
				if err := c.Get(ctx, "ohlcv:BAD", &miss); !errors.Is(err, cachekit.ErrNotFound) {
					t.Fatalf("Get of a corrupt entry = %v; want ErrNotFound", err)
				}
				if _, err := c.Store().Get(ctx, "qrl:v1:ohlcv:BAD"); !errors.Is(err, store.ErrNotFound) {
					t.Fatalf("the corrupt entry was not deleted: %v", err)
				}
				st, err := c.Stats(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if st.Hits != 2 || st.Misses != 2 || st.Corrupt != 1 {
					t.Fatalf("Stats: Hits %d, Misses %d, Corrupt %d; want 2, 2, 1", st.Hits, st.Misses, st.Corrupt)
				}
			})
		}
	}
}

// View on a DecodedCache shares one decoded form between readers until the next write; on a plain
// store every View is a private decode. Either way it returns the latest write.
func TestViewSharesOneFormPerWrite(t *testing.T) {
	ctx := context.Background()
	for name, open := range stores() {
		t.Run(name, func(t *testing.T) {
			c := newCacheOver(t, open(t), cachekit.WithCodec(codec.Msgpack))
			shares := name != "plain"
			for n := 1; n <= 3; n++ {
				if err := c.Set(ctx, "ohlcv:QRL/USDT", newSeries(n), 0); err != nil {
					t.Fatal(err)
				}
				first, err := cachekit.View[series](ctx, c, "ohlcv:QRL/USDT")
				if err != nil {
					t.Fatal(err)
				}
				second, err := cachekit.View[series](ctx, c, "ohlcv:QRL/USDT")
				if err != nil {
					t.Fatal(err)
				}
				for _, v := range []series{first, second} {
					if why := consistent(v); why != "" || v.N != n {
						t.Fatalf("View after writing series %d: N %d %s", n, v.N, why)
					}
				}
				if got := sameArray(first.Closes, second.Closes); got != shares {
					t.Fatalf("two Views share their slices: %v; want %v", got, shares)
				}
				var private series
				if err := c.Get(ctx, "ohlcv:QRL/USDT", &private); err != nil {
					t.Fatal(err)
				}
				if sameArray(private.Closes, first.Closes) {
					t.Fatal("Get returned View's shared slice; Get must return a private copy")
				}
			}
			// Another type over the same key gets its own decoding.
			type symbolOnly struct {
				Symbol string `json:"symbol" msgpack:"symbol"`
			}
			if v, err := cachekit.View[symbolOnly](ctx, c, "ohlcv:QRL/USDT"); err != nil || v.Symbol != "QRL/USDT" {
				t.Fatalf("View[symbolOnly] = %+v, %v", v, err)
			}
			if v, err := cachekit.View[series](ctx, c, "ohlcv:QRL/USDT"); err != nil || v.N != 3 {
				t.Fatalf("View[series] after View[symbolOnly] = N %d, %v", v.N, err)
			}
		})
	}
}

// View reports a miss, deletes and counts a corrupt entry (which must not be kept as a decoded form),
// and refuses an invalid key, a closed cache and a done context, like Get.
func TestViewMissCorruptAndBadInput(t *testing.T) {
	ctx := context.Background()
	for name, open := range stores() {
		t.Run(name, func(t *testing.T) {
			c := newCacheOver(t, open(t))
			if _, err := cachekit.View[series](ctx, c, "ohlcv:NOPE"); !errors.Is(err, cachekit.ErrNotFound) {
				t.Fatalf("View miss = %v; want ErrNotFound", err)
			}
			for i, garbage := range [][]byte{{0xC1, 0x01, 0x63, 0x00, 1, 2}, []byte("not json {"), []byte(`{"n":`)} {
				if err := c.Store().Set(ctx, "qrl:v1:ohlcv:BAD", garbage, time.Minute); err != nil {
					t.Fatal(err)
				}
				if _, err := cachekit.View[series](ctx, c, "ohlcv:BAD"); !errors.Is(err, cachekit.ErrNotFound) {
					t.Fatalf("corrupt #%d: View = %v; want ErrNotFound", i, err)
				}
				if _, err := c.Store().Get(ctx, "qrl:v1:ohlcv:BAD"); !errors.Is(err, store.ErrNotFound) {
					t.Fatalf("corrupt #%d was not deleted: %v", i, err)
				}
			}
			st, err := c.Stats(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if st.Hits != 0 || st.Misses != 4 || st.Corrupt != 3 {
				t.Fatalf("Stats: Hits %d, Misses %d, Corrupt %d; want 0, 4, 3", st.Hits, st.Misses, st.Corrupt)
			}

			for _, bad := range []string{"", "a::b", "a:b\x00", ":a"} {
				if _, err := cachekit.View[series](ctx, c, bad); !errors.Is(err, cachekit.ErrInvalidKey) {
					t.Fatalf("View(%q) = %v; want ErrInvalidKey", bad, err)
				}
			}
			cctx, cancel := context.WithCancel(ctx)
			cancel()
			if _, err := cachekit.View[series](cctx, c, "ohlcv:X"); !errors.Is(err, context.Canceled) {
				t.Fatalf("View with a cancelled context = %v", err)
			}
			_ = c.Close()
			if _, err := cachekit.View[series](ctx, c, "ohlcv:X"); !errors.Is(err, cachekit.ErrClosed) {
				t.Fatalf("View after Close = %v; want ErrClosed", err)
			}
		})
	}
}

// Reads borrow a pooled buffer for the full key; an error that names the key must keep naming it after
// later reads have reused the pool.
func TestErrorsKeepTheirKeyAfterLaterReads(t *testing.T) {
	ctx := context.Background()
	c := newCache(t)
	if err := c.Set(ctx, "ticker:HIT", newSeries(1), 0); err != nil {
		t.Fatal(err)
	}
	var v series
	getErr := c.Get(ctx, "ticker:MISSING-GET", &v)
	_, viewErr := cachekit.View[series](ctx, c, "ticker:MISSING-VIEW")
	for i := range 200 {
		_ = c.Get(ctx, fmt.Sprintf("ticker:OTHER%03d", i), &v)
		_ = c.Get(ctx, "ticker:HIT", &v)
		_, _ = cachekit.View[series](ctx, c, fmt.Sprintf("ticker:ZZZZZ%03d", i))
		_, _ = cachekit.View[series](ctx, c, "ticker:HIT")
	}
	for want, err := range map[string]error{"qrl:v1:ticker:MISSING-GET": getErr, "qrl:v1:ticker:MISSING-VIEW": viewErr} {
		var op *store.OpError
		if !errors.As(err, &op) {
			t.Fatalf("miss error %v is not an *store.OpError", err)
		}
		if op.Key != want {
			t.Fatalf("miss error's key reads %q after later reads; want %q", op.Key, want)
		}
	}
}

// Fetch hits are the caller's own on every backend (a caller sorting or editing its candles changes
// nobody else's), and Fetch sees writes at once.
func TestFetchHitIsTheCallersOwn(t *testing.T) {
	ctx := context.Background()
	c := newCache(t, cachekit.WithCodec(codec.Msgpack))
	loads := 0
	load := func(context.Context) (series, error) { loads++; return newSeries(5), nil }
	var got []series
	for range 3 {
		v, err := cachekit.Fetch(ctx, c, "ohlcv:F", 0, load)
		if err != nil || v.N != 5 {
			t.Fatalf("Fetch = N %d, %v", v.N, err)
		}
		got = append(got, v)
	}
	if loads != 1 {
		t.Fatalf("load ran %d times; want 1", loads)
	}
	if sameArray(got[1].Closes, got[2].Closes) || sameArray(got[0].Closes, got[1].Closes) {
		t.Fatal("two Fetch results share memory")
	}
	got[1].Closes[0] = decimal.NewFromInt(-1)
	if v, _ := cachekit.Fetch(ctx, c, "ohlcv:F", 0, load); v.Closes[0].IsNegative() {
		t.Fatal("editing a Fetch result changed what the next Fetch returns")
	}
	if err := c.Set(ctx, "ohlcv:F", newSeries(6), 0); err != nil {
		t.Fatal(err)
	}
	if v, err := cachekit.Fetch(ctx, c, "ohlcv:F", 0, load); err != nil || v.N != 6 || loads != 1 {
		t.Fatalf("Fetch after Set = N %d, %v, %d loads; want 6 without loading", v.N, err, loads)
	}
}

// The memory backend serves the typed hot path without allocating: Get allocates only what decoding
// allocates, and View nothing at all once the form is kept.
func TestHotReadsDoNotAllocate(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector makes sync.Pool drop items, so allocation counts are not exact")
	}
	ctx := context.Background()
	c := newCache(t, cachekit.WithCodec(codec.Msgpack))
	if err := c.Set(ctx, "ticker:mexc:QRL/USDT", newSeries(1), 0); err != nil {
		t.Fatal(err)
	}
	if _, err := cachekit.View[series](ctx, c, "ticker:mexc:QRL/USDT"); err != nil {
		t.Fatal(err)
	}
	view := testing.AllocsPerRun(1000, func() {
		if _, err := cachekit.View[series](ctx, c, "ticker:mexc:QRL/USDT"); err != nil {
			t.Fatal(err)
		}
	})
	// ristretto itself allocates now and then (its read buffers), so allow a fraction.
	if view >= 0.5 {
		t.Fatalf("View of a hot key: %.2f allocations per call; want 0", view)
	}
	data, err := c.Store().Get(ctx, "qrl:v1:ticker:mexc:QRL/USDT")
	if err != nil {
		t.Fatal(err)
	}
	decode := testing.AllocsPerRun(1000, func() {
		var v series
		if _, err := codec.Decode(data, &v); err != nil {
			t.Fatal(err)
		}
	})
	get := testing.AllocsPerRun(1000, func() {
		var v series
		if err := c.Get(ctx, "ticker:mexc:QRL/USDT", &v); err != nil {
			t.Fatal(err)
		}
	})
	// +1: the fresh value Get decodes into, so that a failed decode leaves dst untouched.
	if get > decode+1.5 {
		t.Fatalf("Get: %.2f allocations per call; decoding alone makes %.2f (+1 allowed)", get, decode)
	}
}
