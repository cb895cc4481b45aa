package exchange

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/cachekit/cachekit"
	"github.com/cachekit/cachekit/codec"
	"github.com/cachekit/cachekit/store/memory"
)

// newCache returns a Cache over a fresh in-process store, closed at the end of the test.
func newCache(t *testing.T, opts ...cachekit.Option) *cachekit.Cache {
	t.Helper()
	st, err := memory.New(memory.Options{})
	if err != nil {
		t.Fatalf("memory.New: %v", err)
	}
	c, err := cachekit.New(st, opts...)
	if err != nil {
		st.Close()
		t.Fatalf("cachekit.New: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// newSynthetic returns a synthetic source with a fixed seed and the given latency.
func newSynthetic(t *testing.T, latency time.Duration) *Synthetic {
	t.Helper()
	s, err := NewSynthetic(SyntheticOptions{Seed: 42, Latency: latency})
	if err != nil {
		t.Fatalf("NewSynthetic: %v", err)
	}
	return s
}

func newClient(t *testing.T, src Source, cache *cachekit.Cache, opts ...ClientOption) *Client {
	t.Helper()
	c, err := NewClient(src, cache, opts...)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	return c
}

func dec(t *testing.T, s string) decimal.Decimal {
	t.Helper()
	d, err := decimal.NewFromString(s)
	if err != nil {
		t.Fatalf("decimal %q: %v", s, err)
	}
	return d
}

func fixedClock(t time.Time) func() time.Time { return func() time.Time { return t } }

// fixedSource answers every request with the same values, built from decimal strings, and can be made to
// fail its next calls. It stands in for an exchange, not for Redis.
type fixedSource struct {
	px       []string // decimal strings used for every price and quantity field, cycled
	failNext atomic.Int64
	calls    callCounter
}

var errUpstream = errors.New("upstream down")

func (f *fixedSource) d(i int) decimal.Decimal {
	return decimal.RequireFromString(f.px[i%len(f.px)])
}

func (f *fixedSource) fail() error {
	if f.failNext.Load() > 0 {
		f.failNext.Add(-1)
		return errUpstream
	}
	return nil
}

func (f *fixedSource) Ticker(_ context.Context, symbol string) (Ticker, error) {
	f.calls.ticker.Add(1)
	if err := f.fail(); err != nil {
		return Ticker{}, err
	}
	return Ticker{Symbol: symbol, Last: f.d(0), Bid: f.d(1), Ask: f.d(2), High: f.d(3), Low: f.d(4),
		BaseVolume: f.d(5), QuoteVolume: f.d(6), Percentage: f.d(7), Open: f.d(8), Close: f.d(9), Change: f.d(10),
		Info: []byte(`{"raw":true}`), Time: time.Date(2024, 5, 1, 12, 0, 0, 123456789, time.UTC)}, nil
}

func (f *fixedSource) OHLCV(_ context.Context, _ string, tf Timeframe, limit int) ([]Candle, error) {
	f.calls.ohlcv.Add(1)
	if err := f.fail(); err != nil {
		return nil, err
	}
	start := tf.Start(time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC))
	out := make([]Candle, limit)
	for i := limit - 1; i >= 0; i-- {
		out[i] = Candle{OpenTime: start, Open: f.d(i), High: f.d(i + 1), Low: f.d(i + 2), Close: f.d(i + 3),
			Volume: f.d(i + 4)}
		start = tf.Prev(start)
	}
	return out, nil
}

func (f *fixedSource) Deals(_ context.Context, symbol string, limit int) ([]Deal, error) {
	f.calls.deals.Add(1)
	if err := f.fail(); err != nil {
		return nil, err
	}
	out := make([]Deal, limit)
	for i := range out {
		out[i] = Deal{ID: "d" + string(rune('a'+i%26)), Symbol: symbol, Price: f.d(i), Amount: f.d(i + 1),
			Cost: f.d(i + 2), Time: time.Date(2024, 5, 1, 12, 0, i, 0, time.UTC), Side: SideBuy}
	}
	return out, nil
}

func (f *fixedSource) OrderBook(_ context.Context, symbol string, depth int) (OrderBook, error) {
	f.calls.orderBook.Add(1)
	if err := f.fail(); err != nil {
		return OrderBook{}, err
	}
	ob := OrderBook{Symbol: symbol, Nonce: 7, Time: time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)}
	for i := 0; i < depth; i++ {
		ob.Bids = append(ob.Bids, Level{Price: f.d(i), Amount: f.d(i + 1)})
		ob.Asks = append(ob.Asks, Level{Price: f.d(i + 2), Amount: f.d(i + 3)})
	}
	return ob, nil
}

// freshTTL returns the fresh TTL Fetch gave the entry under the relative key (its envelope's fresh-until
// minus written-at), waiting for the write that lands behind Fetch's return. The store keeps the entry
// longer, for the policy's stale window.
func freshTTL(t *testing.T, cache *cachekit.Cache, key string) time.Duration {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		data, err := cache.Store().Get(context.Background(), cache.Keyspace().Prefix()+key)
		if err == nil {
			m, err := codec.ReadMeta(data)
			if err != nil || m.SoftExpiry.IsZero() {
				t.Fatalf("entry %s has no fresh-until: %+v, %v", key, m, err)
			}
			return m.SoftExpiry.Sub(m.WrittenAt)
		}
		if time.Now().After(deadline) {
			t.Fatalf("entry %s was never written: %v", key, err)
		}
		time.Sleep(time.Millisecond)
	}
}

// waitForEntries waits until the cache's keyspace holds n entries (Fetch's writes land behind its
// return).
func waitForEntries(t *testing.T, cache *cachekit.Cache, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		got := 0
		if err := cache.Keys(context.Background(), "*", func(string) bool { got++; return true }); err != nil {
			t.Fatal(err)
		}
		if got == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the cache holds %d entries, want %d", got, n)
		}
		time.Sleep(time.Millisecond)
	}
}
