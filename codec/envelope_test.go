package codec

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestHeaderLayout(t *testing.T) {
	for _, tc := range []struct {
		c    Codec
		want []byte
	}{
		{JSON, []byte{0xC1, 1, 1, 0, '4', '2'}},
		{Msgpack, []byte{0xC1, 1, 2, 0, 42}},
	} {
		b, err := Encode(tc.c, 42)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(b, tc.want) {
			t.Errorf("%s: Encode(42) = % x, want % x", tc.c.Name(), b, tc.want)
		}
		if len(b) != cap(b) {
			t.Errorf("%s: result has len %d cap %d, want an exact-size slice", tc.c.Name(), len(b), cap(b))
		}
	}
}

// An enveloped value must never be mistaken for JSON (or any text): its first byte is one no JSON text
// can start with.
func TestEnvelopeNeverLooksLikeJSON(t *testing.T) {
	jsonStarts := []byte(" \t\r\n{[\"-0123456789tfn")
	jsonStarts = append(jsonStarts, 0xEF) // UTF-8 byte order mark
	values := []any{nil, 0, -1, "s", true, []int{1}, map[string]int{"a": 1}, sampleEverything(t)}
	for _, c := range codecs {
		for _, m := range []Meta{{}, {WrittenAt: time.Now(), SoftExpiry: time.Now().Add(time.Minute)}} {
			for _, v := range values {
				b, err := EncodeMeta(c, v, m)
				if err != nil {
					t.Fatal(err)
				}
				if bytes.IndexByte(jsonStarts, b[0]) >= 0 {
					t.Fatalf("%s: first byte 0x%02x can start a JSON text", c.Name(), b[0])
				}
				if json.Valid(b) || utf8.Valid(b[:1]) {
					t.Errorf("%s %v: enveloped bytes % x read as JSON or text", c.Name(), v, b[:4])
				}
				if !IsEnveloped(b) {
					t.Errorf("%s: IsEnveloped = false for Encode output", c.Name())
				}
			}
		}
	}
	plain, _ := EncodePlainJSON(sampleEverything(t))
	if IsEnveloped(plain) || IsEnveloped(nil) {
		t.Error("IsEnveloped = true for plain JSON or nil")
	}
}

func TestMeta(t *testing.T) {
	written := time.Date(2024, 5, 1, 12, 0, 0, 123_456_789, zoneTokyo)
	soft := written.Add(90 * time.Second)
	for _, c := range codecs {
		for _, tc := range []struct {
			in        Meta
			wantWrite time.Time
			wantSoft  time.Time
			headerLen int
		}{
			{Meta{}, time.Time{}, time.Time{}, 4},
			{Meta{Codec: 99}, time.Time{}, time.Time{}, 4}, // Meta.Codec is ignored by EncodeMeta
			{Meta{WrittenAt: written, SoftExpiry: soft}, written.Truncate(time.Millisecond), soft.Truncate(time.Millisecond), 16},
			{Meta{WrittenAt: written}, written.Truncate(time.Millisecond), time.Time{}, 11},
			{Meta{SoftExpiry: soft}, time.Time{}, soft.Truncate(time.Millisecond), 11},
		} {
			b, err := EncodeMeta(c, "v", tc.in)
			if err != nil {
				t.Fatal(err)
			}
			var v string
			m, err := Decode(b, &v)
			if err != nil || v != "v" {
				t.Fatalf("%s: Decode = %q, %v", c.Name(), v, err)
			}
			rm, err := ReadMeta(b)
			if err != nil || rm != m {
				t.Errorf("ReadMeta = %+v, %v; Decode said %+v", rm, err, m)
			}
			if m.Codec != c.ID() || !m.WrittenAt.Equal(tc.wantWrite) || !m.SoftExpiry.Equal(tc.wantSoft) {
				t.Errorf("%s %+v: Meta = %+v", c.Name(), tc.in, m)
			}
			if tc.wantWrite.IsZero() != m.WrittenAt.IsZero() || tc.wantSoft.IsZero() != m.SoftExpiry.IsZero() {
				t.Errorf("%s: zero times not kept zero: %+v", c.Name(), m)
			}
			for _, tm := range []time.Time{m.WrittenAt, m.SoftExpiry} {
				if !tm.IsZero() && tm.Location() != time.UTC {
					t.Errorf("Meta time %v not UTC", tm)
				}
			}
			payloadLen := len(b) - tc.headerLen
			if bare, _ := c.Marshal("v"); payloadLen != len(bare) {
				t.Errorf("%s %+v: header is %d bytes, want %d", c.Name(), tc.in, len(b)-len(bare), tc.headerLen)
			}
		}
	}
	if _, err := EncodeMeta(JSON, 1, Meta{WrittenAt: time.Unix(-5, 0)}); !errors.Is(err, ErrEncode) {
		t.Errorf("WrittenAt before 1970: err = %v, want ErrEncode", err)
	}
	if m, err := ReadMeta([]byte(`{"a":1}`)); err != nil || m != (Meta{}) {
		t.Errorf("ReadMeta(plain JSON) = %+v, %v; want the zero Meta", m, err)
	}
}

type fakeCodec struct{ Codec }

func (fakeCodec) ID() byte     { return 2 }
func (fakeCodec) Name() string { return "fake" }

func TestEncodeRejectsForeignCodecs(t *testing.T) {
	for _, c := range []Codec{nil, fakeCodec{JSON}} {
		if _, err := Encode(c, 1); !errors.Is(err, ErrUnknownCodec) {
			t.Errorf("Encode with %v: err = %v, want ErrUnknownCodec", c, err)
		}
	}
}

// Every codec can read what the other wrote: Decode follows the header, not the reader's configuration.
func TestDecodeFollowsWriterCodec(t *testing.T) {
	want := sampleCandles(t, 5)
	for _, writer := range codecs {
		b, err := Encode(writer, want)
		if err != nil {
			t.Fatal(err)
		}
		var got []candle
		m, err := Decode(b, &got)
		if err != nil {
			t.Fatalf("written by %s: %v", writer.Name(), err)
		}
		if m.Codec != writer.ID() {
			t.Errorf("Meta.Codec = %d, want %d", m.Codec, writer.ID())
		}
		checkCandles(t, got, want)
	}
}

func TestCorruptHeaders(t *testing.T) {
	valid, _ := Encode(Msgpack, 7)
	withTimes, _ := EncodeMeta(JSON, 7, Meta{WrittenAt: time.Now(), SoftExpiry: time.Now()})
	cases := map[string][]byte{
		"empty":                 {},
		"magic only":            {0xC1},
		"3-byte header":         {0xC1, 1, 2},
		"header without body":   {0xC1, 1, 2, 0},
		"version 0":             {0xC1, 0, 2, 0, 7},
		"version 2":             {0xC1, 2, 2, 0, 7},
		"codec 0":               {0xC1, 1, 0, 0, 7},
		"codec 3":               {0xC1, 1, 3, 0, 7},
		"compressed flag":       {0xC1, 1, 2, 0x02, 0, 7},
		"encrypted flag":        {0xC1, 1, 2, 0x04, 0, 7},
		"unknown flag":          {0xC1, 1, 2, 0x80, 7},
		"truncated timestamp":   {0xC1, 1, 1, 0x01, 0x80},
		"missing soft expiry":   {0xC1, 1, 1, 0x01, 0x01},
		"overlong uvarint":      append([]byte{0xC1, 1, 1, 1}, bytes.Repeat([]byte{0xff}, 11)...),
		"trailing msgpack byte": append(append([]byte{}, valid...), 0),
		"trailing json garbage": append(append([]byte{}, withTimes...), 'x'),
		"json body in msgpack":  {0xC1, 1, 2, 0, '{', '}'},
		"msgpack 0xc1 body":     {0xC1, 1, 2, 0, 0xC1},
		"not json, no envelope": []byte("hello"),
		"python NaN":            []byte(`{"last": NaN}`),
	}
	for name, b := range cases {
		var v struct {
			At   time.Time
			Last float64
		}
		if _, err := Decode(b, &v); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s (% x): err = %v, want ErrCorrupt", name, b, err)
		}
	}
	// Header problems are reported by ReadMeta too.
	for _, name := range []string{"3-byte header", "version 2", "codec 3", "compressed flag", "truncated timestamp"} {
		if _, err := ReadMeta(cases[name]); !errors.Is(err, ErrCorrupt) {
			t.Errorf("ReadMeta %s: err = %v, want ErrCorrupt", name, err)
		}
	}
}

// Cutting a valid encoding anywhere short of its end must be reported as corrupt, never decoded as some
// other value and never panic.
func TestEveryTruncationIsCorrupt(t *testing.T) {
	value := sampleEverything(t)
	var encodings [][]byte
	for _, c := range codecs {
		for _, m := range []Meta{{}, {WrittenAt: time.Now(), SoftExpiry: time.Now().Add(time.Hour)}} {
			b, err := EncodeMeta(c, value, m)
			if err != nil {
				t.Fatal(err)
			}
			encodings = append(encodings, b)
		}
	}
	plain, err := EncodePlainJSON(value)
	if err != nil {
		t.Fatal(err)
	}
	encodings = append(encodings, plain)
	for _, b := range encodings {
		for n := range len(b) {
			var got everything
			if _, err := Decode(b[:n], &got); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("% x... cut to %d of %d bytes: err = %v, want ErrCorrupt", b[:4], n, len(b), err)
			}
		}
		var got everything
		if _, err := Decode(b, &got); err != nil {
			t.Fatalf("untruncated: %v", err)
		}
	}
}

func TestPlainJSONWithoutEnvelope(t *testing.T) {
	var got map[string]any
	m, err := Decode([]byte(` {"a": [1, "x"]}`), &got)
	if err != nil {
		t.Fatal(err)
	}
	if m != (Meta{}) || got["a"].([]any)[1] != "x" {
		t.Errorf("Decode = %+v, %v", m, got)
	}
}

// A version round-trips, sits at VersionOffset as 8 big-endian bytes behind VersionFlag, and combines
// with times, compression and encryption; a header cut inside the version is corrupt.
func TestEnvelopeVersion(t *testing.T) {
	at := time.UnixMilli(1_764_000_000_123).UTC()
	for _, m := range []Meta{{Version: 1}, {Version: 1<<63 + 5, WrittenAt: at, SoftExpiry: at.Add(time.Second)}} {
		data, err := EncodeMeta(JSON, "v", m)
		if err != nil {
			t.Fatal(err)
		}
		if data[3]&VersionFlag == 0 || binary.BigEndian.Uint64(data[VersionOffset:]) != m.Version {
			t.Fatalf("header % x does not carry version %d at offset %d", data[:VersionOffset+8], m.Version, VersionOffset)
		}
		var s string
		got, err := Decode(data, &s)
		if err != nil || s != "v" || got.Version != m.Version || !got.WrittenAt.Equal(m.WrittenAt) || !got.SoftExpiry.Equal(m.SoftExpiry) {
			t.Fatalf("Decode = %+v %q %v; want %+v", got, s, err, m)
		}
		if _, err := Decode(data[:VersionOffset+5], &s); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("a header cut in the version: %v, want ErrCorrupt", err)
		}
	}
	kr, err := ParseKeyring("k1:" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32)))
	if err != nil {
		t.Fatal(err)
	}
	env, err := NewEnvelope(Compression{Algorithm: Zstd, MinSize: 1}, kr)
	if err != nil {
		t.Fatal(err)
	}
	big := strings.Repeat("candle ", 200)
	data, err := env.Encode(Msgpack, big, Meta{Version: 42, WrittenAt: at}, "qrl:v1:k")
	if err != nil {
		t.Fatal(err)
	}
	if binary.BigEndian.Uint64(data[VersionOffset:]) != 42 {
		t.Fatalf("sealed value: version not at its offset: % x", data[:16])
	}
	var s string
	got, err := env.Decode(data, &s, "qrl:v1:k")
	if err != nil || s != big || got.Version != 42 || got.Compression != Zstd || got.KeyID != "k1" {
		t.Fatalf("sealed Decode = %+v, %v", got, err)
	}
}
