package codec

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

// Compression and encryption on the two large market-data values: 120 one-minute candles and a
// 500-level order book (500 bids and 500 asks), with prices and sizes from a seeded random walk so that
// they compress as real ones do (the regular values of benchPayloads would flatter any compressor).
// seal=plain is the baseline of each row; every seal reports its size (bytes/value) and its ratio to
// the plain envelope (x-smaller). Compare per payload and codec:
//
//	go test -c -o codec.test ./codec/
//	for i in $(seq 6); do ./codec.test -test.run '^$' -test.bench '^BenchmarkSeal' -test.benchmem; done > seal.txt
//	benchstat -col /seal seal.txt
func BenchmarkSealEncode(b *testing.B) {
	forEachSealCase(b, func(b *testing.B, p sealPayload, c Codec, s sealing, plain []byte) {
		out, err := s.env.Encode(c, p.value, Meta{}, p.key)
		if err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(len(plain)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := s.env.Encode(c, p.value, Meta{}, p.key); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(len(out)), "bytes/value")
		b.ReportMetric(float64(len(plain))/float64(len(out)), "x-smaller")
	})
}

func BenchmarkSealDecode(b *testing.B) {
	forEachSealCase(b, func(b *testing.B, p sealPayload, c Codec, s sealing, plain []byte) {
		data, err := s.env.Encode(c, p.value, Meta{}, p.key)
		if err != nil {
			b.Fatal(err)
		}
		target := p.target()
		b.SetBytes(int64(len(plain)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := s.env.Decode(data, target, p.key); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// forEachSealCase runs fn as a sub-benchmark for every payload × codec × sealing, with the payload's
// plain envelope (the baseline its bytes and x-smaller are measured against).
func forEachSealCase(b *testing.B, fn func(b *testing.B, p sealPayload, c Codec, s sealing, plain []byte)) {
	for _, p := range sealPayloads() {
		for _, c := range codecs {
			plain, err := Encode(c, p.value)
			if err != nil {
				b.Fatal(err)
			}
			for _, s := range sealings(b) {
				b.Run("payload="+p.name+"/codec="+c.Name()+"/seal="+s.name, func(b *testing.B) { fn(b, p, c, s, plain) })
			}
		}
	}
}

// BenchmarkSealOnly isolates what the envelope options cost beyond the codec: compressing,
// decompressing, sealing and opening the plain JSON payload of each value, with no encoding or decoding.
func BenchmarkSealOnly(b *testing.B) {
	kr := testKeyring(b, "k1")
	for _, p := range sealPayloads() {
		raw, err := JSON.Marshal(p.value)
		if err != nil {
			b.Fatal(err)
		}
		for _, a := range []Algorithm{Zstd, S2} {
			z, _ := compressAppend(nil, raw, a)
			b.Run("payload="+p.name+"/op=compress/alg="+a.String(), func(b *testing.B) {
				b.SetBytes(int64(len(raw)))
				buf := make([]byte, 0, 2*len(raw))
				for b.Loop() {
					buf, _ = compressAppend(buf[:0], raw, a)
				}
			})
			b.Run("payload="+p.name+"/op=decompress/alg="+a.String(), func(b *testing.B) {
				b.SetBytes(int64(len(raw)))
				buf := make([]byte, 0, len(raw))
				for b.Loop() {
					if _, err := decompressAppend(buf[:0], z, a, len(raw)); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
		w := kr.writer()
		aad := []byte(p.key)
		sealed := w.seal(nil, raw, aad)
		b.Run("payload="+p.name+"/op=seal/alg=aes-256-gcm", func(b *testing.B) {
			b.SetBytes(int64(len(raw)))
			buf := make([]byte, 0, len(raw)+w.overhead())
			for b.Loop() {
				buf = w.seal(buf[:0], raw, aad)
			}
		})
		b.Run("payload="+p.name+"/op=open/alg=aes-256-gcm", func(b *testing.B) {
			b.SetBytes(int64(len(raw)))
			buf := make([]byte, 0, len(raw))
			for b.Loop() {
				if _, err := w.aead.Open(buf[:0], nil, sealed, aad); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

type sealing struct {
	name string
	env  *Envelope
}

func sealings(b *testing.B) []sealing {
	kr := testKeyring(b, "k1")
	return []sealing{
		{"plain", nil},
		{"zstd", testEnvelope(b, Compression{Algorithm: Zstd}, nil)},
		{"s2", testEnvelope(b, Compression{Algorithm: S2}, nil)},
		{"aes", testEnvelope(b, Compression{}, kr)},
		{"zstd+aes", testEnvelope(b, Compression{Algorithm: Zstd}, kr)},
		{"s2+aes", testEnvelope(b, Compression{Algorithm: S2}, kr)},
	}
}

type sealPayload struct {
	name, key string
	value     any
	target    func() any
}

func sealPayloads() []sealPayload {
	r := rand.New(rand.NewPCG(1, 2))
	at := time.Date(2026, 11, 26, 21, 41, 0, 0, time.UTC)
	walk := func(p int64, step int64) int64 { return max(1, p+r.Int64N(2*step+1)-step) }
	candles := make([]benchCandle, 120)
	price := int64(123456) // 0.123456 USDT
	for i := range candles {
		open := at.Add(time.Duration(i-120) * time.Minute)
		o := price
		hi, lo := o+r.Int64N(400), o-r.Int64N(400)
		price = walk(price, 300)
		cl := min(hi, max(lo, price))
		vol := r.Int64N(50_000_000_00)
		candles[i] = benchCandle{OpenTime: open, Open: decimal.New(o, -6), High: decimal.New(hi, -6),
			Low: decimal.New(lo, -6), Close: decimal.New(cl, -6), Volume: decimal.New(vol, -2),
			CloseTime: open.Add(time.Minute - time.Millisecond), QuoteVolume: decimal.New(vol*cl/1_000_000, -2)}
	}
	book := benchBook{Symbol: "QRL/USDT", LastUpdateID: 48_123_456_789, Time: at}
	bid, ask := price-1, price+1
	for range 500 {
		bid -= 1 + r.Int64N(3)
		ask += 1 + r.Int64N(3)
		book.Bids = append(book.Bids, benchLevel{Price: decimal.New(bid, -6), Qty: decimal.New(r.Int64N(2_000_000_00), -2)})
		book.Asks = append(book.Asks, benchLevel{Price: decimal.New(ask, -6), Qty: decimal.New(r.Int64N(2_000_000_00), -2)})
	}
	return []sealPayload{
		{"candles120", "qrl:v1:ohlcv:QRL/USDT:1m:120", candles, func() any { return new([]benchCandle) }},
		{"book500", "qrl:v1:orderbook:QRL/USDT:500", book, func() any { return new(benchBook) }},
	}
}
