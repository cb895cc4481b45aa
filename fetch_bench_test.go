package cachekit_test

import (
	"context"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/cachekit/cachekit"
	"github.com/cachekit/cachekit/codec"
)

type benchCandle struct {
	OpenTime time.Time       `json:"t" msgpack:"t"`
	Open     decimal.Decimal `json:"o" msgpack:"o"`
	High     decimal.Decimal `json:"h" msgpack:"h"`
	Low      decimal.Decimal `json:"l" msgpack:"l"`
	Close    decimal.Decimal `json:"c" msgpack:"c"`
	Volume   decimal.Decimal `json:"v" msgpack:"v"`
}

func benchCandles(n int) []benchCandle {
	out := make([]benchCandle, n)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range out {
		p := decimal.New(int64(12000+i), -5)
		out[i] = benchCandle{OpenTime: t0.Add(time.Duration(i) * 24 * time.Hour), Open: p, High: p, Low: p, Close: p, Volume: decimal.New(int64(100000+i), -2)}
	}
	return out
}

// BenchmarkFetchHit120Candles is a Fetch hit of a 120-candle OHLCV series on the memory backend: Fetch
// decodes a private copy on every hit (impl=fetch), View returns the shared form kept per write
// (impl=view), the price of the caller owning what Fetch returns.
func BenchmarkFetchHit120Candles(b *testing.B) {
	ctx := context.Background()
	for _, cd := range []codec.Codec{codec.JSON, codec.Msgpack} {
		c := newMemoryCache(b, cd)
		if err := c.Set(ctx, "ohlcv:QRL/USDT:1d:120", benchCandles(120), time.Hour); err != nil {
			b.Fatal(err)
		}
		load := func(context.Context) ([]benchCandle, error) { b.Fatal("loaded on a hit"); return nil, nil }
		b.Run("codec="+cd.Name()+"/impl=fetch", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				v, err := cachekit.Fetch(ctx, c, "ohlcv:QRL/USDT:1d:120", 0, load)
				if err != nil || len(v) != 120 {
					b.Fatal(err)
				}
			}
		})
		b.Run("codec="+cd.Name()+"/impl=view", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				v, err := cachekit.View[[]benchCandle](ctx, c, "ohlcv:QRL/USDT:1d:120")
				if err != nil || len(v) != 120 {
					b.Fatal(err)
				}
			}
		})
	}
}
