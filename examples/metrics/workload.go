package main

import (
	"context"
	"fmt"
	"log"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/cachekit/cachekit"
	"github.com/cachekit/cachekit/exchange"
)

// workload is the market-data traffic of the example: a skewed choice of symbols (a few hot ones, many
// cold), loaders over a synthetic exchange with per-kind latency, and a loader error burst.
type workload struct {
	src                   *exchange.Synthetic
	symbols               []string
	burstFrom, burstUntil time.Time
	calls, failed         atomic.Int64
}

// latency is each kind's typical loader time (REST round trips of different sizes).
var latency = map[string]time.Duration{
	"ticker": 25 * time.Millisecond, "orderbook": 40 * time.Millisecond,
	"deals": 60 * time.Millisecond, "ohlcv": 150 * time.Millisecond,
}

func newWorkload(duration time.Duration) (*workload, error) {
	src, err := exchange.NewSynthetic(exchange.SyntheticOptions{Seed: 13})
	if err != nil {
		return nil, err
	}
	w := &workload{src: src, symbols: []string{"QRL/USDT", "BTC/USDT", "ETH/USDT", "SOL/USDT", "XRP/USDT"}}
	for i := len(w.symbols); i < 200; i++ {
		w.symbols = append(w.symbols, fmt.Sprintf("T%03d/USDT", i))
	}
	now := time.Now()
	w.burstFrom = now.Add(duration * 3 / 10)
	w.burstUntil = w.burstFrom.Add(duration / 8)
	time.AfterFunc(time.Until(w.burstFrom), func() {
		log.Printf("loader error burst: 90%% of loads fail until %s", w.burstUntil.Format(time.TimeOnly))
	})
	time.AfterFunc(time.Until(w.burstUntil), func() { log.Printf("loader error burst over") })
	return w, nil
}

// load wraps a source call as a loader: the kind's latency (with a long tail), then, during the
// burst, mostly an error.
func load[T any](w *workload, r *rand.Rand, kind string, call func(ctx context.Context) (T, error)) func(context.Context) (T, error) {
	d := time.Duration(float64(latency[kind]) * (0.5 + 0.5*r.ExpFloat64()))
	failing := r.Float64() < 0.9
	return func(ctx context.Context) (T, error) {
		var zero T
		select {
		case <-time.After(d):
		case <-ctx.Done():
			return zero, ctx.Err()
		}
		if now := time.Now(); failing && now.After(w.burstFrom) && now.Before(w.burstUntil) {
			return zero, errUpstream
		}
		return call(ctx)
	}
}

// run calls c until ctx ends, one operation every few milliseconds.
func (w *workload) run(ctx context.Context, c *cachekit.Cache) {
	r := rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	zipf := rand.NewZipf(r, 1.2, 1, uint64(len(w.symbols)-1))
	for ctx.Err() == nil {
		sym := w.symbols[zipf.Uint64()]
		var err error
		switch p := r.Float64(); {
		case p < 0.45:
			_, err = cachekit.Fetch(ctx, c, "ticker:"+sym, 0, load(w, r, "ticker", func(ctx context.Context) (exchange.Ticker, error) {
				return w.src.Ticker(ctx, sym)
			}))
		case p < 0.60:
			_, err = cachekit.Fetch(ctx, c, "orderbook:"+sym+":20", 0, load(w, r, "orderbook", func(ctx context.Context) (exchange.OrderBook, error) {
				return w.src.OrderBook(ctx, sym, 20)
			}))
		case p < 0.72:
			_, err = cachekit.Fetch(ctx, c, "deals:"+sym+":50", 0, load(w, r, "deals", func(ctx context.Context) ([]exchange.Deal, error) {
				return w.src.Deals(ctx, sym, 50)
			}))
		case p < 0.80:
			_, err = cachekit.Fetch(ctx, c, "ohlcv:"+sym+":1m:120", 0, load(w, r, "ohlcv", func(ctx context.Context) ([]exchange.Candle, error) {
				return w.src.OHLCV(ctx, sym, exchange.TF1m, 120)
			}))
		case p < 0.88: // a plain read; a miss is no failure here
			var t exchange.Ticker
			_ = c.Get(ctx, "ticker:"+sym, &t)
		case p < 0.95: // a pushed ticker update: invalidates the other instance's L1
			var t exchange.Ticker
			if t, err = w.src.Ticker(ctx, sym); err == nil {
				err = c.Set(ctx, "ticker:"+sym, t, 0)
			}
		case p < 0.99:
			keys := make([]string, 5)
			for i := range keys {
				keys[i] = "ticker:" + w.symbols[zipf.Uint64()]
			}
			_, err = cachekit.GetMany[exchange.Ticker](ctx, c, keys)
		default:
			_, err = c.Delete(ctx, "orderbook:"+sym+":20")
		}
		w.calls.Add(1)
		if err != nil && ctx.Err() == nil {
			w.failed.Add(1)
		}
		select {
		case <-time.After(time.Duration(2+r.IntN(3)) * time.Millisecond):
		case <-ctx.Done():
		}
	}
}

func (w *workload) summary() string {
	return fmt.Sprintf("%d calls, %d failed (loader burst, store outages)", w.calls.Load(), w.failed.Load())
}
