package codec

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"
)

// testSecret returns a deterministic 32-byte key, distinct per seed.
func testSecret(seed byte) []byte {
	b := make([]byte, 32)
	for i := range b {
		b[i] = seed*31 + byte(i)*7 + 1
	}
	return b
}

func testKeyring(t testing.TB, ids ...string) *Keyring {
	t.Helper()
	var keys []Key
	for _, id := range ids {
		keys = append(keys, Key{ID: id, Secret: testSecret(id[len(id)-1])})
	}
	kr, err := NewKeyring(keys...)
	if err != nil {
		t.Fatal(err)
	}
	return kr
}

func testEnvelope(t testing.TB, comp Compression, keys *Keyring) *Envelope {
	t.Helper()
	e, err := NewEnvelope(comp, keys)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// Every codec × compression × encryption combination round-trips the full value rules (decimals, times,
// nil and empty, nested values) and a payload large enough to compress, and the header says what was done.
func TestEnvelopeRoundTripMatrix(t *testing.T) {
	const key = "qrl:v1:ohlcv:QRL/USDT:1m:120"
	keys := testKeyring(t, "k1")
	m := Meta{WrittenAt: time.UnixMilli(1_700_000_000_123).UTC(), SoftExpiry: time.UnixMilli(1_700_000_060_123).UTC()}
	big := sampleEverything(t)
	big.Candles = sampleCandles(t, 120) // a few KB: above the threshold, and compressible
	for _, c := range codecs {
		for _, comp := range []Compression{{}, {Algorithm: Zstd}, {Algorithm: S2}} {
			for _, kr := range []*Keyring{nil, keys} {
				e := testEnvelope(t, comp, kr)
				name := fmt.Sprintf("%s/%s/%s", c.Name(), comp, kr)
				for _, v := range []everything{sampleEverything(t), big} {
					b, err := e.Encode(c, v, m, key)
					if err != nil {
						t.Fatalf("%s: Encode: %v", name, err)
					}
					if len(b) != cap(b) {
						t.Errorf("%s: result len %d cap %d, want an exact-size slice", name, len(b), cap(b))
					}
					var back everything
					got, err := e.Decode(b, &back, key)
					if err != nil {
						t.Fatalf("%s: Decode: %v", name, err)
					}
					checkEverything(t, back, v)
					if got.Codec != c.ID() || !got.WrittenAt.Equal(m.WrittenAt) || !got.SoftExpiry.Equal(m.SoftExpiry) {
						t.Errorf("%s: Meta = %+v, want codec %d and the times of %+v", name, got, c.ID(), m)
					}
					plain, _ := EncodeMeta(c, v, m)
					wantAlg := NoCompression
					if comp.Algorithm != NoCompression && len(plain)-headerLen-12 >= DefaultMinCompressSize {
						wantAlg = comp.Algorithm
					}
					if got.Compression != wantAlg {
						t.Errorf("%s (payload %d bytes): Meta.Compression = %s, want %s", name, len(plain), got.Compression, wantAlg)
					}
					if wantAlg != NoCompression && len(b) >= len(plain) {
						t.Errorf("%s: compressed envelope is %d bytes, the plain one %d", name, len(b), len(plain))
					}
					wantID := ""
					if kr != nil {
						wantID = "k1"
					}
					if got.KeyID != wantID {
						t.Errorf("%s: Meta.KeyID = %q, want %q", name, got.KeyID, wantID)
					}
					if rm, err := ReadMeta(b); err != nil || rm != got {
						t.Errorf("%s: ReadMeta = %+v, %v; want Decode's %+v", name, rm, err, got)
					}
					if kr == nil && comp.Algorithm == NoCompression && !bytes.Equal(b, plain) {
						t.Errorf("%s: a plain Envelope writes % x, EncodeMeta % x", name, b[:8], plain[:8])
					}
				}
			}
		}
	}
}

// A nil Envelope is EncodeMeta and Decode.
func TestNilEnvelope(t *testing.T) {
	var e *Envelope
	for _, c := range codecs {
		b, err := e.Encode(c, 42, Meta{}, "k")
		want, _ := Encode(c, 42)
		if err != nil || !bytes.Equal(b, want) {
			t.Errorf("%s: nil Envelope Encode = % x, %v; want % x", c.Name(), b, err, want)
		}
		var n int
		if _, err := e.Decode(b, &n, "k"); err != nil || n != 42 {
			t.Errorf("%s: nil Envelope Decode = %d, %v", c.Name(), n, err)
		}
	}
	if e.String() != "plain" || e.Keys() != nil || e.Compression() != (Compression{}) {
		t.Errorf("nil Envelope: %s, %v, %v", e, e.Keys(), e.Compression())
	}
}

// The compressed header: flag bit 1, then the algorithm byte and the payload's uncompressed size.
func TestCompressedHeaderLayout(t *testing.T) {
	v := sampleCandles(t, 50)
	for _, a := range []Algorithm{Zstd, S2} {
		e := testEnvelope(t, Compression{Algorithm: a, MinSize: 1}, nil)
		b, err := e.Encode(JSON, v, Meta{}, "k")
		if err != nil {
			t.Fatal(err)
		}
		plain, _ := Encode(JSON, v)
		size := len(plain) - headerLen
		want := append([]byte{0xC1, 1, 1, flagCompressed, byte(a)}, binaryUvarint(size)...)
		if !bytes.HasPrefix(b, want) {
			t.Errorf("%s: header % x, want % x", a, b[:len(want)], want)
		}
		// Plain Decode (no configuration) reads it: compression needs no keys.
		var back []candle
		if m, err := Decode(b, &back); err != nil || m.Compression != a {
			t.Fatalf("%s: Decode = %+v, %v", a, m, err)
		}
		checkCandles(t, back, v)
	}
}

func totalAlloc() uint64 {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.TotalAlloc
}

func binaryUvarint(n int) []byte {
	var out []byte
	for n >= 0x80 {
		out = append(out, byte(n)|0x80)
		n >>= 7
	}
	return append(out, byte(n))
}

// Below the threshold, and when compression does not shrink the payload, the value is written as it
// is (no flag).
func TestCompressionThresholdAndNoGain(t *testing.T) {
	e := testEnvelope(t, Compression{Algorithm: Zstd, MinSize: 1000}, nil)
	small := sampleCandles(t, 2) // a few hundred bytes
	b, _ := e.Encode(JSON, small, Meta{}, "k")
	if b[3]&flagCompressed != 0 {
		t.Errorf("a %d-byte value under MinSize 1000 was compressed", len(b))
	}
	big := sampleCandles(t, 20)
	if b, _ := e.Encode(JSON, big, Meta{}, "k"); b[3]&flagCompressed == 0 {
		t.Errorf("a %d-byte value over MinSize 1000 was not compressed", len(b))
	}
	incompressible := make([]byte, 4000)
	x := uint32(2463534242)
	for i := range incompressible {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		incompressible[i] = byte(x)
	}
	for _, a := range []Algorithm{Zstd, S2} {
		e := testEnvelope(t, Compression{Algorithm: a, MinSize: 1}, nil)
		b, err := e.Encode(Msgpack, incompressible, Meta{}, "k")
		if err != nil {
			t.Fatal(err)
		}
		if b[3]&flagCompressed != 0 {
			t.Errorf("%s: incompressible bytes were stored compressed (%d bytes)", a, len(b))
		}
		var back []byte
		if _, err := Decode(b, &back); err != nil || !bytes.Equal(back, incompressible) {
			t.Errorf("%s: round trip: %v", a, err)
		}
	}
}

// Rotation without a flush: values written with k1 stay readable once k2 writes; new values name k2.
func TestKeyRotation(t *testing.T) {
	const key = "qrl:v1:ticker:QRL/USDT"
	before := testEnvelope(t, Compression{}, testKeyring(t, "k1"))
	after := testEnvelope(t, Compression{}, testKeyring(t, "k2", "k1"))
	old, err := before.Encode(JSON, "old", Meta{}, key)
	if err != nil {
		t.Fatal(err)
	}
	fresh, err := after.Encode(JSON, "new", Meta{}, key)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		data   []byte
		want   string
		wantID string
	}{{old, "old", "k1"}, {fresh, "new", "k2"}} {
		var s string
		m, err := after.Decode(tc.data, &s, key)
		if err != nil || s != tc.want || m.KeyID != tc.wantID {
			t.Errorf("rotated reader: %q, %+v, %v; want %q with key %s", s, m, err, tc.want, tc.wantID)
		}
		if rm, _ := ReadMeta(tc.data); rm.KeyID != tc.wantID {
			t.Errorf("ReadMeta.KeyID = %q, want %q", rm.KeyID, tc.wantID)
		}
	}
	// The header names the key: id length, then the id, right after the fixed header.
	if !bytes.Equal(fresh[4:7], []byte{2, 'k', '2'}) {
		t.Errorf("header key id bytes % x, want 02 'k2'", fresh[4:7])
	}
	// A reader that dropped k1 too early sees the old value as corrupt (deleted, a miss), never as a value.
	var s string
	if _, err := testEnvelope(t, Compression{}, testKeyring(t, "k2")).Decode(old, &s, key); !errors.Is(err, ErrCorrupt) || s != "" {
		t.Errorf("reader without k1: %q, %v; want ErrCorrupt", s, err)
	}
}

// Old values — plain JSON from Python, unflagged envelopes, compressed-only — stay readable by a reader
// configured with compression and keys.
func TestConfiguredReaderReadsOldValues(t *testing.T) {
	e := testEnvelope(t, Compression{Algorithm: Zstd}, testKeyring(t, "k1"))
	v := sampleCandles(t, 40)
	for name, b := range unencryptedForms(t, v) {
		var back []candle
		if _, err := e.Decode(b, &back, "any:key"); err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		checkCandles(t, back, v)
	}
}

// unencryptedForms returns v as every reader has met it before encryption: plain JSON (Python), an
// unflagged envelope, one with times, and a compressed one.
func unencryptedForms(t *testing.T, v any) map[string][]byte {
	t.Helper()
	must := func(b []byte, err error) []byte {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	return map[string][]byte{
		"plain json": must(EncodePlainJSON(v)),
		"unflagged":  must(Encode(Msgpack, v)),
		"times":      must(EncodeMeta(JSON, v, Meta{WrittenAt: time.Now()})),
		"compressed": must(testEnvelope(t, Compression{Algorithm: S2, MinSize: 1}, nil).Encode(JSON, v, Meta{}, "any:key")),
	}
}

// A reader that requires encryption refuses every old, unencrypted form as ErrCorrupt (never a value),
// reads encrypted values, and still reports a bad target as ErrInvalidTarget. It needs keys.
func TestEncryptionRequired(t *testing.T) {
	if _, err := testEnvelope(t, Compression{Algorithm: Zstd}, nil).RequireEncryption(); err == nil {
		t.Error("RequireEncryption of an envelope without keys succeeded")
	}
	if (*Envelope)(nil).EncryptionRequired() {
		t.Error("a nil envelope requires encryption")
	}
	base := testEnvelope(t, Compression{Algorithm: Zstd}, testKeyring(t, "k1"))
	e, err := base.RequireEncryption()
	if err != nil || !e.EncryptionRequired() || base.EncryptionRequired() {
		t.Fatalf("RequireEncryption = %v (required %v), original required %v; want a requiring copy", err, e.EncryptionRequired(), base.EncryptionRequired())
	}
	v := sampleCandles(t, 40)
	forms := unencryptedForms(t, v)
	for name, b := range forms {
		var back []candle
		if _, err := e.Decode(b, &back, "k"); !errors.Is(err, ErrCorrupt) || back != nil {
			t.Errorf("%s: %v (%d candles); want ErrCorrupt and nothing decoded", name, err, len(back))
		}
	}
	sealed, err := e.Encode(JSON, v, Meta{}, "k")
	if err != nil {
		t.Fatal(err)
	}
	var back []candle
	if m, err := e.Decode(sealed, &back, "k"); err != nil || m.KeyID != "k1" {
		t.Fatalf("encrypted value: %+v, %v", m, err)
	}
	checkCandles(t, back, v)
	if _, err := e.Decode(forms["plain json"], back, "k"); !errors.Is(err, ErrInvalidTarget) {
		t.Errorf("non-pointer target: %v, want ErrInvalidTarget", err)
	}
}

// Every single-byte change of an encrypted value — header, nonce, ciphertext or tag — is ErrCorrupt,
// never a value; so is reading it under another store key, or with a key of the same id and other bytes.
func TestEncryptedTamperAndMove(t *testing.T) {
	const key = "qrl:v1:orderbook:QRL/USDT"
	e := testEnvelope(t, Compression{Algorithm: Zstd, MinSize: 1}, testKeyring(t, "k1"))
	for _, v := range []any{"short", sampleCandles(t, 30)} {
		b, err := e.Encode(Msgpack, v, Meta{WrittenAt: time.Now()}, key)
		if err != nil {
			t.Fatal(err)
		}
		target := reflect.New(reflect.TypeOf(v))
		if _, err := e.Decode(b, target.Interface(), key); err != nil {
			t.Fatalf("untouched: %v", err)
		}
		for i := range b {
			for _, bit := range []byte{0x01, 0x80} {
				bad := bytes.Clone(b)
				bad[i] ^= bit
				target := reflect.New(reflect.TypeOf(v))
				_, err := e.Decode(bad, target.Interface(), key)
				if !errors.Is(err, ErrCorrupt) {
					t.Fatalf("byte %d of %d ^ %#x: err = %v, want ErrCorrupt", i, len(b), bit, err)
				}
				if !target.Elem().IsZero() {
					t.Fatalf("byte %d flipped: decoded %v", i, target.Elem())
				}
			}
		}
		for _, other := range []string{"qrl:v1:orderbook:QRL/BTC", key + " ", key[:len(key)-1], ""} {
			if _, err := e.Decode(b, reflect.New(reflect.TypeOf(v)).Interface(), other); !errors.Is(err, ErrCorrupt) {
				t.Errorf("read under %q: err = %v, want ErrCorrupt", other, err)
			}
		}
		impostor, _ := NewKeyring(Key{ID: "k1", Secret: testSecret(200)})
		if _, err := testEnvelope(t, Compression{}, impostor).Decode(b, reflect.New(reflect.TypeOf(v)).Interface(), key); !errors.Is(err, ErrCorrupt) {
			t.Errorf("same id, other key: err = %v, want ErrCorrupt", err)
		}
		if _, err := Decode(b, reflect.New(reflect.TypeOf(v)).Interface()); !errors.Is(err, ErrCorrupt) {
			t.Errorf("reader without keys: err = %v, want ErrCorrupt", err)
		}
	}
}

// A compressed payload that expands beyond what its header declares, or a header that declares more
// than the bound, is corrupt, and decoding it allocates about the declared size, not the expansion.
func TestDecompressionIsBounded(t *testing.T) {
	zeros := make([]byte, 32<<20) // compresses to a few KB
	for _, a := range []Algorithm{Zstd, S2} {
		bomb, err := compressAppend(nil, append([]byte{0x91}, zeros...), a)
		if err != nil {
			t.Fatal(err)
		}
		lie := append([]byte{0xC1, 1, 2, flagCompressed, byte(a)}, binaryUvarint(1000)...)
		lie = append(lie, bomb...)
		var v any
		if _, err := Decode(lie, &v); !errors.Is(err, ErrCorrupt) { // warms the decoder too
			t.Fatalf("%s: a %d-byte bomb declaring 1000 bytes: err = %v, want ErrCorrupt", a, len(bomb), err)
		}
		before := totalAlloc()
		for range 4 {
			_, _ = Decode(lie, &v)
		}
		if grew := (totalAlloc() - before) / 4; grew > 1<<20 {
			t.Errorf("%s: decoding a bomb allocated %d bytes per call, want far below its 32 MiB expansion", a, grew)
		}
		tooBig := append([]byte{0xC1, 1, 2, flagCompressed, byte(a)}, binaryUvarint(100<<20)...)
		if _, err := Decode(append(tooBig, bomb...), &v); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "limit") {
			t.Errorf("%s: declared size above the limit: err = %v, want ErrCorrupt naming the limit", a, err)
		}
		short := append([]byte{0xC1, 1, 2, flagCompressed, byte(a)}, binaryUvarint(40<<20)...)
		if _, err := Decode(append(short, bomb...), &v); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: declared size larger than the expansion: err = %v, want ErrCorrupt", a, err)
		}
	}
}

// Invalid keys are errors that say what is wrong and name the id (or position), never the key.
func TestKeyringErrors(t *testing.T) {
	good := base64.StdEncoding.EncodeToString(testSecret(1))
	short := base64.StdEncoding.EncodeToString(testSecret(2)[:16])
	long := base64.StdEncoding.EncodeToString(append(testSecret(3), 1))
	cases := []struct{ spec, want string }{
		{"", "no keys"},
		{"   ", "no keys"},
		{"k1:" + good + ",", "entry 2 is empty"},
		{good, "entry 1 has no id"},
		{":" + good, "entry 1 has an empty key id"},
		{"k1:" + good + ",k1:" + good, `key id "k1" is given twice`},
		{"k1:" + short, `key "k1" is 16 bytes; AES-256 needs 32`},
		{"k1:" + long, `key "k1" is 33 bytes`},
		{"k1:" + good[:20] + "!!" + good[22:], `key "k1" is not valid standard base64`},
		{"k/1:" + good, `key id "k/1" has a character`},
		{strings.Repeat("x", 33) + ":" + good, "key id is 33 bytes, at most 32"},
	}
	for _, tc := range cases {
		kr, err := ParseKeyring(tc.spec)
		if !errors.Is(err, ErrInvalidKeyring) || !strings.Contains(err.Error(), tc.want) || kr != nil {
			t.Errorf("ParseKeyring(%.12q...) = %v, %v; want ErrInvalidKeyring saying %q", tc.spec, kr, err, tc.want)
			continue
		}
		for _, secret := range []string{good, short, long, good[:20], string(testSecret(1))} {
			if strings.Contains(err.Error(), secret) {
				t.Errorf("error %q contains key material", err)
			}
		}
	}
	if _, err := NewKeyring(); !errors.Is(err, ErrInvalidKeyring) {
		t.Errorf("NewKeyring() = %v, want ErrInvalidKeyring", err)
	}
	kr, err := ParseKeyring(" k2:" + good + " , k1:" + base64.RawStdEncoding.EncodeToString(testSecret(5)))
	if err != nil {
		t.Fatal(err)
	}
	if ids := kr.IDs(); !reflect.DeepEqual(ids, []string{"k2", "k1"}) {
		t.Errorf("IDs = %v, want [k2 k1]", ids)
	}
}

// No way of printing a Key, a Keyring or an Envelope shows key material, and no decode error does.
func TestKeyMaterialNeverPrinted(t *testing.T) {
	secret := testSecret(7)
	forms := []string{string(secret), base64.StdEncoding.EncodeToString(secret), base64.RawStdEncoding.EncodeToString(secret),
		fmt.Sprintf("%x", secret), fmt.Sprintf("%v", secret), fmt.Sprintf("%d", secret[:4])}
	key := Key{ID: "k7", Secret: secret}
	kr, err := NewKeyring(key)
	if err != nil {
		t.Fatal(err)
	}
	e := testEnvelope(t, Compression{Algorithm: S2}, kr)
	var texts []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%q", "%d"} {
		texts = append(texts, fmt.Sprintf(verb, key), fmt.Sprintf(verb, &key), fmt.Sprintf(verb, kr), fmt.Sprintf(verb, e),
			fmt.Sprintf(verb, *e), fmt.Sprintf(verb, []Key{key}), fmt.Sprintf(verb, struct{ K *Keyring }{kr}))
	}
	texts = append(texts, key.String(), kr.String(), e.String(), key.LogValue().String(), kr.LogValue().String())
	b, _ := e.Encode(JSON, "v", Meta{}, "key:a")
	for _, bad := range [][]byte{b[:len(b)-1], append(bytes.Clone(b[:8]), 0), b} {
		var s string
		for _, k := range []string{"key:b", "key:a"} {
			if _, err := e.Decode(bad, &s, k); err != nil {
				texts = append(texts, err.Error())
			}
		}
		if _, err := Decode(bad, &s); err != nil {
			texts = append(texts, err.Error())
		}
	}
	if len(texts) < 40 {
		t.Fatalf("only %d texts collected", len(texts))
	}
	for _, text := range texts {
		for _, f := range forms {
			if strings.Contains(text, f) {
				t.Fatalf("%q shows key material %q", text, f)
			}
		}
	}
	if !strings.Contains(kr.String(), "k7") || !strings.Contains(e.String(), "s2:512") {
		t.Errorf("String() = %q / %q: want the id and the compression named", kr, e)
	}
	other, _ := NewKeyring(Key{ID: "k7", Secret: testSecret(8)})
	if other.String() == kr.String() {
		t.Errorf("keyrings with one id and other keys print alike (%s): a configuration conflict could not be told", kr)
	}
}

func TestParseCompression(t *testing.T) {
	for in, want := range map[string]Compression{
		"": {}, "none": {}, "OFF": {}, "zstd": {Algorithm: Zstd}, "s2": {Algorithm: S2}, "ZSTD:1024": {Algorithm: Zstd, MinSize: 1024},
	} {
		got, err := ParseCompression(in)
		if err != nil || got != want {
			t.Errorf("ParseCompression(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"gzip", "zstd:", "zstd:0", "zstd:-1", "zstd:1k", "none:5"} {
		if _, err := ParseCompression(in); err == nil || !strings.Contains(err.Error(), in) {
			t.Errorf("ParseCompression(%q) = %v, want an error quoting it", in, err)
		}
	}
	if _, err := NewEnvelope(Compression{Algorithm: 9}, nil); !errors.Is(err, ErrUnknownCodec) {
		t.Errorf("NewEnvelope(algorithm 9) = %v, want ErrUnknownCodec", err)
	}
	if _, err := NewEnvelope(Compression{Algorithm: Zstd, MinSize: -1}, nil); err == nil {
		t.Error("NewEnvelope(MinSize -1) succeeded")
	}
	if s := (Compression{Algorithm: Zstd}).String(); s != "zstd:512" {
		t.Errorf("String = %q, want zstd:512 (the default size spelled out)", s)
	}
}

// Compressed values of every small size round-trip: zstd frames under 256 bytes carry no content size,
// frames from 1 KB are single-segment, and s2 blocks have their own length.
func TestCompressedSizesRoundTrip(t *testing.T) {
	for _, a := range []Algorithm{Zstd, S2} {
		e := testEnvelope(t, Compression{Algorithm: a, MinSize: 1}, testKeyring(t, "k1"))
		compressed := 0
		for n := 0; n < 1500; n += 3 {
			v := strings.Repeat("ab", n/2) + strings.Repeat("x", n%2)
			b, err := e.Encode(JSON, v, Meta{}, "k")
			if err != nil {
				t.Fatal(err)
			}
			var back string
			m, err := e.Decode(b, &back, "k")
			if err != nil || back != v {
				t.Fatalf("%s, %d bytes: %v (header % x)", a, len(v), err, b[:6])
			}
			if m.Compression == a {
				compressed++
			}
		}
		if compressed < 450 {
			t.Errorf("%s: only %d of 500 sizes were compressed", a, compressed)
		}
	}
}
