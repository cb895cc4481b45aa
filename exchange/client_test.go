package exchange

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cachekit/cachekit"
	"github.com/cachekit/cachekit/codec"
)

// callAll calls every kind once for symbol.
func callAll(ctx context.Context, c *Client, symbol string) error {
	if _, err := c.Ticker(ctx, symbol); err != nil {
		return err
	}
	if _, err := c.OHLCV(ctx, symbol, "1d", 120); err != nil {
		return err
	}
	if _, err := c.Deals(ctx, symbol, 20); err != nil {
		return err
	}
	_, err := c.OrderBook(ctx, symbol, 50)
	return err
}

func TestClientKeys(t *testing.T) {
	for _, tc := range []struct {
		got  func() (string, error)
		want string
	}{
		{func() (string, error) { return TickerKey("QRL/USDT") }, "ticker:QRL/USDT"},
		{func() (string, error) { return TickerKey("qrl/usdt") }, "ticker:QRL/USDT"},
		{func() (string, error) { return OHLCVKey("QRL/USDT", "1d", 120) }, "ohlcv:QRL/USDT:1d:120"},
		{func() (string, error) { return DealsKey("QRL/USDT", 20) }, "deals:QRL/USDT:20"},
		{func() (string, error) { return OrderBookKey("QRL/USDT", 50) }, "orderbook:QRL/USDT:50"},
	} {
		got, err := tc.got()
		if err != nil || got != tc.want {
			t.Errorf("key = %q, %v; want %q", got, err, tc.want)
		}
	}
}

func TestClientSecondCallWithinTTLMakesNoUpstreamCall(t *testing.T) {
	ctx := context.Background()
	src := newSynthetic(t, 0)
	cache := newCache(t)
	c := newClient(t, src, cache)

	t1, err := c.Ticker(ctx, "QRL/USDT")
	if err != nil {
		t.Fatal(err)
	}
	o1, _ := c.OHLCV(ctx, "QRL/USDT", "1d", 120)
	d1, _ := c.Deals(ctx, "QRL/USDT", 20)
	b1, _ := c.OrderBook(ctx, "QRL/USDT", 50)
	if got := src.Calls(); got != (Calls{1, 1, 1, 1}) {
		t.Fatalf("after first calls: upstream calls = %+v, want one per kind", got)
	}
	t2, err := c.Ticker(ctx, "QRL/USDT")
	if err != nil {
		t.Fatal(err)
	}
	o2, _ := c.OHLCV(ctx, "QRL/USDT", "1d", 120)
	d2, _ := c.Deals(ctx, "QRL/USDT", 20)
	b2, _ := c.OrderBook(ctx, "QRL/USDT", 50)
	if got := src.Calls(); got != (Calls{1, 1, 1, 1}) {
		t.Fatalf("second calls within TTL reached upstream: calls = %+v", got)
	}
	// The synthetic walk moves on every upstream ticker call, so equal answers prove they came from cache.
	if !t1.Last.Equal(t2.Last) || !t1.Time.Equal(t2.Time) {
		t.Errorf("cached ticker differs: %+v vs %+v", t1, t2)
	}
	if len(o1) != 120 || len(o2) != 120 || !o1[119].Close.Equal(o2[119].Close) {
		t.Errorf("cached candles differ or have the wrong length: %d, %d", len(o1), len(o2))
	}
	if len(d1) != 20 || len(d2) != 20 || d1[0].ID != d2[0].ID {
		t.Errorf("cached deals differ or have the wrong length")
	}
	if len(b1.Bids) != 50 || len(b2.Asks) != 50 || b1.Nonce != b2.Nonce {
		t.Errorf("cached order book differs or has the wrong depth")
	}
	st := c.Stats()
	if st.Requests != (Calls{2, 2, 2, 2}) || st.Loads != (Calls{1, 1, 1, 1}) {
		t.Errorf("Stats = %+v, want 2 requests and 1 load per kind", st)
	}
}

func TestClientRefetchesAfterTTL(t *testing.T) {
	ctx := context.Background()
	src := newSynthetic(t, 0)
	const ttl = 300 * time.Millisecond
	c := newClient(t, src, newCache(t),
		WithTTL(KindTicker, ttl), WithTTL(KindOHLCV, ttl), WithTTL(KindDeals, ttl), WithTTL(KindOrderBook, ttl))

	if err := callAll(ctx, c, "QRL/USDT"); err != nil {
		t.Fatal(err)
	}
	if err := callAll(ctx, c, "QRL/USDT"); err != nil {
		t.Fatal(err)
	}
	if got := src.Calls(); got != (Calls{1, 1, 1, 1}) {
		t.Fatalf("within TTL: calls = %+v, want one per kind", got)
	}
	time.Sleep(ttl + 50*time.Millisecond)
	// Expiry is exact for the memory store; poll briefly in case a backend observes it a little late.
	deadline := time.Now().Add(1500 * time.Millisecond)
	for {
		if err := callAll(ctx, c, "QRL/USDT"); err != nil {
			t.Fatal(err)
		}
		got := src.Calls()
		if got.Ticker >= 2 && got.OHLCV >= 2 && got.Deals >= 2 && got.OrderBook >= 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after TTL: calls = %+v, want a second upstream call per kind", got)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestClientInvalidateSymbolRefetchesOnlyThatSymbol(t *testing.T) {
	ctx := context.Background()
	src := newSynthetic(t, 0)
	c := newClient(t, src, newCache(t))
	for _, sym := range []string{"QRL/USDT", "BTC/USDT"} {
		if err := callAll(ctx, c, sym); err != nil {
			t.Fatal(err)
		}
	}
	waitForEntries(t, c.Cache(), 8) // Fetch writes behind its return; count what landed
	n, err := c.InvalidateCache(ctx, "QRL/USDT")
	if err != nil {
		t.Fatal(err)
	}
	if n != 4 {
		t.Errorf("InvalidateCache deleted %d entries, want 4 (one per kind)", n)
	}
	before := src.Calls()
	if err := callAll(ctx, c, "BTC/USDT"); err != nil {
		t.Fatal(err)
	}
	if got := src.Calls().Sub(before); got.Total() != 0 {
		t.Errorf("BTC/USDT was refetched after invalidating QRL/USDT: %+v", got)
	}
	if err := callAll(ctx, c, "QRL/USDT"); err != nil {
		t.Fatal(err)
	}
	if got := src.Calls().Sub(before); got != (Calls{1, 1, 1, 1}) {
		t.Errorf("QRL/USDT after invalidation: new calls = %+v, want one per kind", got)
	}

	// InvalidateAll: everything is refetched.
	waitForEntries(t, c.Cache(), 8)
	if n, err := c.InvalidateAll(ctx); err != nil || n != 8 {
		t.Fatalf("InvalidateAll = %d, %v; want 8 (4 kinds × 2 symbols)", n, err)
	}
	before = src.Calls()
	for _, sym := range []string{"QRL/USDT", "BTC/USDT"} {
		if err := callAll(ctx, c, sym); err != nil {
			t.Fatal(err)
		}
	}
	if got := src.Calls().Sub(before); got != (Calls{2, 2, 2, 2}) {
		t.Errorf("after InvalidateAll: new calls = %+v, want two per kind", got)
	}
	if _, err := c.InvalidateCache(ctx, "QRL"); !errors.Is(err, ErrInvalidSymbol) {
		t.Errorf("InvalidateCache(\"QRL\") = %v, want ErrInvalidSymbol", err)
	}
}

// An empty symbol (an unset variable) is an error pointing to InvalidateAll, and deletes nothing; it used
// to clear the whole namespace.
func TestClientInvalidateCacheEmptySymbolIsAnError(t *testing.T) {
	ctx := context.Background()
	src := newSynthetic(t, 0)
	cache := newCache(t)
	c := newClient(t, src, cache)
	for _, sym := range []string{"QRL/USDT", "BTC/USDT"} {
		if err := callAll(ctx, c, sym); err != nil {
			t.Fatal(err)
		}
	}
	for _, sym := range []string{"", " ", "\t\n"} {
		n, err := c.InvalidateCache(ctx, sym)
		if !errors.Is(err, ErrInvalidSymbol) || n != 0 {
			t.Fatalf("InvalidateCache(%q) = %d, %v; want 0 and ErrInvalidSymbol", sym, n, err)
		}
		if !strings.Contains(err.Error(), "InvalidateAll") {
			t.Errorf("InvalidateCache(%q) error does not point to InvalidateAll: %v", sym, err)
		}
	}
	before := src.Calls()
	for _, sym := range []string{"QRL/USDT", "BTC/USDT"} {
		if err := callAll(ctx, c, sym); err != nil {
			t.Fatal(err)
		}
	}
	if got := src.Calls().Sub(before); got.Total() != 0 {
		t.Errorf("an empty-symbol InvalidateCache deleted entries: %+v upstream calls after it", got)
	}
	if n, err := c.InvalidateAll(ctx); err != nil || n != 8 {
		t.Errorf("InvalidateAll = %d, %v; want 8", n, err)
	}
	if n, err := c.InvalidateAll(ctx); err != nil || n != 0 {
		t.Errorf("second InvalidateAll = %d, %v; want 0", n, err)
	}
}

func TestClientOHLCVExpiresAtCandleClose(t *testing.T) {
	wed := time.Date(2024, 5, 1, 23, 0, 0, 0, time.UTC) // a Wednesday
	for _, tc := range []struct {
		name string
		now  time.Time
		tf   string
		cap  time.Duration // WithTTL(KindOHLCV); 0 = default 86400s
		want time.Duration
	}{
		{"1m mid-minute", time.Date(2024, 5, 1, 12, 34, 56, 500e6, time.UTC), "1m", 0, 3500 * time.Millisecond},
		{"1m floor", time.Date(2024, 5, 1, 12, 34, 59, 700e6, time.UTC), "1m", 0, MinOHLCVTTL},
		{"5m", time.Date(2024, 5, 1, 12, 31, 0, 0, time.UTC), "5m", 0, 4 * time.Minute},
		{"1h", time.Date(2024, 5, 1, 12, 20, 0, 0, time.UTC), "1h", 0, 40 * time.Minute},
		{"4h", time.Date(2024, 5, 1, 13, 0, 0, 0, time.UTC), "4h", 0, 3 * time.Hour},
		{"1d one hour before midnight", wed, "1d", 0, time.Hour},
		{"1d capped", wed, "1d", 30 * time.Minute, 30 * time.Minute},
		{"1w capped by default 24h", wed, "1w", 0, 24 * time.Hour},
		{"1w to Monday", wed, "1w", 30 * 24 * time.Hour, 4*24*time.Hour + time.Hour},
		{"1M leap February", time.Date(2024, 2, 29, 12, 0, 0, 0, time.UTC), "1M", 0, 12 * time.Hour},
		{"1M to next month", time.Date(2024, 1, 31, 0, 0, 0, 0, time.UTC), "1M", 40 * 24 * time.Hour, 24 * time.Hour},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			cache := newCache(t)
			opts := []ClientOption{WithClock(fixedClock(tc.now))}
			if tc.cap > 0 {
				opts = append(opts, WithTTL(KindOHLCV, tc.cap))
			}
			c := newClient(t, newSynthetic(t, 0), cache, opts...)
			got, err := c.OHLCVTTL(tc.tf)
			if err != nil || got != tc.want {
				t.Fatalf("OHLCVTTL(%s) at %v = %v, %v; want %v", tc.tf, tc.now, got, err, tc.want)
			}
			if _, err := c.OHLCV(ctx, "QRL/USDT", tc.tf, 10); err != nil {
				t.Fatal(err)
			}
			key, _ := OHLCVKey("QRL/USDT", tc.tf, 10)
			// The entry is fresh until the candle closes (the envelope's fresh-until, ms precision); the
			// store keeps it longer, for the fail-safe window.
			if fresh := freshTTL(t, cache, key); fresh > tc.want || fresh < tc.want-2*time.Second {
				t.Errorf("fresh TTL of %s = %v, want about %v", key, fresh, tc.want)
			}
		})
	}
}

func TestClientConcurrentIdenticalRequestsShareOneUpstreamCall(t *testing.T) {
	ctx := context.Background()
	src := newSynthetic(t, 200*time.Millisecond)
	c := newClient(t, src, newCache(t))
	const n = 50
	var wg sync.WaitGroup
	results := make([]Ticker, n)
	errs := make([]error, n)
	books := make([]OrderBook, n)
	for i := range n {
		wg.Go(func() {
			results[i], errs[i] = c.Ticker(ctx, "QRL/USDT")
			books[i], _ = c.OrderBook(ctx, "QRL/USDT", 10)
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("caller %d: %v", i, err)
		}
		if !results[i].Last.Equal(results[0].Last) {
			t.Errorf("caller %d got %v, caller 0 got %v", i, results[i].Last, results[0].Last)
		}
	}
	if got := src.Calls(); got.Ticker != 1 || got.OrderBook != 1 {
		t.Errorf("%d concurrent identical requests made %+v upstream calls, want 1 each", n, got)
	}
	// Shared results are copied per caller: changing one caller's book leaves the others alone.
	books[0].Bids[0].Amount = dec(t, "-1")
	if books[1].Bids[0].Amount.Equal(dec(t, "-1")) {
		t.Error("callers share the order book's backing array")
	}
}

func TestClientPricesExactThroughCache(t *testing.T) {
	prices := []string{
		"0.30012345678901234567", "12345678901234567890.123456789", "0.1", "0.00000001",
		"99999999999999999999999.99999999", "1e-30", "3.14159265358979323846264338327950288", "-2.5",
	}
	for _, cd := range []codec.Codec{codec.JSON, codec.Msgpack} {
		t.Run(cd.Name(), func(t *testing.T) {
			ctx := context.Background()
			src := &fixedSource{px: prices}
			c := newClient(t, src, newCache(t, cachekit.WithCodec(cd)))
			for range 2 { // the second round is read from the cache
				tk, err := c.Ticker(ctx, "QRL/USDT")
				if err != nil {
					t.Fatal(err)
				}
				got := []string{tk.Last.String(), tk.Bid.String(), tk.Ask.String(), tk.High.String(),
					tk.Low.String(), tk.BaseVolume.String(), tk.QuoteVolume.String(), tk.Percentage.String(),
					tk.Open.String(), tk.Close.String(), tk.Change.String()}
				for i, g := range got {
					if want := dec(t, prices[i%len(prices)]).String(); g != want {
						t.Errorf("ticker field %d = %s, want %s", i, got[i], want)
					}
				}
				if want := time.Date(2024, 5, 1, 12, 0, 0, 123456789, time.UTC); !tk.Time.Equal(want) {
					t.Errorf("ticker time = %v, want %v", tk.Time, want)
				}
				candles, err := c.OHLCV(ctx, "QRL/USDT", "1h", 8)
				if err != nil {
					t.Fatal(err)
				}
				for i, cn := range candles {
					if !cn.Open.Equal(dec(t, prices[i%len(prices)])) || cn.Close.String() != dec(t, prices[(i+3)%len(prices)]).String() {
						t.Errorf("candle %d = %v/%v, want %s/%s", i, cn.Open, cn.Close, prices[i%len(prices)], prices[(i+3)%len(prices)])
					}
				}
				ob, err := c.OrderBook(ctx, "QRL/USDT", 3)
				if err != nil {
					t.Fatal(err)
				}
				if ob.Asks[2].Amount.String() != dec(t, prices[5]).String() {
					t.Errorf("ask amount = %v, want %s", ob.Asks[2].Amount, prices[5])
				}
			}
			if got := src.calls.snapshot(); got.Ticker != 1 || got.OHLCV != 1 || got.OrderBook != 1 {
				t.Errorf("second round was not served from the cache: calls = %+v", got)
			}
		})
	}
}

func TestClientRejectsBadArgumentsWithoutUpstreamCall(t *testing.T) {
	ctx := context.Background()
	src := newSynthetic(t, 0)
	c := newClient(t, src, newCache(t))
	var tfErr *TimeframeError
	for _, tc := range []struct {
		name string
		call func() error
		is   error
	}{
		{"symbol without slash", func() error { _, err := c.Ticker(ctx, "QRLUSDT"); return err }, ErrInvalidSymbol},
		{"symbol with colon", func() error { _, err := c.Ticker(ctx, "QRL:X/USDT"); return err }, ErrInvalidSymbol},
		{"symbol with star", func() error { _, err := c.Deals(ctx, "*/USDT", 5); return err }, ErrInvalidSymbol},
		{"unknown timeframe", func() error { _, err := c.OHLCV(ctx, "QRL/USDT", "2h", 5); return err }, ErrUnknownTimeframe},
		{"zero limit", func() error { _, err := c.OHLCV(ctx, "QRL/USDT", "1d", 0); return err }, ErrInvalidLimit},
		{"limit too large", func() error { _, err := c.Deals(ctx, "QRL/USDT", MaxDealsLimit+1); return err }, ErrInvalidLimit},
		{"negative depth", func() error { _, err := c.OrderBook(ctx, "QRL/USDT", -1); return err }, ErrInvalidLimit},
	} {
		err := tc.call()
		if !errors.Is(err, tc.is) {
			t.Errorf("%s: err = %v, want %v", tc.name, err, tc.is)
		}
	}
	_, err := c.OHLCV(ctx, "QRL/USDT", "2h", 5)
	if !errors.As(err, &tfErr) || tfErr.Timeframe != "2h" {
		t.Errorf("unknown timeframe error = %#v, want *TimeframeError naming 2h", err)
	}
	if got := src.Calls(); got.Total() != 0 {
		t.Errorf("invalid arguments reached upstream: %+v", got)
	}
}

// An upstream error is returned, and the same error answers for the kind's back-off (ticker: 1 s by
// the Cache's clock) without calling the exchange again; after it, the exchange is asked again.
func TestClientBacksOffAfterAnError(t *testing.T) {
	ctx := context.Background()
	src := &fixedSource{px: []string{"1"}}
	src.failNext.Store(1)
	var now atomic.Int64
	now.Store(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano())
	clock := func() time.Time { return time.Unix(0, now.Load()) }
	c := newClient(t, src, newCache(t, cachekit.WithClock(clock)))
	for i := range 3 {
		if _, err := c.Ticker(ctx, "QRL/USDT"); !errors.Is(err, errUpstream) {
			t.Fatalf("call %d: err = %v, want the upstream error", i, err)
		}
	}
	if got := src.calls.snapshot().Ticker; got != 1 {
		t.Errorf("upstream ticker calls during the back-off = %d, want 1", got)
	}
	now.Add(int64(time.Second))
	if _, err := c.Ticker(ctx, "QRL/USDT"); err != nil {
		t.Fatalf("after the back-off: %v", err)
	}
	if got := src.calls.snapshot().Ticker; got != 2 {
		t.Errorf("upstream ticker calls = %d, want 2 (retried after the back-off)", got)
	}
}

func TestClientTTLPrecedence(t *testing.T) {
	cfg, err := cachekit.ConfigFromLookup(func(name string) (string, bool) {
		v, ok := map[string]string{"REDIS_CACHE_TTL_TICKER": "7", "REDIS_CACHE_TTL_OHLCV": "3600"}[name]
		return v, ok
	})
	if err != nil {
		t.Fatal(err)
	}
	opts, err := cfg.Options()
	if err != nil {
		t.Fatal(err)
	}
	cache := newCache(t, opts...)
	c := newClient(t, newSynthetic(t, 0), cache, WithTTL(KindOHLCV, 90*time.Second))
	for kind, want := range map[string]time.Duration{
		KindTicker:    7 * time.Second,  // from the environment via the Cache
		KindOHLCV:     90 * time.Second, // the option beats the environment
		KindDeals:     DefaultDealsTTL,  // built-in
		KindOrderBook: DefaultOrderBookTTL,
	} {
		if got := c.KindTTL(kind); got != want {
			t.Errorf("KindTTL(%s) = %v, want %v", kind, got, want)
		}
	}
	// The ticker entry really gets the configured TTL.
	ctx := context.Background()
	if _, err := c.Ticker(ctx, "QRL/USDT"); err != nil {
		t.Fatal(err)
	}
	if got := freshTTL(t, cache, "ticker:QRL/USDT"); got > 7*time.Second || got < 6*time.Second {
		t.Errorf("ticker entry fresh TTL = %v; want about 7s", got)
	}
}

func TestNewClientRejectsBadInput(t *testing.T) {
	cache := newCache(t)
	src := newSynthetic(t, 0)
	for name, tc := range map[string]struct {
		src   Source
		cache *cachekit.Cache
		opts  []ClientOption
	}{
		"nil source":       {nil, cache, nil},
		"nil cache":        {src, nil, nil},
		"unknown kind":     {src, cache, []ClientOption{WithTTL("candles", time.Second)}},
		"zero TTL":         {src, cache, []ClientOption{WithTTL(KindTicker, 0)}},
		"nil clock":        {src, cache, []ClientOption{WithClock(nil)}},
		"zero loadTimeout": {src, cache, []ClientOption{WithLoadTimeout(0)}},
	} {
		if c, err := NewClient(tc.src, tc.cache, tc.opts...); err == nil || c != nil {
			t.Errorf("%s: NewClient = %v, %v; want an error", name, c, err)
		}
	}
}

func TestClientLoadTimeoutBoundsUpstream(t *testing.T) {
	src := newSynthetic(t, 10*time.Second)
	c := newClient(t, src, newCache(t), WithLoadTimeout(50*time.Millisecond))
	start := time.Now()
	_, err := c.Ticker(context.Background(), "QRL/USDT")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the load timeout's DeadlineExceeded", err)
	}
	if el := time.Since(start); el > 5*time.Second {
		t.Errorf("load was not bounded: took %v", el)
	}
}
