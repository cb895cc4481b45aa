package codec_test

// The Cache decodes straight from bytes an in-process store lends it (store.Viewer) and keeps decoded
// values for many readers (store.DecodedCache). That is only sound if Decode never leaves the decoded
// value pointing into its input: these tests pin that down for every codec and for the kinds of value
// that could alias (strings, byte slices, raw messages), whatever library implements a codec.

import (
	"bytes"
	"encoding/json"
	"testing"
	"unsafe"

	"github.com/shopspring/decimal"
	"github.com/vmihailenco/msgpack/v5"

	"github.com/cachekit/cachekit/codec"
)

type aliasProbe struct {
	S    string             `json:"s"`
	B    []byte             `json:"b"`
	L    []string           `json:"l"`
	M    map[string]string  `json:"m"`
	D    decimal.Decimal    `json:"d"`
	Raw  json.RawMessage    `json:"raw" msgpack:"-"`
	MRaw msgpack.RawMessage `json:"-" msgpack:"mraw"`
	Any  any                `json:"any"`
}

func newAliasProbe() aliasProbe {
	return aliasProbe{
		S:    "a string long enough to be worth aliasing",
		B:    []byte("some bytes long enough to be worth aliasing"),
		L:    []string{"first element string", "second element string"},
		M:    map[string]string{"map key string": "map value string"},
		D:    decimal.RequireFromString("12345.678901234567890123"),
		Raw:  json.RawMessage(`{"raw":"json message"}`),
		MRaw: func() msgpack.RawMessage { b, _ := msgpack.Marshal("raw msgpack message"); return b }(),
		Any:  map[string]any{"nested": "interface string"},
	}
}

// within reports whether p points into buf.
func within(p unsafe.Pointer, buf []byte) bool {
	if p == nil || len(buf) == 0 {
		return false
	}
	start := uintptr(unsafe.Pointer(unsafe.SliceData(buf)))
	return uintptr(p) >= start && uintptr(p) < start+uintptr(len(buf))
}

func TestDecodeNeverAliasesItsInput(t *testing.T) {
	for _, c := range []codec.Codec{codec.JSON, codec.Msgpack} {
		t.Run(c.Name(), func(t *testing.T) {
			in := newAliasProbe()
			data, err := codec.Encode(c, in)
			if err != nil {
				t.Fatal(err)
			}
			if !within(unsafe.Pointer(&data[len(data)-1]), data) || within(unsafe.Pointer(&in.B[0]), data) {
				t.Fatal("within is broken")
			}
			var out aliasProbe
			if _, err := codec.Decode(data, &out); err != nil {
				t.Fatal(err)
			}
			check := func(what string, p unsafe.Pointer) {
				t.Helper()
				if within(p, data) {
					t.Errorf("%s of the decoded value points into Decode's input", what)
				}
			}
			check("S", unsafe.Pointer(unsafe.StringData(out.S)))
			check("B", unsafe.Pointer(unsafe.SliceData(out.B)))
			for i, s := range out.L {
				check("L["+string(rune('0'+i))+"]", unsafe.Pointer(unsafe.StringData(s)))
			}
			for k, v := range out.M {
				check("M key", unsafe.Pointer(unsafe.StringData(k)))
				check("M value", unsafe.Pointer(unsafe.StringData(v)))
			}
			check("Raw", unsafe.Pointer(unsafe.SliceData(out.Raw)))
			check("MRaw", unsafe.Pointer(unsafe.SliceData(out.MRaw)))
			if m, ok := out.Any.(map[string]any); ok {
				for k, v := range m {
					check("Any key", unsafe.Pointer(unsafe.StringData(k)))
					if s, ok := v.(string); ok {
						check("Any value", unsafe.Pointer(unsafe.StringData(s)))
					}
				}
			} else {
				t.Fatalf("Any decoded as %T", out.Any)
			}

			// And the proof by effect: scribbling over the input changes nothing decoded from it.
			want := out.S + string(out.B) + out.L[0] + out.L[1] + out.M["map key string"] + out.D.String() +
				string(out.Raw) + string(out.MRaw)
			for i := range data {
				data[i] = 'X'
			}
			got := out.S + string(out.B) + out.L[0] + out.L[1] + out.M["map key string"] + out.D.String() +
				string(out.Raw) + string(out.MRaw)
			if got != want {
				t.Fatalf("decoded value changed when its input was overwritten:\n got %q\nwant %q", got, want)
			}
			if c == codec.JSON && !bytes.Equal(out.Raw, in.Raw) {
				t.Fatalf("Raw = %s, want %s", out.Raw, in.Raw)
			}
			if c == codec.Msgpack && !bytes.Equal(out.MRaw, in.MRaw) {
				t.Fatalf("MRaw = %x, want %x", out.MRaw, in.MRaw)
			}
		})
	}
}

// Plain JSON (values without the envelope, as a Python writer leaves them) takes the same care.
func TestDecodePlainJSONNeverAliasesItsInput(t *testing.T) {
	data := []byte(`{"s":"a plain json string value","b":"c29tZSBieXRlcw==","l":["element one"]}`)
	var out aliasProbe
	if _, err := codec.Decode(data, &out); err != nil {
		t.Fatal(err)
	}
	for what, p := range map[string]unsafe.Pointer{
		"S":    unsafe.Pointer(unsafe.StringData(out.S)),
		"B":    unsafe.Pointer(unsafe.SliceData(out.B)),
		"L[0]": unsafe.Pointer(unsafe.StringData(out.L[0])),
	} {
		if within(p, data) {
			t.Errorf("%s of the decoded plain JSON points into Decode's input", what)
		}
	}
}

// Compressed and encrypted values decode from pooled buffers (the decompressed and decrypted payload),
// which later decodes overwrite: nothing decoded may point into them either. Proof by effect: decode a
// probe, decode other values through the same pools, and the probe is unchanged.
func TestSealedDecodeNeverAliasesItsBuffers(t *testing.T) {
	keys, err := codec.NewKeyring(codec.Key{ID: "k1", Secret: bytes.Repeat([]byte{7}, 32)})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []codec.Codec{codec.JSON, codec.Msgpack} {
		for _, comp := range []codec.Compression{{Algorithm: codec.Zstd, MinSize: 1}, {Algorithm: codec.S2, MinSize: 1}} {
			for _, kr := range []*codec.Keyring{nil, keys} {
				env, err := codec.NewEnvelope(comp, kr)
				if err != nil {
					t.Fatal(err)
				}
				data, err := env.Encode(c, newAliasProbe(), codec.Meta{}, "k")
				if err != nil {
					t.Fatal(err)
				}
				var out aliasProbe
				if _, err := env.Decode(data, &out, "k"); err != nil {
					t.Fatal(err)
				}
				sum := func() string {
					return out.S + string(out.B) + out.L[0] + out.L[1] + out.M["map key string"] + out.D.String() +
						string(out.Raw) + string(out.MRaw) + out.Any.(map[string]any)["nested"].(string)
				}
				want := sum()
				other := aliasProbe{S: string(bytes.Repeat([]byte{'Y'}, len(out.S))), B: bytes.Repeat([]byte{'Y'}, 200),
					L: []string{"YYYYYYYYYYYYYYYYYYYYYYYYYYYY", "YYYYYYYYYYYYYYYYYYYYYYYYY"}, Raw: json.RawMessage(`"YYYYYYYYYYYYYYYYYYYYYY"`)}
				for range 50 {
					b, err := env.Encode(c, other, codec.Meta{}, "k")
					if err != nil {
						t.Fatal(err)
					}
					var o aliasProbe
					if _, err := env.Decode(b, &o, "k"); err != nil {
						t.Fatal(err)
					}
				}
				if got := sum(); got != want {
					t.Fatalf("%s/%s/%v: a decoded value changed when later decodes reused the buffers:\n got %q\nwant %q", c.Name(), comp, kr, got, want)
				}
			}
		}
	}
}
