package cachekit_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/shopspring/decimal"

	"github.com/cachekit/cachekit"
	_ "github.com/cachekit/cachekit/store/memory" // registers memory://
)

func ExampleOpen() {
	ctx := context.Background()
	c, err := cachekit.Open(ctx, "memory://?max_bytes=16MiB&namespace=qrl")
	if err != nil {
		panic(err)
	}
	defer c.Close()

	type Ticker struct {
		Symbol string          `json:"symbol"`
		Last   decimal.Decimal `json:"last"`
	}
	if err := c.Set(ctx, "ticker:QRL/USDT", Ticker{"QRL/USDT", decimal.RequireFromString("0.001234500000000001")}, 5*time.Second); err != nil {
		panic(err)
	}
	var t Ticker
	if err := c.Get(ctx, "ticker:QRL/USDT", &t); err != nil {
		panic(err)
	}
	fmt.Println(t.Symbol, t.Last)

	err = c.Get(ctx, "ticker:BTC/USDT", &t)
	fmt.Println(errors.Is(err, cachekit.ErrNotFound))
	// Output:
	// QRL/USDT 0.001234500000000001
	// true
}

func ExampleFetch() {
	ctx := context.Background()
	c, err := cachekit.Open(ctx, "memory://")
	if err != nil {
		panic(err)
	}
	defer c.Close()

	calls := 0
	load := func(context.Context) ([]int, error) { calls++; return []int{1, 2, 3}, nil }
	for range 3 {
		v, err := cachekit.Fetch(ctx, c, "ohlcv:QRL/USDT:1d:3", time.Minute, load)
		if err != nil {
			panic(err)
		}
		fmt.Println(v)
	}
	fmt.Println("loader calls:", calls)
	// Output:
	// [1 2 3]
	// [1 2 3]
	// [1 2 3]
	// loader calls: 1
}

func ExampleCache_ClearSymbol() {
	ctx := context.Background()
	c, err := cachekit.Open(ctx, "memory://")
	if err != nil {
		panic(err)
	}
	defer c.Close()
	for _, key := range []string{"ticker:QRL/USDT", "ohlcv:QRL/USDT:1d:120", "ticker:QRL/USDT2"} {
		if err := c.Set(ctx, key, 1, 0); err != nil {
			panic(err)
		}
	}
	n, err := c.ClearSymbol(ctx, "QRL/USDT")
	fmt.Println(n, err)
	left, _ := c.Exists(ctx, "ticker:QRL/USDT2")
	fmt.Println(left)
	// Output:
	// 2 <nil>
	// true
}

func ExampleCache_Warm() {
	ctx := context.Background()
	c, err := cachekit.Open(ctx, "memory://")
	if err != nil {
		panic(err)
	}
	defer c.Close()
	_ = c.Set(ctx, "ticker:QRL/USDT", 1, 0)
	res, err := c.Warm(ctx, []cachekit.WarmItem{
		{Key: "ticker:QRL/USDT", Load: func(context.Context) (any, error) { return 1, nil }},
		{Key: "ticker:BTC/USDT", Load: func(context.Context) (any, error) { return 2, nil }},
	}, nil)
	fmt.Printf("success=%d skipped=%d failed=%d %v\n", res.Success, res.Skipped, res.Failed, err)
	// Output:
	// success=1 skipped=1 failed=0 <nil>
}
