package exchange_test

import (
	"context"
	"fmt"
	"time"

	"github.com/cachekit/cachekit"
	"github.com/cachekit/cachekit/exchange"
	"github.com/cachekit/cachekit/store/memory"
)

// A bot polls the ticker three times within its 5s TTL: the exchange is called once.
func ExampleClient() {
	ctx := context.Background()
	st, _ := memory.New(memory.Options{})
	cache, _ := cachekit.New(st, cachekit.WithNamespace("demo"))
	defer cache.Close()

	src, _ := exchange.NewSynthetic(exchange.SyntheticOptions{Seed: 1})
	client, _ := exchange.NewClient(src, cache)

	for range 3 {
		if _, err := client.Ticker(ctx, "QRL/USDT"); err != nil {
			fmt.Println(err)
			return
		}
	}
	candles, _ := client.OHLCV(ctx, "QRL/USDT", "1d", 120)
	policy := cache.PolicyFor("ticker:QRL/USDT")

	fmt.Println("candles:", len(candles))
	fmt.Println("upstream ticker calls:", src.Calls().Ticker)
	fmt.Println("ticker fresh for:", client.KindTTL(exchange.KindTicker))
	fmt.Println("then served while refreshing for:", policy.StaleWhileRevalidate)
	fmt.Println("and while the exchange fails for at most:", policy.FailSafe)
	// Output:
	// candles: 120
	// upstream ticker calls: 1
	// ticker fresh for: 5s
	// then served while refreshing for: 2s
	// and while the exchange fails for at most: 10s
}

// The MEXC source behind a Client; never run here (it would call the real exchange).
func ExampleNewMEXC() {
	st, _ := memory.New(memory.Options{})
	cache, _ := cachekit.New(st)
	defer cache.Close()

	src, err := exchange.NewMEXC(exchange.MEXCOptions{Timeout: 5 * time.Second})
	if err != nil {
		fmt.Println(err)
		return
	}
	client, _ := exchange.NewClient(src, cache)
	book, err := client.OrderBook(context.Background(), "QRL/USDT", 20)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(book.Bids[0].Price, book.Asks[0].Price)
}
