package bench

// A typed Get of one hot key (a ticker struct, codec included), the read a trading bot makes most:
// cachekit's View over tiered(memory, redis) served by L1, go-redis/cache served by its TinyLFU local cache
// (which decodes on every hit), and rueidis served by its client-side cache (plus the JSON decode the
// caller needs to get a struct).

import (
	"context"
	"testing"

	"github.com/cachekit/cachekit"
	"github.com/cachekit/cachekit/exchange"
)

// getTicker is cachekit's typed hot read of a ticker under a relative key: View, which on an in-process
// tier returns the form decoded at the last write (read-only by contract) instead of decoding per hit.
func getTicker(ctx context.Context, c *cachekit.Cache, key string) (exchange.Ticker, error) {
	return cachekit.View[exchange.Ticker](ctx, c, key)
}

// getTickerCopy is the typed read that decodes a private copy on every hit: Cache.Get.
func getTickerCopy(ctx context.Context, c *cachekit.Cache, key string) (exchange.Ticker, error) {
	var t exchange.Ticker
	err := c.Get(ctx, key, &t)
	return t, err
}

var sinkTicker exchange.Ticker

func BenchmarkTypedHotGet(b *testing.B) {
	purgeAtCleanup(b, newClient(b), namespace+":*")
	key := fullKey("ticker", 0)
	clients := tickerClients(b)
	// cachekit-get is Cache.Get, which decodes on every hit, for reference.
	for _, impl := range append(peerOrder, "cachekit-get") {
		b.Run("impl="+impl, func(b *testing.B) {
			tc := clients[impl](b)
			prepareTickers(b, tc, []string{key})
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				t, err := tc.get(ctx, key)
				if err != nil {
					b.Fatal(err)
				}
				sinkTicker = t
			}
		})
	}
}
