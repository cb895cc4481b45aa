package codec

import (
	stdjson "encoding/json"
	"testing"

	gojson "github.com/goccy/go-json"
	"github.com/vmihailenco/msgpack/v5"

	"github.com/cachekit/cachekit/codec/internal/mpscan"
)

// The codec layer beside the raw library each codec runs on (goccy/go-json, vmihailenco/msgpack), on a
// ticker, 120 candles and a 100-level order book. impl=raw is the library's own Marshal/Unmarshal,
// impl=cachekit the same value through Encode/Decode (envelope, cycle check, msgpack structure check,
// UTC pass), impl=append AppendEncode into a reused buffer. Run interleaved and compare per row:
//
//	go test -c -o codec.test ./codec/
//	for i in $(seq 8); do ./codec.test -test.run '^$' -test.bench '^Benchmark(Encode|Decode)$' -test.benchmem; done > new.txt
//	benchstat -col /impl new.txt

var rawLibs = map[string]struct {
	marshal   func(any) ([]byte, error)
	unmarshal func([]byte, any) error
}{
	"json":    {gojson.Marshal, gojson.Unmarshal},
	"msgpack": {msgpack.Marshal, msgpack.Unmarshal},
}

func BenchmarkEncode(b *testing.B) {
	for _, p := range benchPayloads() {
		for _, c := range codecs {
			raw := rawLibs[c.Name()]
			name := "payload=" + p.name + "/codec=" + c.Name()
			b.Run(name+"/impl=raw", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if _, err := raw.marshal(p.value); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run(name+"/impl=cachekit", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if _, err := Encode(c, p.value); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run(name+"/impl=append", func(b *testing.B) {
				b.ReportAllocs()
				var buf []byte
				for b.Loop() {
					var err error
					if buf, err = AppendEncode(buf[:0], c, p.value); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

func BenchmarkDecode(b *testing.B) {
	for _, p := range benchPayloads() {
		for _, c := range codecs {
			raw := rawLibs[c.Name()]
			rawBytes, err := raw.marshal(p.value)
			if err != nil {
				b.Fatal(err)
			}
			enveloped, err := Encode(c, p.value)
			if err != nil {
				b.Fatal(err)
			}
			name := "payload=" + p.name + "/codec=" + c.Name()
			b.Run(name+"/impl=raw", func(b *testing.B) {
				b.SetBytes(int64(len(rawBytes)))
				b.ReportAllocs()
				for b.Loop() {
					if err := raw.unmarshal(rawBytes, p.target()); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run(name+"/impl=cachekit", func(b *testing.B) {
				b.SetBytes(int64(len(rawBytes)))
				b.ReportAllocs()
				for b.Loop() {
					if _, err := Decode(enveloped, p.target()); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkJSONLib compares the JSON libraries the json codec can run on, as their own Marshal and
// Unmarshal; it is the measurement behind running JSON on goccy/go-json (see json.go).
func BenchmarkJSONLib(b *testing.B) {
	libs := []struct {
		name      string
		marshal   func(any) ([]byte, error)
		unmarshal func([]byte, any) error
	}{{"encoding-json", stdjson.Marshal, stdjson.Unmarshal}, {"goccy", gojson.Marshal, gojson.Unmarshal}}
	for _, p := range benchPayloads() {
		data, err := stdjson.Marshal(p.value)
		if err != nil {
			b.Fatal(err)
		}
		for _, l := range libs {
			b.Run("payload="+p.name+"/op=encode/impl="+l.name, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if _, err := l.marshal(p.value); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("payload="+p.name+"/op=decode/impl="+l.name, func(b *testing.B) {
				b.SetBytes(int64(len(data)))
				b.ReportAllocs()
				for b.Loop() {
					if err := l.unmarshal(data, p.target()); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkEncodePlainJSON is the Python-interop writer on the candle series.
func BenchmarkEncodePlainJSON(b *testing.B) {
	candles := benchPayloads()[1].value
	b.ReportAllocs()
	for b.Loop() {
		if _, err := EncodePlainJSON(candles); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCheckMsgpack is the structure pass that runs before every msgpack decode.
func BenchmarkCheckMsgpack(b *testing.B) {
	for _, p := range benchPayloads() {
		data, err := Msgpack.Marshal(p.value)
		if err != nil {
			b.Fatal(err)
		}
		b.Run("payload="+p.name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				if err := mpscan.Check(data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkToUTC is the pass that makes decoded times UTC, on values whose times are all Local (as
// msgpack decodes them).
func BenchmarkToUTC(b *testing.B) {
	for _, p := range benchPayloads() {
		data, err := msgpack.Marshal(p.value)
		if err != nil {
			b.Fatal(err)
		}
		v := p.target()
		if err := msgpack.Unmarshal(data, v); err != nil {
			b.Fatal(err)
		}
		b.Run("payload="+p.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				utcMsgpack.Fix(v) // after the first run the times are UTC: this is the walk's cost
			}
		})
	}
}
