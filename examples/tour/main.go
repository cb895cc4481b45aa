// Command tour is the README's tour of cachekit as a program that compiles and runs: go run
// ./examples/tour. It needs nothing but Go; with REDIS_URL set (redis://127.0.0.1:6379/0) the tiered
// part uses that Redis as its L2 instead of a second in-process store.
//
// The code between the "tour:begin" and "tour:end" lines is exactly the README's (a test checks it).
package main

import (
	"context"
	"fmt"
	"log"
	"net/url"
	"os"
	"time"

	"github.com/cachekit/cachekit"
	"github.com/cachekit/cachekit/exchange"
	_ "github.com/cachekit/cachekit/store/memory" // registers memory://
	_ "github.com/cachekit/cachekit/store/redis"  // registers redis://, rediss://, redis+sentinel://, redis+cluster://
	_ "github.com/cachekit/cachekit/store/tiered" // registers tiered://
)

func main() {
	if err := tour(context.Background()); err != nil {
		log.Fatal(err)
	}
}

// tour:begin
func tour(ctx context.Context) error {
	// One Cache over a store chosen by URL (or cachekit.OpenEnv for REDIS_URL, REDIS_NAMESPACE, ...).
	c, err := cachekit.Open(ctx, "memory://?max_bytes=64MiB&namespace=qrl")
	if err != nil {
		return err
	}
	defer c.Close()

	// Typed Set and Get: stored as qrl:v1:ticker:QRL/USDT; TTL 0 = the kind's TTL (ticker: 5 s).
	ticker := exchange.Ticker{Symbol: "QRL/USDT", Time: time.Now().UTC()}
	if err := c.Set(ctx, "ticker:QRL/USDT", ticker, 0); err != nil {
		return err
	}
	var got exchange.Ticker
	if err := c.Get(ctx, "ticker:QRL/USDT", &got); err != nil { // a miss: errors.Is(err, cachekit.ErrNotFound)
		return err
	}

	// Read-through: the loader runs on a miss, once per key however many callers ask at once.
	loadCandles := func(ctx context.Context) ([]exchange.Candle, error) {
		return []exchange.Candle{{OpenTime: time.Now().UTC().Truncate(24 * time.Hour)}}, nil
	}
	candles, err := cachekit.Fetch(ctx, c, "ohlcv:QRL/USDT:1d:120", 0, loadCandles)
	if err != nil {
		return err
	}

	// The hot path: decoded once per write, shared and read-only.
	view, err := cachekit.View[exchange.Ticker](ctx, c, "ticker:QRL/USDT")
	if err != nil {
		return err
	}

	// Invalidation stays in the namespace: every kind of one symbol, or everything of qrl:v1:.
	n, err := c.ClearSymbol(ctx, "QRL/USDT")
	if err != nil {
		return err
	}
	fmt.Printf("got %s, %d candle(s), view %s; cleared %d keys\n", got.Symbol, len(candles), view.Symbol, n)

	// Two tiers for a bot fleet: L1 in process, L2 shared (Redis in production), L1s kept coherent.
	l2 := "memory://"
	if env := os.Getenv("REDIS_URL"); env != "" {
		l2 = env
	}
	tiered, err := cachekit.Open(ctx, "tiered://?l1="+url.QueryEscape("memory://")+"&l2="+url.QueryEscape(l2)+"&l1_ttl=2s")
	if err != nil {
		return err
	}
	defer tiered.Close()

	// The exchange client: market data through the cache, the exchange asked only on a miss.
	src, err := exchange.NewSynthetic(exchange.SyntheticOptions{Seed: 1}) // or exchange.NewMEXC(...)
	if err != nil {
		return err
	}
	market, err := exchange.NewClient(src, tiered)
	if err != nil {
		return err
	}
	for range 3 {
		if _, err := market.Ticker(ctx, "QRL/USDT"); err != nil {
			return err
		}
	}
	book, err := market.OrderBook(ctx, "QRL/USDT", 20)
	if err != nil {
		return err
	}
	fmt.Printf("3 ticker reads, 1 order book of %d bids: %d upstream calls\n", len(book.Bids), market.Stats().Loads.Total())
	_, err = market.InvalidateCache(ctx, "QRL/USDT")
	return err
}

// tour:end
