package bench

// The codec layer beside the raw libraries it wraps (goccy/go-json, vmihailenco/msgpack) on a 120-candle
// series, and a full Cache Get of that series (memory backend, codec included) with each codec.

import (
	"bytes"
	"context"
	"testing"

	json "github.com/goccy/go-json"
	"github.com/vmihailenco/msgpack/v5"

	"github.com/cachekit/cachekit"
	"github.com/cachekit/cachekit/codec"
	"github.com/cachekit/cachekit/exchange"
)

var codecs = []struct {
	c         codec.Codec
	marshal   func(any) ([]byte, error)
	unmarshal func([]byte, any) error
}{
	{codec.JSON, json.Marshal, json.Unmarshal},
	{codec.Msgpack, msgpack.Marshal, msgpack.Unmarshal},
}

func BenchmarkCodecEncode(b *testing.B) {
	for _, cd := range codecs {
		b.Run("codec="+cd.c.Name()+"/impl=raw", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := cd.marshal(candles); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("codec="+cd.c.Name()+"/impl=cachekit", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := codec.Encode(cd.c, candles); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkCodecDecode(b *testing.B) {
	for _, cd := range codecs {
		raw, err := cd.marshal(candles)
		if err != nil {
			b.Fatal(err)
		}
		enveloped, err := codec.Encode(cd.c, candles)
		if err != nil {
			b.Fatal(err)
		}
		b.Run("codec="+cd.c.Name()+"/impl=raw", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var out []exchange.Candle
				if err := cd.unmarshal(raw, &out); err != nil || len(out) != len(candles) {
					b.Fatal(err)
				}
			}
		})
		b.Run("codec="+cd.c.Name()+"/impl=cachekit", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var out []exchange.Candle
				if _, err := codec.Decode(enveloped, &out); err != nil || len(out) != len(candles) {
					b.Fatal(err)
				}
			}
		})
		// Two rows that split cachekit's decode from raw's (reference, no goal):
		// cachekit-bare is the codec on the payload without the envelope header, so cachekit minus
		// cachekit-bare is what reading the header costs; raw+utc is raw Unmarshal plus the cheapest
		// way to keep the codec's rule that decoded times are UTC (msgpack decodes them Local).
		bare, err := cd.c.Marshal(candles)
		if err != nil {
			b.Fatal(err)
		}
		// Every decode row reads the same payload bytes (raw's encoding is the codec's), so the rows
		// differ only in the decoding work.
		if !bytes.Equal(enveloped[len(enveloped)-len(bare):], bare) || !bytes.Equal(bare, raw) {
			b.Fatalf("%s: payloads differ (raw %d bytes, bare %d, enveloped %d): the rows would not decode the same bytes",
				cd.c.Name(), len(raw), len(bare), len(enveloped))
		}
		b.Run("codec="+cd.c.Name()+"/impl=cachekit-bare", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var out []exchange.Candle
				if err := cd.c.Unmarshal(bare, &out); err != nil || len(out) != len(candles) {
					b.Fatal(err)
				}
			}
		})
		b.Run("codec="+cd.c.Name()+"/impl=raw+utc", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var out []exchange.Candle
				if err := cd.unmarshal(raw, &out); err != nil || len(out) != len(candles) {
					b.Fatal(err)
				}
				for i := range out {
					out[i].OpenTime = out[i].OpenTime.UTC()
				}
			}
		})
	}
}

// BenchmarkCacheGetCandles is a full Cache Get of a typed 120-candle series over the memory backend,
// written with each codec: impl=json, impl=msgpack.
func BenchmarkCacheGetCandles(b *testing.B) {
	ctx := context.Background()
	const key = "ohlcv:QRL/USDT:1m:120"
	for _, cd := range codecs {
		b.Run("impl="+cd.c.Name(), func(b *testing.B) {
			c, err := cachekit.New(openMemory(b), cachekit.WithNamespace(namespace), cachekit.WithCodec(cd.c))
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			if err := c.Set(ctx, key, candles, remoteTTL); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				var out []exchange.Candle
				if err := c.Get(ctx, key, &out); err != nil || len(out) != len(candles) {
					b.Fatal(err)
				}
			}
		})
	}
}
