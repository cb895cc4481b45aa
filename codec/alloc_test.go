package codec

import (
	"bytes"
	"errors"
	"math"
	"testing"
)

// The codec layer adds no allocation to the library it runs on: Encode allocates what the library's
// Marshal does (its result is the one exact-size slice both return), AppendEncode one less (no result to
// allocate), and Decode what the library's Unmarshal does. Msgpack's own Marshal and Unmarshal build a
// buffer or reader per call, which the codec pools, so there the codec may allocate less.
func TestNoExtraAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector drops pooled items at random, so allocation counts vary")
	}
	allocs := func(f func() error) float64 {
		t.Helper()
		var err error
		n := testing.AllocsPerRun(200, func() {
			if e := f(); e != nil {
				err = e
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		return math.Round(n)
	}
	for _, p := range benchPayloads() {
		for _, c := range codecs {
			raw := rawLibs[c.Name()]
			rawBytes, err := raw.marshal(p.value)
			if err != nil {
				t.Fatal(err)
			}
			enveloped, err := Encode(c, p.value)
			if err != nil {
				t.Fatal(err)
			}
			buf := make([]byte, 0, 2*len(enveloped))
			rawEnc := allocs(func() error { _, err := raw.marshal(p.value); return err })
			enc := allocs(func() error { _, err := Encode(c, p.value); return err })
			app := allocs(func() error { _, err := AppendEncode(buf[:0], c, p.value); return err })
			target := p.target()
			rawDec := allocs(func() error { return raw.unmarshal(rawBytes, target) })
			dec := allocs(func() error { _, err := Decode(enveloped, target); return err })

			name := p.name + "/" + c.Name()
			exact := c == JSON
			if enc > rawEnc || (exact && enc != rawEnc) {
				t.Errorf("%s: Encode allocates %v times, the library's Marshal %v", name, enc, rawEnc)
			}
			if app > rawEnc-1 || (exact && app != rawEnc-1) {
				t.Errorf("%s: AppendEncode into a large enough buffer allocates %v times, want %v (Marshal less its result)",
					name, app, rawEnc-1)
			}
			if dec > rawDec || (exact && dec != rawDec) {
				t.Errorf("%s: Decode allocates %v times, the library's Unmarshal %v", name, dec, rawDec)
			}
		}
	}
}

func TestAppendEncode(t *testing.T) {
	v := sampleEverything(t)
	for _, c := range codecs {
		want, err := Encode(c, v)
		if err != nil {
			t.Fatal(err)
		}
		prefix := []byte("keep")
		got, err := AppendEncode(prefix, c, v)
		if err != nil || !bytes.Equal(got, append([]byte("keep"), want...)) {
			t.Errorf("%s: AppendEncode = %q, %v; want the prefix then Encode's bytes", c.Name(), got, err)
		}
		var back everything
		if _, err := Decode(got[len(prefix):], &back); err != nil {
			t.Fatal(err)
		}
		checkEverything(t, back, v)

		// An error leaves dst's length as it was and reports what Encode reports.
		buf := append(make([]byte, 0, 64), "keep"...)
		out, err := AppendEncode(buf, c, make(chan int))
		if !errors.Is(err, ErrEncode) || len(out) != 4 || string(out) != "keep" {
			t.Errorf("%s: AppendEncode(chan) = %q, %v; want dst unchanged and ErrEncode", c.Name(), out, err)
		}
	}
	if out, err := AppendEncode([]byte("x"), fakeCodec{JSON}, 1); !errors.Is(err, ErrUnknownCodec) || string(out) != "x" {
		t.Errorf("foreign codec: %q, %v; want dst unchanged and ErrUnknownCodec", out, err)
	}
	m := Meta{WrittenAt: sampleEverything(t).At, SoftExpiry: sampleEverything(t).At.Add(1e9)}
	want, _ := EncodeMeta(Msgpack, 1, m)
	if got, err := AppendEncodeMeta(nil, Msgpack, 1, m); err != nil || !bytes.Equal(got, want) {
		t.Errorf("AppendEncodeMeta = % x, %v; want EncodeMeta's % x", got, err, want)
	}
}
