package codec

import (
	"bytes"
	"fmt"
	"testing"
	"time"
)

// checkMsgpackRef is the plain form of checkMsgpack, kept as the oracle for it: one table lookup per
// type code and an explicit stack of pending item counts.
func checkMsgpackRef(b []byte) error {
	pending := []uint64{1}
	i := 0
	for len(pending) > 0 {
		top := len(pending) - 1
		if pending[top] == 0 {
			pending = pending[:top]
			continue
		}
		pending[top]--
		if i >= len(b) {
			return errTruncated
		}
		c := b[i]
		code := mpCodes[c]
		i++
		n := uint64(code.n)
		if code.lenSize > 0 {
			if len(b)-i < int(code.lenSize) {
				return errTruncated
			}
			n = readBig(b[i:], code.lenSize)
			i += int(code.lenSize)
		}
		var skip, items uint64
		switch code.kind {
		case mpInvalid:
			return fmt.Errorf("byte 0x%02x at offset %d is not a msgpack type code", c, i-1)
		case mpFixed, mpBytes:
			skip = n
		case mpExt:
			skip = n + 1
		case mpArray:
			items = n
		case mpMap:
			items = 2 * n
		}
		if skip > uint64(len(b)-i) {
			return errTruncated
		}
		i += int(skip)
		if items > 0 {
			if items > uint64(len(b)-i) {
				return errTruncated
			}
			if len(pending) > maxDepth {
				return fmt.Errorf("value nests deeper than %d levels", maxDepth)
			}
			pending = append(pending, items)
		}
	}
	if i != len(b) {
		return fmt.Errorf("%d trailing bytes after the value", len(b)-i)
	}
	return nil
}

// msgpackSamples are valid encodings that use every kind of type code.
func msgpackSamples(t testing.TB) [][]byte {
	values := []any{sampleEverything(t), map[string]any{"a": []any{1, "b", nil, 1.5, float32(2), int64(-1 << 40),
		uint64(1 << 63), true, false, []byte("bin"), time.Unix(1, 5), time.Unix(1<<40, 0), bytes.Repeat([]byte{1}, 300),
		string(bytes.Repeat([]byte{'s'}, 70000)), make([]int, 20), map[int]int{1: 2}}}}
	for _, p := range benchPayloads() {
		values = append(values, p.value)
	}
	var out [][]byte
	for _, v := range values {
		b, err := Msgpack.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

// checkMsgpack agrees with the oracle on valid values, every truncation of them, and every single-byte
// change of a small one.
func TestCheckMsgpackMatchesReference(t *testing.T) {
	agree := func(b []byte) {
		t.Helper()
		got, want := checkMsgpack(b), checkMsgpackRef(b)
		if (got == nil) != (want == nil) {
			t.Fatalf("% .20x (%d bytes): checkMsgpack = %v, reference = %v", b, len(b), got, want)
		}
	}
	for _, b := range msgpackSamples(t) {
		if err := checkMsgpack(b); err != nil {
			t.Fatalf("valid value rejected: %v", err)
		}
		for n := range min(len(b), 4096) {
			agree(b[:n])
		}
	}
	small, _ := Msgpack.Marshal(sampleEverything(t))
	for i := range small {
		for _, c := range []byte{0x00, 0x7f, 0x80, 0x8f, 0x9f, 0xa0, 0xbf, 0xc1, 0xc4, 0xc7, 0xd4, 0xd8, 0xd9,
			0xdc, 0xdd, 0xde, 0xdf, 0xff} {
			mutated := bytes.Clone(small)
			mutated[i] = c
			agree(mutated)
		}
	}
}

// FuzzCheckMsgpack compares checkMsgpack with the oracle on arbitrary bytes:
// go test -run '^$' -fuzz FuzzCheckMsgpack ./codec/
func FuzzCheckMsgpack(f *testing.F) {
	for _, b := range msgpackSamples(f) {
		if len(b) < 4096 {
			f.Add(b)
		}
	}
	f.Add([]byte{0xdd, 0xff, 0xff, 0xff, 0xff, 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		got, want := checkMsgpack(b), checkMsgpackRef(b)
		if (got == nil) != (want == nil) {
			t.Fatalf("% x: checkMsgpack = %v, reference = %v", b, got, want)
		}
	})
}

// BenchmarkCheckMsgpackRef is the oracle's speed, beside BenchmarkCheckMsgpack.
func BenchmarkCheckMsgpackRef(b *testing.B) {
	data, err := Msgpack.Marshal(benchPayloads()[1].value)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if err := checkMsgpackRef(data); err != nil {
			b.Fatal(err)
		}
	}
}
