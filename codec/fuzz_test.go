package codec

import (
	"bytes"
	"errors"
	"testing"
	"time"
)

// FuzzDecode feeds arbitrary bytes to Decode: it must never panic, and must either decode or report
// ErrCorrupt. Run it longer with: go test -run '^$' -fuzz FuzzDecode ./codec/
func FuzzDecode(f *testing.F) {
	value := sampleEverything(f)
	for _, c := range codecs {
		for _, v := range []any{value, sampleCandles(f, 2), map[string]any{"a": []any{1, "b", nil}}, 1, "s", nil} {
			b, err := EncodeMeta(c, v, Meta{WrittenAt: time.Unix(1700000000, 0)})
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
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
		var generic any
		_, genericErr := Decode(data, &generic)
		targets := []any{new(everything), new([]candle), new(map[string]any), new(node), new(time.Time)}
		for _, v := range targets {
			_, err := Decode(data, v)
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

func TestCheckMsgpack(t *testing.T) {
	deep := append(bytes.Repeat([]byte{0x91}, maxDepth+1), 0xc0) // [[[...nil...]]] one level too deep
	ok := append(bytes.Repeat([]byte{0x91}, maxDepth), 0xc0)
	for name, tc := range map[string]struct {
		b     []byte
		valid bool
	}{
		"nil":                 {[]byte{0xc0}, true},
		"empty":               {nil, false},
		"never-used code":     {[]byte{0xc1}, false},
		"huge array32":        {[]byte{0xdd, 0xff, 0xff, 0xff, 0xff, 1}, false},
		"huge map16":          {[]byte{0xde, 0xff, 0xff, 1, 2}, false},
		"huge bin32":          {[]byte{0xc6, 0x7f, 0xff, 0xff, 0xff, 1}, false},
		"str8 exact":          {[]byte{0xd9, 2, 'h', 'i'}, true},
		"str8 short":          {[]byte{0xd9, 3, 'h', 'i'}, false},
		"fixext8 time":        {append([]byte{0xd7, 0xff}, make([]byte, 8)...), true},
		"fixext8 short":       {append([]byte{0xd7, 0xff}, make([]byte, 7)...), false},
		"ext8 12-byte time":   {append([]byte{0xc7, 12, 0xff}, make([]byte, 12)...), true},
		"float64 short":       {[]byte{0xcb, 0, 0, 0}, false},
		"fixmap odd":          {[]byte{0x81, 0xa1, 'k'}, false},
		"fixmap":              {[]byte{0x81, 0xa1, 'k', 0x01}, true},
		"trailing byte":       {[]byte{0x01, 0x02}, false},
		"max depth":           {ok, true},
		"deeper than allowed": {deep, false},
	} {
		if err := checkMsgpack(tc.b); (err == nil) != tc.valid {
			t.Errorf("%s: checkMsgpack(% .12x) = %v, want valid=%v", name, tc.b, err, tc.valid)
		}
	}
	// The deep input is also refused through Decode, as ErrCorrupt, without recursing into it.
	var v any
	if _, err := Decode(append([]byte{0xC1, 1, 2, 0}, deep...), &v); !errors.Is(err, ErrCorrupt) {
		t.Errorf("Decode(deep) = %v, want ErrCorrupt", err)
	}
}
