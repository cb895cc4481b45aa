package codec

import (
	"encoding/json"
	"testing"

	"github.com/vmihailenco/msgpack/v5"
)

// Encode and decode of a realistic 120-candle OHLCV payload. Each codec has the raw library call
// (impl=raw) and the same through Encode/Decode (impl=cachekit: envelope, cycle check, UTC pass,
// msgpack structure check), so that
//
//	go test -run '^$' -bench '^Benchmark(Encode|Decode)$' -benchmem -count 10 ./codec/ > new.txt
//	benchstat -col /impl new.txt
//
// shows the envelope's overhead as a ratio per codec.

const benchCandles = 120

func BenchmarkEncode(b *testing.B) {
	candles := sampleCandles(b, benchCandles)
	raw := map[string]func(any) ([]byte, error){"json": json.Marshal, "msgpack": msgpack.Marshal}
	for _, c := range codecs {
		b.Run("codec="+c.Name()+"/impl=raw", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := raw[c.Name()](candles); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("codec="+c.Name()+"/impl=cachekit", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Encode(c, candles); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkDecode(b *testing.B) {
	candles := sampleCandles(b, benchCandles)
	rawEnc := map[string]func(any) ([]byte, error){"json": json.Marshal, "msgpack": msgpack.Marshal}
	raw := map[string]func([]byte, any) error{"json": json.Unmarshal, "msgpack": msgpack.Unmarshal}
	for _, c := range codecs {
		rawBytes, err := rawEnc[c.Name()](candles)
		if err != nil {
			b.Fatal(err)
		}
		enveloped, err := Encode(c, candles)
		if err != nil {
			b.Fatal(err)
		}
		b.Run("codec="+c.Name()+"/impl=raw", func(b *testing.B) {
			b.SetBytes(int64(len(rawBytes)))
			b.ReportAllocs()
			for b.Loop() {
				var out []candle
				if err := raw[c.Name()](rawBytes, &out); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("codec="+c.Name()+"/impl=cachekit", func(b *testing.B) {
			b.SetBytes(int64(len(enveloped)))
			b.ReportAllocs()
			for b.Loop() {
				var out []candle
				if _, err := Decode(enveloped, &out); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkEncodePlainJSON is the Python-interop writer next to the json codec's Encode.
func BenchmarkEncodePlainJSON(b *testing.B) {
	candles := sampleCandles(b, benchCandles)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := EncodePlainJSON(candles); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCheckMsgpack is the structure pass that runs before every msgpack decode.
func BenchmarkCheckMsgpack(b *testing.B) {
	data, err := Msgpack.Marshal(sampleCandles(b, benchCandles))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if err := checkMsgpack(data); err != nil {
			b.Fatal(err)
		}
	}
}
