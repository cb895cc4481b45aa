package codec_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/shopspring/decimal"

	"github.com/cachekit/cachekit/codec"
)

func ExampleEncode() {
	type Ticker struct {
		Symbol string          `json:"symbol"`
		Last   decimal.Decimal `json:"last"`
		At     time.Time       `json:"at"`
	}
	in := Ticker{
		Symbol: "QRL/USDT",
		Last:   decimal.RequireFromString("0.123456789012345678901"),
		At:     time.Date(2024, 5, 1, 14, 0, 0, 0, time.FixedZone("CEST", 2*3600)),
	}

	b, err := codec.Encode(codec.Msgpack, in)
	if err != nil {
		panic(err)
	}
	fmt.Printf("header % x\n", b[:4])

	// Decode needs no codec: the header names it (here msgpack).
	var out Ticker
	meta, err := codec.Decode(b, &out)
	if err != nil {
		panic(err)
	}
	fmt.Println(meta.Codec, out.Symbol, out.Last, out.At)

	// Plain JSON without a header, as a Python service writes it, decodes too.
	_, err = codec.Decode([]byte(`{"symbol":"QRL/USDT","last":0.1,"at":"2024-05-01T12:00:00+00:00"}`), &out)
	fmt.Println(out.Last, out.At, err)
	// Output:
	// header c1 01 02 00
	// 2 QRL/USDT 0.123456789012345678901 2024-05-01 12:00:00 +0000 UTC
	// 0.1 2024-05-01 12:00:00 +0000 UTC <nil>
}

func ExampleEncodeMeta() {
	written := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	b, _ := codec.EncodeMeta(codec.JSON, []int{1, 2}, codec.Meta{WrittenAt: written, SoftExpiry: written.Add(time.Minute)})

	meta, _ := codec.ReadMeta(b) // the header alone, without decoding the payload
	fmt.Println(meta.Codec, meta.WrittenAt, meta.SoftExpiry)
	// Output:
	// 1 2024-05-01 12:00:00 +0000 UTC 2024-05-01 12:01:00 +0000 UTC
}

func ExampleEncodePlainJSON() {
	b, _ := codec.EncodePlainJSON(map[string]any{"last": decimal.RequireFromString("0.10000000000000000001")})
	fmt.Println(string(b))
	// Output:
	// {"last":0.10000000000000000001}
}

func ExampleAppendEncode() {
	// A caller that owns a buffer (reused across calls, or pooled) appends the envelope to it; nothing is
	// allocated for the result once the buffer is large enough.
	var buf []byte
	for _, price := range []string{"0.1234", "0.1235"} {
		var err error
		buf, err = codec.AppendEncode(buf[:0], codec.JSON, map[string]decimal.Decimal{"last": decimal.RequireFromString(price)})
		if err != nil {
			panic(err)
		}
		fmt.Printf("% x %s\n", buf[:4], buf[4:])
	}
	// Output:
	// c1 01 01 00 {"last":"0.1234"}
	// c1 01 01 00 {"last":"0.1235"}
}

func ExampleEnvelope() {
	keys, err := codec.NewKeyring(codec.Key{ID: "k1", Secret: make([]byte, 32)}) // use a random key
	if err != nil {
		panic(err)
	}
	env, err := codec.NewEnvelope(codec.Compression{Algorithm: codec.Zstd}, keys)
	if err != nil {
		panic(err)
	}
	const key = "qrl:v1:ohlcv:QRL/USDT" // the store key: the ciphertext is bound to it
	closes := make([]float64, 500)
	b, err := env.Encode(codec.JSON, closes, codec.Meta{}, key)
	if err != nil {
		panic(err)
	}
	var back []float64
	m, err := env.Decode(b, &back, key)
	fmt.Println(len(back), m.Compression, m.KeyID, err)

	_, err = env.Decode(b, &back, "qrl:v1:ohlcv:QRL/BTC") // moved to another key
	fmt.Println(errors.Is(err, codec.ErrCorrupt))
	fmt.Println(env) // no key material
	// Output:
	// 500 zstd k1 <nil>
	// true
	// compression zstd:512, encryption k1 (fingerprint e495a440)
}
