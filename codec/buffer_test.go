package codec

import (
	"errors"
	"testing"
)

// outWriter hands back exactly what the encoder wrote, less its terminator, after the header (exact mode)
// or after the caller's bytes (append mode), however the encoder split its writes.
func TestOutWriter(t *testing.T) {
	h := header{b: [len(header{}.b)]byte{0xC1, 1, 1, 0}, n: headerLen}
	for _, tc := range []struct {
		name   string
		writes []string
	}{{"one write", []string{`{"a":1}` + "\n"}}, {"split writes", []string{`{"a"`, `:1}`, "\n"}}} {
		w := outWriter{exact: true, hdr: h}
		for _, p := range tc.writes {
			if _, err := w.Write([]byte(p)); err != nil {
				t.Fatal(err)
			}
		}
		got, err := w.result(1)
		if err != nil || string(got) != "\xC1\x01\x01\x00"+`{"a":1}` || len(got) != cap(got) {
			t.Errorf("exact, %s: %q (len %d cap %d), %v", tc.name, got, len(got), cap(got), err)
		}

		dst := make([]byte, 2, 64)
		copy(dst, "xy")
		w = outWriter{b: dst}
		for _, p := range tc.writes {
			if err := w.WriteByte(p[0]); err != nil {
				t.Fatal(err)
			}
			if _, err := w.Write([]byte(p[1:])); err != nil {
				t.Fatal(err)
			}
		}
		got, err = w.result(1)
		if err != nil || string(got) != `xy{"a":1}` || cap(got) != 64 || &got[0] != &dst[0] {
			t.Errorf("append, %s: %q (cap %d, same array %v), %v", tc.name, got, cap(got), &got[0] == &dst[0], err)
		}
	}
	for _, w := range []outWriter{{exact: true, hdr: h}, {b: []byte("xy")}} {
		if _, err := w.result(1); !errors.Is(err, ErrEncode) {
			t.Errorf("nothing written (exact %v): err = %v, want ErrEncode", w.exact, err)
		}
	}
}
