package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/cachekit/cachekit/codec"
	"github.com/cachekit/cachekit/exchange"
)

// Payloads: realistic market data from the deterministic synthetic source (fixed seed and clock), and
// the bytes cachekit stores for them (JSON codec in its envelope). Baselines store the same bytes.
var (
	ticker  exchange.Ticker
	candles []exchange.Candle // 120 one-minute candles
	book    exchange.OrderBook

	tickerBytes, bookBytes []byte
)

// values names the byte payloads the backend benchmarks run with.
var values = []struct {
	name string
	data *[]byte
}{
	{"ticker", &tickerBytes},
	{"book", &bookBytes},
}

// TTLs, the same on every side. remoteTTL is the Redis TTL; localTTL bounds in-process copies (cachekit's
// L1MaxTTL, go-redis/cache's TinyLFU TTL, rueidis's client-side TTL).
const (
	remoteTTL = time.Hour
	localTTL  = 10 * time.Second
)

// Ristretto settings shared by the memory backend and the raw ristretto baseline.
const (
	memMaxBytes = 64 << 20
	memCounters = memMaxBytes / 256 * 10
	memBuffer   = 64
)

func init() {
	src, err := exchange.NewSynthetic(exchange.SyntheticOptions{
		Seed: 42,
		Now:  func() time.Time { return time.Date(2026, 11, 26, 21, 41, 25, 123e6, time.UTC) },
	})
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	if ticker, err = src.Ticker(ctx, "QRL/USDT"); err != nil {
		panic(err)
	}
	if candles, err = src.OHLCV(ctx, "QRL/USDT", "1m", 120); err != nil {
		panic(err)
	}
	if book, err = src.OrderBook(ctx, "QRL/USDT", 100); err != nil {
		panic(err)
	}
	tickerBytes = mustEncode(ticker)
	bookBytes = mustEncode(book)
}

func mustEncode(v any) []byte {
	b, err := codec.Encode(codec.JSON, v)
	if err != nil {
		panic(err)
	}
	return b
}

// Keys are ~30 bytes, shaped like cachekit's: "qrl:v1:ticker:X0042/USDT:mexc" (29 bytes).
const namespace = "qrl"

// relKey is the i-th key relative to the keyspace (what a Cache caller passes).
func relKey(kind string, i int) string { return fmt.Sprintf("%s:X%04d/USDT:mexc", kind, i) }

// fullKey is the i-th key as stored.
func fullKey(kind string, i int) string { return namespace + ":v1:" + relKey(kind, i) }

func fullKeys(kind string, n int) []string {
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fullKey(kind, i)
	}
	return keys
}
