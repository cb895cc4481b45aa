package codec

import (
	"bytes"
	"errors"
	"testing"
	"time"
)

// FuzzDecode feeds arbitrary bytes to Decode and to an Envelope's Decode (with keys, so the compressed
// and encrypted header fields and payloads are reached): neither may panic, and each must either decode
// or report ErrCorrupt. Run it longer with: go test -run '^$' -fuzz FuzzDecode ./codec/
func FuzzDecode(f *testing.F) {
	const fuzzKey = "qrl:v1:fuzz:key"
	value := sampleEverything(f)
	keys := testKeyring(f, "k1", "k2")
	writers := []*Envelope{nil}
	for _, a := range []Algorithm{Zstd, S2} {
		writers = append(writers, testEnvelope(f, Compression{Algorithm: a, MinSize: 1}, nil),
			testEnvelope(f, Compression{Algorithm: a, MinSize: 1}, keys))
	}
	writers = append(writers, testEnvelope(f, Compression{}, keys))
	reader := testEnvelope(f, Compression{}, keys)
	for _, c := range codecs {
		for _, v := range []any{value, sampleCandles(f, 2), map[string]any{"a": []any{1, "b", nil}}, 1, "s", nil} {
			for _, w := range writers {
				b, err := w.Encode(c, v, Meta{WrittenAt: time.Unix(1700000000, 0)}, fuzzKey)
				if err != nil {
					f.Fatal(err)
				}
				f.Add(b)
			}
		}
	}
	plain, _ := EncodePlainJSON(value)
	f.Add(plain)
	f.Add([]byte{0xC1, 1, 2, 0, 0xdd, 0xff, 0xff, 0xff, 0xff}) // array claiming 4 billion items
	f.Add([]byte{0xC1, 1, 2, 0, 0x91, 0x91, 0x91, 0x91, 0xc0})
	f.Add([]byte(`{"open_time":"2024-05-01T12:00:00.123456+00:00","open":0.1}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		// Corruption is a property of the bytes, a type mismatch one of the target: bytes that decode
		// into `any` are never corrupt for another target.
		for _, decode := range []func([]byte, any) (Meta, error){
			Decode,
			func(data []byte, v any) (Meta, error) { return reader.Decode(data, v, fuzzKey) },
		} {
			var generic any
			_, genericErr := decode(data, &generic)
			targets := []any{new(everything), new([]candle), new(map[string]any), new(node), new(time.Time)}
			for _, v := range targets {
				_, err := decode(data, v)
				switch {
				case err == nil, errors.Is(err, ErrTypeMismatch) && !errors.Is(err, ErrCorrupt):
				case errors.Is(err, ErrCorrupt):
					if genericErr == nil {
						t.Fatalf("Decode(% x) into %T: %v, but the bytes decode into any: want a type mismatch", data, v, err)
					}
				default:
					t.Fatalf("Decode(% x) into %T: err = %v, want nil, ErrCorrupt or ErrTypeMismatch", data, v, err)
				}
			}
		}
		if _, err := ReadMeta(data); err != nil && !errors.Is(err, ErrCorrupt) {
			t.Fatalf("ReadMeta: %v", err)
		}
		// Whatever decoded into `any` must encode again.
		var v any
		if m, err := Decode(data, &v); err == nil && m.Codec != 0 {
			if _, err := Encode(JSON, v); err != nil && !errors.Is(err, ErrEncode) {
				t.Fatalf("re-encode: %v", err)
			}
		}
	})
}

// Nesting is refused beyond maxDepth, as ErrCorrupt, before the decoder recurses into it; up to
// maxDepth it decodes.
func TestMsgpackDepthLimit(t *testing.T) {
	header := []byte{0xC1, 1, 2, 0}
	deep := append(bytes.Repeat([]byte{0x91}, maxDepth+1), 0xc0) // [[[...nil...]]] one level too deep
	var v any
	if _, err := Decode(append(header, deep...), &v); !errors.Is(err, ErrCorrupt) {
		t.Errorf("Decode(deep) = %v, want ErrCorrupt", err)
	}
	ok := append(bytes.Repeat([]byte{0x91}, maxDepth), 0xc0)
	if _, err := Decode(append(header, ok...), &v); err != nil {
		t.Errorf("Decode(%d levels) = %v, want success", maxDepth, err)
	}
}
