package exchange

import (
	"context"
	"testing"
	"time"

	"github.com/cachekit/cachekit"
	"github.com/cachekit/cachekit/store/memory"
)

var _ cachekit.Versioned = OrderBook{}

// An order book's Nonce is its cache version: a cached book with a higher update id is never replaced
// by an older snapshot written later; one without a Nonce has no version.
func TestOrderBookVersion(t *testing.T) {
	if v := (OrderBook{Nonce: -3}).CacheVersion(); v != 0 {
		t.Errorf("a negative Nonce gives version %d, want 0", v)
	}
	s, err := memory.New(memory.Options{MaxBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	c, err := cachekit.New(s)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	newer := OrderBook{Symbol: "QRL/USDT", Nonce: 1112417, Time: time.Now().UTC()}
	older := OrderBook{Symbol: "QRL/USDT", Nonce: 1112416, Time: time.Now().UTC()}
	for _, b := range []OrderBook{newer, older} {
		if _, err := c.SetVersioned(ctx, "orderbook:QRL/USDT", b, time.Minute, b.CacheVersion()); err != nil {
			t.Fatal(err)
		}
	}
	var got OrderBook
	if err := c.Get(ctx, "orderbook:QRL/USDT", &got); err != nil || got.Nonce != newer.Nonce {
		t.Errorf("cached book has Nonce %d (%v); want %d, the newer", got.Nonce, err, newer.Nonce)
	}
}
