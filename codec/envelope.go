package codec

import (
	"encoding/binary"
	"fmt"
	"math"
	"time"

	"github.com/cachekit/cachekit/codec/internal/limits"
)

// Envelope header constants; doc.go describes the format.
const (
	magic         byte = 0xC1
	formatVersion byte = 1
	headerLen          = 4

	flagTimes      byte = 1 << 0 // WrittenAt and SoftExpiry follow the fixed header
	flagCompressed byte = 1 << 1 // an Algorithm byte and the payload's uncompressed size follow
	flagEncrypted  byte = 1 << 2 // a key id follows; the payload is nonce, AES-256-GCM ciphertext, tag
	flagVersion    byte = 1 << 3 // 8 bytes of big-endian version follow the fixed header, first
	knownFlags          = flagTimes | flagCompressed | flagEncrypted | flagVersion
)

// VersionOffset and VersionFlag locate a value's version for readers that do not decode the envelope
// (a store's compare-and-set, a Redis script): when data[0] is 0xC1, data[1] is 1 and
// data[3]&VersionFlag is set, data[VersionOffset:VersionOffset+8] is the version, big-endian, so that
// versions compare as byte strings.
const (
	VersionOffset = headerLen
	VersionFlag   = flagVersion
)

// Meta is the envelope's header information besides the payload.
type Meta struct {
	// Codec is the id of the codec that wrote the payload (1 = json, 2 = msgpack), or 0 for a plain,
	// envelope-less JSON value. EncodeMeta ignores it: the codec passed to it decides.
	Codec byte
	// WrittenAt is when the value was written, at millisecond precision in UTC; zero when not recorded.
	WrittenAt time.Time
	// SoftExpiry is the value's logical expiry (after it a reader may still serve it stale while it
	// revalidates, or when the source fails), at millisecond precision in UTC; zero when none.
	SoftExpiry time.Time
	// Compression is the algorithm the payload was compressed with, NoCompression when it was not.
	// EncodeMeta ignores it: an Envelope's Compression decides.
	Compression Algorithm
	// KeyID is the id of the key the payload was encrypted with, "" when it was not. EncodeMeta ignores
	// it: an Envelope's Keyring decides.
	KeyID string
	// Version is the value's monotonic version (an exchange sequence number, an order book's update
	// id, a source timestamp), 0 when it has none. A versioned write (store.VersionedSetter) stores a
	// value only over one with no version or a lower one.
	Version uint64
}

// Encode returns the envelope header for codec c followed by c's encoding of v. c must be JSON or
// Msgpack (anything else is an error wrapping ErrUnknownCodec, because Decode could not read it); a value
// c cannot encode is an error wrapping ErrEncode. The result is a fresh slice of exactly its length.
func Encode(c Codec, v any) ([]byte, error) {
	return EncodeMeta(c, v, Meta{})
}

// EncodeMeta is Encode with m's Version recorded in the header when non-zero, and its WrittenAt and
// SoftExpiry when either is non-zero (truncated to milliseconds; a time not after 1970-01-01 UTC is an error wrapping ErrEncode). m.Codec,
// m.Compression and m.KeyID are ignored: EncodeMeta neither compresses nor encrypts (an Envelope does).
func EncodeMeta(c Codec, v any, m Meta) ([]byte, error) {
	ac, h, err := makeHeader(c, m)
	if err != nil {
		return nil, err
	}
	return ac.marshalAfter(h, v)
}

// AppendEncode appends what Encode returns to dst and returns the extended slice, for callers that own a
// buffer (a pooled one, say, handed to a store, which never retains it). On error it returns dst with its
// length unchanged (bytes past that length may have been written) and the error Encode would return.
func AppendEncode(dst []byte, c Codec, v any) ([]byte, error) {
	return AppendEncodeMeta(dst, c, v, Meta{})
}

// AppendEncodeMeta appends what EncodeMeta returns to dst, as AppendEncode does.
func AppendEncodeMeta(dst []byte, c Codec, v any, m Meta) ([]byte, error) {
	ac, h, err := makeHeader(c, m)
	if err != nil {
		return dst, err
	}
	out, err := ac.appendMarshal(append(dst, h.b[:h.n]...), v)
	if err != nil {
		return dst, err
	}
	return out, nil
}

// header holds an envelope header while it is built; it is small and passed by value, so encoding
// allocates nothing for it. Room: the fixed part, the version, two timestamps, the compression byte and size, the key
// id's length and the id.
type header struct {
	b [headerLen + 8 + 3*binary.MaxVarintLen64 + 2 + maxKeyIDLen]byte
	n int
}

// makeHeader checks that c can be named in an envelope and builds the header for c and m.
func makeHeader(c Codec, m Meta) (appendCodec, header, error) {
	ac, err := envelopeCodec(c)
	if err != nil {
		return nil, header{}, err
	}
	h := header{b: [len(header{}.b)]byte{magic, formatVersion, ac.ID(), 0}, n: headerLen}
	if m.Version != 0 {
		h.b[3] |= flagVersion
		binary.BigEndian.PutUint64(h.b[h.n:], m.Version)
		h.n += 8
	}
	if m.WrittenAt.IsZero() && m.SoftExpiry.IsZero() {
		return ac, h, nil
	}
	h.b[3] |= flagTimes
	for _, f := range [...]struct {
		name string
		t    time.Time
	}{{"WrittenAt", m.WrittenAt}, {"SoftExpiry", m.SoftExpiry}} {
		ms, err := unixMilli(f.name, f.t)
		if err != nil {
			return nil, h, err
		}
		h.n = len(binary.AppendUvarint(h.b[:h.n], ms))
	}
	return ac, h, nil
}

// envelopeCodec returns c if it is one of the codecs an envelope can name (JSON, Msgpack).
func envelopeCodec(c Codec) (appendCodec, error) {
	switch ac := c.(type) {
	case jsonCodec:
		if ac.lib == goccyJSON {
			return ac, nil
		}
	case msgpackCodec:
		return ac, nil
	case nil:
		return nil, fmt.Errorf("%w: nil codec", ErrUnknownCodec)
	}
	return nil, fmt.Errorf("%w: %q (id %d) cannot be written in an envelope: use codec.JSON or codec.Msgpack",
		ErrUnknownCodec, c.Name(), c.ID())
}

// unixMilli encodes a header time: 0 means "none", so a recorded time must be after the epoch.
func unixMilli(name string, t time.Time) (uint64, error) {
	if t.IsZero() {
		return 0, nil
	}
	ms := t.UnixMilli()
	if ms <= 0 {
		return 0, fmt.Errorf("%w: Meta.%s %s is not after 1970-01-01 UTC", ErrEncode, name, t.Format(time.RFC3339Nano))
	}
	return uint64(ms), nil
}

// EncodePlainJSON, for readers that know no envelope, is in json.go.

// Decode decodes data into v (a non-nil pointer, else ErrInvalidTarget) and returns the header's Meta.
// Enveloped data is decoded by the codec its header names, whatever codec the reader writes with, so a
// deployment can switch codecs without flushing; a compressed payload is decompressed (within
// limits.MaxDecompressed, 64 MiB). Data without the envelope is read as plain JSON (values written by
// Python), with Meta.Codec 0. Anything else — a bad or truncated header, an unknown version, codec id,
// flag or compression algorithm, a payload that does not decompress or decode into v, an encrypted
// value (Decode holds no keys: use an Envelope) — is an error wrapping ErrCorrupt. When the header was
// valid but the payload was not, the returned Meta still describes the header. Times decode as UTC
// instants.
func Decode(data []byte, v any) (Meta, error) {
	return decode(nil, data, v, "")
}

// decode is Decode with keys to decrypt with, and the store key an encrypted value must be bound to.
func decode(keys *Keyring, data []byte, v any, key string) (Meta, error) {
	if err := checkTarget(v); err != nil {
		return Meta{}, err
	}
	if !IsEnveloped(data) {
		if len(data) == 0 {
			return Meta{}, fmt.Errorf("%w: empty value", ErrCorrupt)
		}
		return Meta{}, jsonCodec{goccyJSON}.unmarshal(data, v)
	}
	if len(data) > headerLen && data[1] == formatVersion && data[3] == 0 { // the usual header: no flags
		if c, ok := byID(data[2]); ok {
			return Meta{Codec: data[2]}, c.unmarshal(data[headerLen:], v)
		}
	}
	h, err := parseHeader(data)
	if err != nil {
		return Meta{}, err
	}
	return decodePayload(keys, data, h, v, key)
}

// ReadMeta returns the envelope header of data without decoding the payload; for data without the
// envelope (plain JSON) it returns the zero Meta. Header errors wrap ErrCorrupt, as in Decode.
func ReadMeta(data []byte) (Meta, error) {
	if !IsEnveloped(data) {
		return Meta{}, nil
	}
	h, err := parseHeader(data)
	if h.keyID != nil {
		h.meta.KeyID = string(h.keyID)
	}
	return h.meta, err
}

// IsEnveloped reports whether data starts with the envelope's magic byte, a byte no JSON text (nor any
// UTF-8 text) can start with. It does not check the rest of the header; Decode and ReadMeta do.
func IsEnveloped(data []byte) bool {
	return len(data) > 0 && data[0] == magic
}

// parsedHeader is what parseHeader reads: the Meta (KeyID left empty, so that reading it allocates
// nothing), the payload's offset, its uncompressed size when compressed, and the key id when encrypted.
type parsedHeader struct {
	meta  Meta
	n     int
	size  int
	keyID []byte // aliases the data
}

// parseHeader reads the header of enveloped data.
func parseHeader(data []byte) (parsedHeader, error) {
	var h parsedHeader
	if len(data) < headerLen {
		return h, fmt.Errorf("%w: truncated header (%d of %d bytes)", ErrCorrupt, len(data), headerLen)
	}
	if v := data[1]; v != formatVersion {
		return h, fmt.Errorf("%w: unknown format version %d (this reader knows %d)", ErrCorrupt, v, formatVersion)
	}
	m := Meta{Codec: data[2]}
	if _, ok := byID(m.Codec); !ok {
		return h, fmt.Errorf("%w: unknown codec id %d", ErrCorrupt, m.Codec)
	}
	flags := data[3]
	if flags&^knownFlags != 0 {
		return h, fmt.Errorf("%w: unknown header flags 0x%02x", ErrCorrupt, flags&^knownFlags)
	}
	n := headerLen
	if flags&flagVersion != 0 {
		if len(data) < n+8 {
			return h, fmt.Errorf("%w: truncated header: no version at offset %d", ErrCorrupt, n)
		}
		m.Version = binary.BigEndian.Uint64(data[n:])
		n += 8
	}
	if flags&flagTimes != 0 {
		for _, dst := range []*time.Time{&m.WrittenAt, &m.SoftExpiry} {
			ms, k := binary.Uvarint(data[n:])
			if k <= 0 || ms > math.MaxInt64 {
				return h, fmt.Errorf("%w: truncated or invalid header timestamp at offset %d", ErrCorrupt, n)
			}
			n += k
			if ms != 0 {
				*dst = time.UnixMilli(int64(ms)).UTC()
			}
		}
	}
	if flags&flagCompressed != 0 {
		if n >= len(data) {
			return h, fmt.Errorf("%w: truncated header: no compression algorithm at offset %d", ErrCorrupt, n)
		}
		m.Compression = Algorithm(data[n])
		if m.Compression != Zstd && m.Compression != S2 {
			return h, fmt.Errorf("%w: unknown compression algorithm %d", ErrCorrupt, data[n])
		}
		n++
		size, k := binary.Uvarint(data[n:])
		if k <= 0 {
			return h, fmt.Errorf("%w: truncated or invalid uncompressed size at offset %d", ErrCorrupt, n)
		}
		if size > limits.MaxDecompressed {
			return h, fmt.Errorf("%w: uncompressed size %d is above the limit of %d bytes", ErrCorrupt, size, limits.MaxDecompressed)
		}
		n += k
		h.size = int(size)
	}
	if flags&flagEncrypted != 0 {
		if n >= len(data) {
			return h, fmt.Errorf("%w: truncated header: no key id at offset %d", ErrCorrupt, n)
		}
		l := int(data[n])
		n++
		if l == 0 || l > maxKeyIDLen || n+l > len(data) {
			return h, fmt.Errorf("%w: invalid or truncated key id of %d bytes at offset %d", ErrCorrupt, l, n-1)
		}
		h.keyID = data[n : n+l]
		n += l
	}
	h.meta, h.n = m, n
	return h, nil
}
