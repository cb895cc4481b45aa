package bench

// Namespace-scoped invalidation over 100,000 keys of which 1 % match, on a single node and on a
// Cluster: cachekit's ClearSymbol and DeletePattern beside the hand-written SCAN MATCH + UNLINK loop
// (scanUnlink) with the same pattern and SCAN COUNT. The 99,000 other keys are written once per
// benchmark; the 1,000 matching ones are written again before every iteration, timer stopped.

import (
	"context"
	"fmt"
	"testing"

	goredis "github.com/redis/go-redis/v9"

	"github.com/cachekit/cachekit"
)

const (
	invNamespace = "inv"
	invSymbols   = 100  // symbols, one of them invSymbol
	invPerSymbol = 1000 // keys per symbol: 100,000 keys, 1 % of them invSymbol's
	invSymbol    = "QRL/USDT"
)

var invKinds = []string{"ticker", "ohlcv", "deals", "orderbook"}

// invKeys returns the keys of one symbol: "inv:v1:ohlcv:QRL/USDT:0421" (27 bytes).
func invKeys(symbol string) []string {
	keys := make([]string, invPerSymbol)
	for j := range keys {
		keys[j] = fmt.Sprintf("%s:v1:%s:%s:%04d", invNamespace, invKinds[j%len(invKinds)], symbol, j)
	}
	return keys
}

// invSetup writes the 99,000 keys that never match, and returns the matching ones.
func invSetup(b *testing.B, client goredis.UniversalClient) []string {
	purgeAtCleanup(b, client, invNamespace+":*")
	if _, err := scanUnlink(context.Background(), client, invNamespace+":*"); err != nil {
		b.Fatal(err)
	}
	for i := range invSymbols - 1 {
		populate(b, client, invKeys(fmt.Sprintf("X%04d/USDT", i)), tickerBytes)
	}
	// One untimed pass of the hand-written loop: the server finishes growing its key table (SCAN is
	// slower while a rehash is under way) and the client dials its connections.
	matching := invKeys(invSymbol)
	populate(b, client, matching, tickerBytes)
	if n, err := scanUnlink(context.Background(), client, invNamespace+":v1:*:"+invSymbol+"*"); err != nil || n != len(matching) {
		b.Fatalf("warm-up pass deleted %d keys, want %d: %v", n, len(matching), err)
	}
	return matching
}

// benchInvalidate times del, which must delete exactly the matching keys, rewriting them before each
// iteration with the timer stopped.
func benchInvalidate(b *testing.B, client goredis.UniversalClient, matching []string, del func(ctx context.Context) (int, error)) {
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		populate(b, client, matching, tickerBytes)
		b.StartTimer()
		n, err := del(ctx)
		if err != nil || n != len(matching) {
			b.Fatalf("deleted %d keys, want %d: %v", n, len(matching), err)
		}
	}
}

func newInvCache(b *testing.B, client goredis.UniversalClient) *cachekit.Cache {
	c, err := cachekit.New(newRedisStore(b, client), cachekit.WithNamespace(invNamespace))
	if err != nil {
		b.Fatal(err)
	}
	return c
}

// BenchmarkClearSymbol deletes every key of one symbol, of any kind. The hand-written loop uses the
// pattern cachekit scans ("inv:v1:*:QRL/USDT*"); cachekit also checks each key's symbol segment exactly.
func BenchmarkClearSymbol(b *testing.B) {
	for _, topo := range topologies {
		b.Run("topology="+topo, func(b *testing.B) {
			client := newClientOf(b, topo)
			matching := invSetup(b, client)
			c := newInvCache(b, client)
			b.Run("impl=raw", func(b *testing.B) {
				benchInvalidate(b, client, matching, func(ctx context.Context) (int, error) {
					return scanUnlink(ctx, client, invNamespace+":v1:*:"+invSymbol+"*")
				})
			})
			b.Run("impl=cachekit", func(b *testing.B) {
				benchInvalidate(b, client, matching, func(ctx context.Context) (int, error) {
					return c.ClearSymbol(ctx, invSymbol)
				})
			})
		})
	}
}

// BenchmarkDeletePattern deletes the keys matching "*:QRL/USDT:*" in the keyspace.
func BenchmarkDeletePattern(b *testing.B) {
	for _, topo := range topologies {
		b.Run("topology="+topo, func(b *testing.B) {
			client := newClientOf(b, topo)
			matching := invSetup(b, client)
			c := newInvCache(b, client)
			b.Run("impl=raw", func(b *testing.B) {
				benchInvalidate(b, client, matching, func(ctx context.Context) (int, error) {
					return scanUnlink(ctx, client, invNamespace+":v1:*:"+invSymbol+":*")
				})
			})
			b.Run("impl=cachekit", func(b *testing.B) {
				benchInvalidate(b, client, matching, func(ctx context.Context) (int, error) {
					return c.DeletePattern(ctx, "*:"+invSymbol+":*")
				})
			})
		})
	}
}
