package exchange

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"
)

// script runs a fixed sequence of calls and returns their answers as JSON.
func script(t *testing.T, s *Synthetic) string {
	t.Helper()
	ctx := context.Background()
	var out []any
	for range 3 {
		tk, err := s.Ticker(ctx, "QRL/USDT")
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, tk)
	}
	c, err := s.OHLCV(ctx, "QRL/USDT", TF1h, 50)
	if err != nil {
		t.Fatal(err)
	}
	d, err := s.Deals(ctx, "QRL/USDT", 10)
	if err != nil {
		t.Fatal(err)
	}
	ob, err := s.OrderBook(ctx, "QRL/USDT", 10)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(append(out, c, d, ob))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestSyntheticIsDeterministic(t *testing.T) {
	now := fixedClock(time.Date(2024, 5, 1, 12, 34, 56, 0, time.UTC))
	mk := func(seed uint64) *Synthetic {
		s, err := NewSynthetic(SyntheticOptions{Seed: seed, Now: now})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	a, b := script(t, mk(7)), script(t, mk(7))
	if a != b {
		t.Error("two sources with the same seed, clock and calls answered differently")
	}
	if c := script(t, mk(8)); c == a {
		t.Error("a different seed gave the same data")
	}
	s := mk(7)
	q, _ := s.Ticker(context.Background(), "QRL/USDT")
	btc, _ := s.Ticker(context.Background(), "BTC/USDT")
	if q.Last.Equal(btc.Last) {
		t.Errorf("two symbols start at the same price %v", q.Last)
	}
}

func TestSyntheticDataIsPlausible(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2024, 5, 1, 12, 34, 56, 0, time.UTC)
	s, err := NewSynthetic(SyntheticOptions{Seed: 3, Now: fixedClock(now)})
	if err != nil {
		t.Fatal(err)
	}
	var last Ticker
	for range 200 {
		if last, err = s.Ticker(ctx, "qrl/usdt"); err != nil {
			t.Fatal(err)
		}
	}
	if last.Symbol != "QRL/USDT" || !last.Time.Equal(now) {
		t.Errorf("ticker symbol/time = %q/%v", last.Symbol, last.Time)
	}
	if !(last.Bid.LessThan(last.Last) && last.Last.LessThan(last.Ask)) {
		t.Errorf("want bid < last < ask, got %v %v %v", last.Bid, last.Last, last.Ask)
	}
	if last.Low.GreaterThan(last.Last) || last.High.LessThan(last.Last) {
		t.Errorf("want low <= last <= high, got %v %v %v", last.Low, last.Last, last.High)
	}
	for _, p := range []struct {
		name  string
		exp   int32
		value interface{ Exponent() int32 }
	}{{"last", -SyntheticPriceScale, last.Last}, {"bid", -SyntheticPriceScale, last.Bid}, {"volume", -SyntheticQtyScale, last.BaseVolume}} {
		if p.value.Exponent() < p.exp {
			t.Errorf("%s has exponent %d, want a fixed scale of at most %d decimals", p.name, p.value.Exponent(), -p.exp)
		}
	}

	candles, err := s.OHLCV(ctx, "QRL/USDT", TF1h, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(candles) != 100 {
		t.Fatalf("got %d candles, want 100", len(candles))
	}
	newest := candles[99]
	if !newest.OpenTime.Equal(TF1h.Start(now)) || !newest.Close.Equal(last.Last) {
		t.Errorf("newest candle opens %v closes %v; want %v and the current price %v", newest.OpenTime, newest.Close, TF1h.Start(now), last.Last)
	}
	for i, c := range candles {
		if c.Low.GreaterThan(c.Open) || c.Low.GreaterThan(c.Close) || c.High.LessThan(c.Open) || c.High.LessThan(c.Close) {
			t.Errorf("candle %d: low %v high %v do not bound open %v close %v", i, c.Low, c.High, c.Open, c.Close)
		}
		if !c.End(TF1h).Equal(c.OpenTime.Add(time.Hour)) || c.Open.Exponent() < -SyntheticPriceScale {
			t.Errorf("candle %d: times %v..%v, open %v", i, c.OpenTime, c.End(TF1h), c.Open)
		}
		if i > 0 && (!candles[i-1].Close.Equal(c.Open) || !candles[i-1].End(TF1h).Equal(c.OpenTime)) {
			t.Errorf("candle %d does not continue candle %d", i, i-1)
		}
	}
	again, _ := s.OHLCV(ctx, "QRL/USDT", TF1h, 100)
	if !again[0].Open.Equal(candles[0].Open) {
		t.Error("closed candles changed between two calls within one candle")
	}

	ob, err := s.OrderBook(ctx, "QRL/USDT", 20)
	if err != nil {
		t.Fatal(err)
	}
	if len(ob.Bids) != 20 || len(ob.Asks) != 20 {
		t.Fatalf("depth = %d/%d, want 20/20", len(ob.Bids), len(ob.Asks))
	}
	for i := 1; i < 20; i++ {
		if !ob.Bids[i].Price.LessThan(ob.Bids[i-1].Price) || !ob.Asks[i].Price.GreaterThan(ob.Asks[i-1].Price) {
			t.Fatalf("level %d is out of order", i)
		}
	}
	if !ob.Bids[0].Price.LessThan(ob.Asks[0].Price) {
		t.Errorf("crossed book: bid %v ask %v", ob.Bids[0].Price, ob.Asks[0].Price)
	}

	deals, err := s.Deals(ctx, "QRL/USDT", 30)
	if err != nil {
		t.Fatal(err)
	}
	for i, d := range deals {
		if d.Side != SideBuy && d.Side != SideSell || !d.Amount.IsPositive() || d.Amount.Exponent() < -SyntheticQtyScale ||
			!d.Cost.Equal(d.Price.Mul(d.Amount)) || d.Symbol != "QRL/USDT" {
			t.Errorf("deal %d = %+v", i, d)
		}
		if i > 0 && deals[i-1].Time.After(d.Time) {
			t.Errorf("deal %d is older than deal %d", i, i-1)
		}
	}
}

func TestSyntheticCountsCallsConcurrently(t *testing.T) {
	s := newSynthetic(t, time.Millisecond)
	ctx := context.Background()
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 5 {
				s.Ticker(ctx, "QRL/USDT")
				s.OHLCV(ctx, "BTC/USDT", TF1m, 10)
				s.Deals(ctx, "QRL/USDT", 5)
				s.OrderBook(ctx, "ETH/USDT", 5)
			}
		})
	}
	wg.Wait()
	if got := s.Calls(); got != (Calls{40, 40, 40, 40}) {
		t.Errorf("Calls = %+v, want 40 per kind", got)
	}
	if got := s.Calls().Of(KindDeals); got != 40 {
		t.Errorf("Calls().Of(deals) = %d", got)
	}
}

func TestSyntheticLatencyHonoursContext(t *testing.T) {
	s := newSynthetic(t, 10*time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := s.Ticker(ctx, "QRL/USDT")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want DeadlineExceeded", err)
	}
	if el := time.Since(start); el > 5*time.Second {
		t.Errorf("returned after %v, not at the deadline", el)
	}
	if err := s.SetLatency(20*time.Millisecond, 0); err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	if _, err := s.Ticker(context.Background(), "QRL/USDT"); err != nil {
		t.Fatal(err)
	}
	if el := time.Since(start); el < 20*time.Millisecond {
		t.Errorf("call took %v, less than the 20ms latency", el)
	}
}

func TestSyntheticRejectsBadInput(t *testing.T) {
	if _, err := NewSynthetic(SyntheticOptions{Latency: -1}); err == nil {
		t.Error("negative latency accepted")
	}
	s := newSynthetic(t, 0)
	if err := s.SetLatency(0, -time.Second); err == nil {
		t.Error("negative jitter accepted")
	}
	ctx := context.Background()
	if _, err := s.OHLCV(ctx, "QRL/USDT", "3d", 5); !errors.Is(err, ErrUnknownTimeframe) {
		t.Errorf("OHLCV(3d) = %v", err)
	}
	if _, err := s.Deals(ctx, "QRL/USDT", 0); !errors.Is(err, ErrInvalidLimit) {
		t.Errorf("Deals(0) = %v", err)
	}
	if _, err := s.Ticker(ctx, "nope"); !errors.Is(err, ErrInvalidSymbol) {
		t.Errorf("Ticker(nope) = %v", err)
	}
}

func TestCountedSource(t *testing.T) {
	src := Counted(newSynthetic(t, 0))
	ctx := context.Background()
	src.Ticker(ctx, "QRL/USDT")
	src.Ticker(ctx, "bad")
	src.OrderBook(ctx, "QRL/USDT", 5)
	if got := src.Calls(); got != (Calls{Ticker: 2, OrderBook: 1}) || got.Total() != 3 {
		t.Errorf("Calls = %+v, want 2 ticker (failed included) and 1 order book", got)
	}
}
