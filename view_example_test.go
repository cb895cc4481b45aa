package cachekit_test

import (
	"context"
	"fmt"
	"time"

	"github.com/shopspring/decimal"

	"github.com/cachekit/cachekit"
)

// A bot reading one ticker many times a second: View decodes it once per write and then hands out the
// kept form. The result is read-only (its struct copy is the caller's); Get gives a private copy to modify.
func ExampleView() {
	ctx := context.Background()
	c, err := cachekit.Open(ctx, "memory://")
	if err != nil {
		panic(err)
	}
	defer c.Close()

	type Ticker struct {
		Symbol string          `json:"symbol"`
		Last   decimal.Decimal `json:"last"`
	}
	if err := c.Set(ctx, "ticker:QRL/USDT", Ticker{"QRL/USDT", decimal.RequireFromString("0.0012345")}, 5*time.Second); err != nil {
		panic(err)
	}
	for range 3 {
		t, err := cachekit.View[Ticker](ctx, c, "ticker:QRL/USDT")
		if err != nil {
			panic(err)
		}
		withFee := t.Last.Mul(decimal.RequireFromString("1.001")) // methods return new values: fine
		fmt.Println(t.Symbol, t.Last, withFee)
	}
	// Output:
	// QRL/USDT 0.0012345 0.0012357345
	// QRL/USDT 0.0012345 0.0012357345
	// QRL/USDT 0.0012345 0.0012357345
}
