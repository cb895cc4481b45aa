package mpscan

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/vmihailenco/msgpack/v5"

	"github.com/cachekit/cachekit/codec/internal/limits"
)

func TestCheck(t *testing.T) {
	deep := append(bytes.Repeat([]byte{0x91}, limits.MaxDepth+1), 0xc0) // [[[...nil...]]] one level too deep
	ok := append(bytes.Repeat([]byte{0x91}, limits.MaxDepth), 0xc0)
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
		if err := Check(tc.b); (err == nil) != tc.valid {
			t.Errorf("%s: Check(% .12x) = %v, want valid=%v", name, tc.b, err, tc.valid)
		}
	}
}

// checkRef is the plain form of Check, kept as the oracle for it: one table lookup per type code and an
// explicit stack of pending item counts.
func checkRef(b []byte) error {
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
			if len(pending) > limits.MaxDepth {
				return fmt.Errorf("value nests deeper than %d levels", limits.MaxDepth)
			}
			pending = append(pending, items)
		}
	}
	if i != len(b) {
		return fmt.Errorf("%d trailing bytes after the value", len(b)-i)
	}
	return nil
}

// Sample values, shaped as the values codec encodes: structs of decimals and times, nested structs,
// pointers, maps, byte slices, long series.

type level struct {
	Price decimal.Decimal
	Qty   decimal.Decimal
}

type candle struct {
	OpenTime  time.Time
	Open      decimal.Decimal
	High      decimal.Decimal
	Low       decimal.Decimal
	Close     decimal.Decimal
	Volume    decimal.Decimal
	CloseTime time.Time
}

// record has more than 15 fields, so it is written as a map16.
type record struct {
	Name     string
	Count    int64
	Ratio    float64
	Flag     bool
	Price    decimal.Decimal
	At       time.Time
	AtPtr    *time.Time
	Zero     time.Time
	Raw      []byte
	EmptyRaw []byte
	NilRaw   []byte
	Tags     []string
	Attrs    map[string]string
	Nested   level
	NilPtr   *level
	Candles  []candle
	ByKey    map[string]candle
	Times    []time.Time
	Grid     [2][2]int
	Levels   map[string][]float64
}

func candles(n int) []candle {
	at := time.Date(2026, 11, 26, 21, 41, 0, 0, time.UTC)
	out := make([]candle, n)
	for i := range out {
		o := int64(1234 + i%17)
		open := at.Add(time.Duration(i-n) * time.Minute)
		out[i] = candle{OpenTime: open, Open: decimal.New(o, -4), High: decimal.New(o+7, -4),
			Low: decimal.New(o-5, -4), Close: decimal.New(o+2, -4), Volume: decimal.New(int64(5000000+i*3331), -2),
			CloseTime: open.Add(time.Minute)}
	}
	return out
}

func sampleRecord() record {
	at := time.Date(2024, 5, 1, 12, 0, 0, 123456789, time.FixedZone("JST", 9*3600))
	old := time.Date(1999, 12, 31, 23, 59, 59, 999999999, time.UTC)
	return record{
		Name: "QRL/USDT", Count: -42, Ratio: 0.25, Flag: true,
		Price: decimal.RequireFromString("123456789012345678901234567890.000000001"),
		At:    at, AtPtr: &old, Raw: []byte{0, 1, 2, 0xff}, EmptyRaw: []byte{},
		Tags: []string{"a", "b"}, Attrs: map[string]string{"k": "v"},
		Nested:  level{decimal.New(-1, -1), decimal.Zero},
		Candles: candles(3), ByKey: map[string]candle{"x": candles(1)[0]},
		Times: []time.Time{at, old, {}}, Grid: [2][2]int{{1, 2}, {3, 4}},
		Levels: map[string][]float64{"bids": {1.5, 2}},
	}
}

// samples are valid encodings that use every kind of type code.
func samples(t testing.TB) [][]byte {
	book := map[string]any{"symbol": "QRL/USDT", "last_update_id": int64(987654321)}
	var bids []level
	for i := range 100 {
		bids = append(bids, level{decimal.New(int64(12340-i), -5), decimal.New(int64(100000+i*977), -2)})
	}
	book["bids"] = bids
	values := []any{sampleRecord(), candles(120), book,
		map[string]any{"a": []any{1, -1, "b", nil, 1.5, float32(2), int64(-1 << 40), uint64(1 << 63), true, false,
			[]byte("bin"), time.Unix(1, 5), time.Unix(1<<40, 0), bytes.Repeat([]byte{1}, 300),
			string(bytes.Repeat([]byte{'s'}, 40)), string(bytes.Repeat([]byte{'s'}, 300)),
			string(bytes.Repeat([]byte{'s'}, 70000)), make([]int, 20), map[int]int{1: 2}}}}
	var out [][]byte
	for _, v := range values {
		b, err := msgpack.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

// Check agrees with the oracle on valid values, every truncation of them, and every single-byte change
// of a small one.
func TestCheckMatchesReference(t *testing.T) {
	agree := func(b []byte) {
		t.Helper()
		got, want := Check(b), checkRef(b)
		if (got == nil) != (want == nil) {
			t.Fatalf("% .20x (%d bytes): Check = %v, reference = %v", b, len(b), got, want)
		}
	}
	for _, b := range samples(t) {
		if err := Check(b); err != nil {
			t.Fatalf("valid value rejected: %v", err)
		}
		for n := range min(len(b), 4096) {
			agree(b[:n])
		}
	}
	small, err := msgpack.Marshal(sampleRecord())
	if err != nil {
		t.Fatal(err)
	}
	for i := range small {
		for _, c := range []byte{0x00, 0x7f, 0x80, 0x8f, 0x9f, 0xa0, 0xbf, 0xc1, 0xc4, 0xc7, 0xd4, 0xd8, 0xd9,
			0xdc, 0xdd, 0xde, 0xdf, 0xff} {
			mutated := bytes.Clone(small)
			mutated[i] = c
			agree(mutated)
		}
	}
}

// FuzzCheck compares Check with the oracle on arbitrary bytes:
// go test -run '^$' -fuzz FuzzCheck ./codec/internal/mpscan/
func FuzzCheck(f *testing.F) {
	for _, b := range samples(f) {
		if len(b) < 4096 {
			f.Add(b)
		}
	}
	f.Add([]byte{0xdd, 0xff, 0xff, 0xff, 0xff, 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		got, want := Check(b), checkRef(b)
		if (got == nil) != (want == nil) {
			t.Fatalf("% x: Check = %v, reference = %v", b, got, want)
		}
	})
}

// BenchmarkCheck and BenchmarkCheckRef compare Check with the oracle on 120 candles.
func BenchmarkCheck(b *testing.B)    { benchCheck(b, Check) }
func BenchmarkCheckRef(b *testing.B) { benchCheck(b, checkRef) }

func benchCheck(b *testing.B, check func([]byte) error) {
	data, err := msgpack.Marshal(candles(120))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if err := check(data); err != nil {
			b.Fatal(err)
		}
	}
}
