package cachetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/cachekit/cachekit"
	"github.com/cachekit/cachekit/codec"
	"github.com/cachekit/cachekit/store"
)

// series has the parts a shared decoded value could leak through: decimals (big.Int pointers inside),
// a byte slice and a map.
type series struct {
	N      int               `json:"n" msgpack:"n"`
	Closes []decimal.Decimal `json:"closes" msgpack:"closes"`
	Raw    []byte            `json:"raw" msgpack:"raw"`
	Tags   map[string]string `json:"tags" msgpack:"tags"`
}

func newSeries(n int) series {
	return series{N: n, Closes: []decimal.Decimal{decimal.New(int64(n), -4), decimal.New(int64(n), -4)},
		Raw: []byte{byte(n), 1}, Tags: map[string]string{"n": fmt.Sprint(n)}}
}

// whole reports why s is not a value newSeries wrote, or "".
func whole(s series) string {
	want := newSeries(s.N)
	if len(s.Closes) != 2 || !s.Closes[1].Equal(want.Closes[1]) || len(s.Raw) != 2 || s.Raw[0] != byte(s.N) || s.Tags["n"] != want.Tags["n"] {
		return fmt.Sprintf("%+v is not series %d written whole", s, s.N)
	}
	return ""
}

var freshnessRules = []rule{
	{
		name: "Freshness/NeverOlderThanTheLastWrite",
		says: "under one writer and four readers, View, Get and Fetch never return a value older than the last write that returned before the read began, and every value is one that was written whole",
		run: func(t testing.TB, s store.Store, ns string) {
			ctx := context.Background()
			// No Fetch read timeout: this rule is about freshness, and on a loaded machine a store read can
			// take longer than the default 100 ms, after which Fetch loads by design.
			c := newCache(t, s, ns, cachekit.WithCodec(codec.Msgpack), cachekit.WithFetchReadTimeout(0))
			if err := c.Set(ctx, "ohlcv:S", newSeries(0), time.Minute); err != nil {
				t.Fatal(err)
			}
			var written atomic.Int64 // the last N whose Set returned
			reads := []func() (series, error){
				func() (series, error) { return cachekit.View[series](ctx, c, "ohlcv:S") },
				func() (series, error) { var v series; return v, c.Get(ctx, "ohlcv:S", &v) },
				func() (series, error) {
					return cachekit.Fetch(ctx, c, "ohlcv:S", time.Minute, func(context.Context) (series, error) {
						return series{}, errors.New("loaded although the key is always present")
					})
				},
			}
			stop := make(chan struct{})
			errs := make(chan error, 4)
			var wg, reading sync.WaitGroup
			reading.Add(4) // the writer starts once every reader has read: reads interleave with writes
			for r := range 4 {
				read := reads[r%len(reads)]
				wg.Go(func() {
					for first := true; ; first = false {
						select {
						case <-stop:
							return
						default:
						}
						floor := written.Load()
						v, err := read()
						if err == nil {
							if why := whole(v); why != "" {
								err = errors.New(why)
							} else if int64(v.N) < floor {
								err = fmt.Errorf("read series %d after series %d was written", v.N, floor)
							}
						}
						if first {
							reading.Done()
						}
						if err != nil {
							errs <- err
							return
						}
						_ = v.Closes[0].String() // read-only use of a possibly shared decimal
					}
				})
			}
			reading.Wait()
			for n := 1; n <= 200; n++ {
				if err := c.Set(ctx, "ohlcv:S", newSeries(n), time.Minute); err != nil {
					t.Fatal(err)
				}
				written.Store(int64(n))
			}
			close(stop)
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
			for i, read := range reads { // and after the last write, every read path sees it
				if v, err := read(); err != nil || v.N != 200 {
					t.Errorf("read path %d after the last write = series %d, %v; want 200", i, v.N, err)
				}
			}
		},
	},
}

var fetchRules = []rule{
	{
		name: "Fetch/ResultIsTheCallersOwn",
		says: "what Fetch returns is the caller's own: editing it changes nothing a later Fetch returns",
		run: func(t testing.TB, s store.Store, ns string) {
			ctx := context.Background()
			c := newCache(t, s, ns)
			loads := 0
			load := func(context.Context) (series, error) { loads++; return newSeries(5), nil }
			first, err := cachekit.Fetch(ctx, c, "ohlcv:F", 0, load)
			if err != nil {
				t.Fatal(err)
			}
			first.Closes[0], first.Raw[0], first.Tags["n"] = decimal.NewFromInt(-1), 99, "edited"
			second, err := cachekit.Fetch(ctx, c, "ohlcv:F", 0, load)
			if err != nil || loads != 1 {
				t.Fatalf("second Fetch = %v after %d loads; want a hit", err, loads)
			}
			if why := whole(second); why != "" {
				t.Fatalf("after editing the loaded value: %s", why)
			}
			second.Closes[1] = decimal.NewFromInt(-1)
			// Fetch writes behind its return, so a Get right after may still miss: read through Fetch.
			third, err := cachekit.Fetch(ctx, c, "ohlcv:F", 0, load)
			if err != nil || whole(third) != "" || loads != 1 {
				t.Fatalf("after editing a Fetch hit, Fetch = %+v, %v (%d loads)", third, err, loads)
			}
		},
	},
	{
		name: "Ping/AnswersWhileOpen",
		says: "Ping succeeds on a working store and fails with ErrClosed after Close",
		run: func(t testing.TB, s store.Store, ns string) {
			ctx := context.Background()
			c, err := cachekit.New(s, cachekit.WithNamespace(ns))
			if err != nil {
				t.Fatal(err)
			}
			if err := c.Ping(ctx); err != nil {
				t.Fatalf("Ping: %v", err)
			}
			_ = c.Close()
			if err := c.Ping(ctx); !errors.Is(err, cachekit.ErrClosed) {
				t.Fatalf("Ping after Close = %v; want ErrClosed", err)
			}
		},
	},
}

var ttlRules = []rule{
	{
		name: "TTL/ZeroMeansKindThenDefault",
		says: "ttl 0 is the kind's TTL (built in or configured), else the default TTL; a negative TTL is ErrInvalidTTL and stores nothing",
		run: func(t testing.TB, s store.Store, ns string) {
			ctx := context.Background()
			c := newCache(t, s, ns, cachekit.WithDefaultTTL(time.Hour), cachekit.WithKindTTL("ohlcv", 30*time.Minute))
			want := map[string]time.Duration{"ticker:T": 5 * time.Second, "ohlcv:T:1d:1": 30 * time.Minute, "balance:T": time.Hour}
			for key := range want {
				if err := c.Set(ctx, key, 1, 0); err != nil {
					t.Fatal(err)
				}
			}
			for key, d := range want {
				got, err := c.TTL(ctx, key)
				if err != nil || got > d || got < d-5*time.Second {
					t.Errorf("TTL(%s) after Set with ttl 0 = %v, %v; want about %v", key, got, err, d)
				}
			}
			if err := c.Set(ctx, "ticker:NEG", 1, -time.Second); !errors.Is(err, cachekit.ErrInvalidTTL) {
				t.Fatalf("negative TTL: %v", err)
			}
			if ok, _ := c.Exists(ctx, "ticker:NEG"); ok {
				t.Fatal("a negative TTL stored the value")
			}
		},
	},
}
