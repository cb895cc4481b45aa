package codec

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"

	"github.com/cachekit/cachekit/codec/internal/limits"
)

// Envelope is a configured envelope: what Encode adds around the codec's payload (compression above a
// size, encryption with a Keyring's first key) and the keys Decode decrypts with. It is immutable and
// safe for concurrent use. A nil *Envelope is the plain envelope: its Encode is EncodeMeta and its
// Decode is Decode, so a caller can hold one unconditionally.
//
// Encryption is AES-256-GCM with a random 96-bit nonce per value. The associated data is every header
// byte (codec, flags, times, compression, key id) followed by the store key the value is written under,
// so a value copied to another key, or with a header byte changed, fails authentication. Decode reports
// that, an unknown key id, and an encrypted value read without keys as ErrCorrupt: such bytes are never
// returned as a value. Compression runs before encryption (ciphertext does not compress).
type Envelope struct {
	comp     Compression
	keys     *Keyring
	required bool // RequireEncryption: an unencrypted value does not decode
}

// NewEnvelope returns an Envelope that compresses as comp says and, when keys is not nil, encrypts with
// keys' first key. An unknown algorithm or a negative size is an error.
func NewEnvelope(comp Compression, keys *Keyring) (*Envelope, error) {
	if err := comp.validate(); err != nil {
		return nil, err
	}
	return &Envelope{comp: comp, keys: keys}, nil
}

// RequireEncryption returns a copy of e whose Decode refuses every value that is not encrypted (plain
// JSON included) as ErrCorrupt, so that whoever can write to the store cannot plant a value the reader
// takes as its own: turn it on once every writer encrypts and the values written before have expired.
// e must have keys.
func (e *Envelope) RequireEncryption() (*Envelope, error) {
	if e.Keys() == nil {
		return nil, errors.New("codec: RequireEncryption: the envelope has no encryption keys")
	}
	c := *e
	c.required = true
	return &c, nil
}

// EncryptionRequired reports whether e's Decode refuses unencrypted values (RequireEncryption).
func (e *Envelope) EncryptionRequired() bool { return e != nil && e.required }

// Compression returns what e compresses (the zero Compression for a nil Envelope).
func (e *Envelope) Compression() Compression {
	if e == nil {
		return Compression{}
	}
	return e.comp
}

// Keys returns the Keyring e encrypts and decrypts with, or nil.
func (e *Envelope) Keys() *Keyring {
	if e == nil {
		return nil
	}
	return e.keys
}

// String describes e without key material: "compression zstd:512, encryption k2,k1 (fingerprint ...)".
func (e *Envelope) String() string {
	var parts []string
	if c := e.Compression(); c.Algorithm != NoCompression {
		parts = append(parts, "compression "+c.String())
	}
	if k := e.Keys(); k != nil {
		parts = append(parts, "encryption "+k.String())
		if e.required {
			parts[len(parts)-1] += " (required)"
		}
	}
	if len(parts) == 0 {
		return "plain"
	}
	return strings.Join(parts, ", ")
}

// Encode returns the envelope for codec c, v and m's times (as EncodeMeta), with the payload compressed
// when e compresses and it is at least the minimum size and shrinks, and encrypted when e has keys,
// bound to key: the store key the value is written under, which Decode must be given to read it. Errors
// are EncodeMeta's. The result is a fresh slice of exactly its length.
func (e *Envelope) Encode(c Codec, v any, m Meta, key string) ([]byte, error) {
	ac, h, err := makeHeader(c, m)
	if err != nil {
		return nil, err
	}
	if e == nil || (e.comp.Algorithm == NoCompression && e.keys == nil) {
		return ac.marshalAfter(h, v)
	}
	sp := getScratch()
	payload, err := ac.appendMarshal((*sp)[:0], v)
	defer func() { putScratch(sp, payload) }()
	if err != nil {
		return nil, err
	}
	body := payload
	if a := e.comp.Algorithm; a != NoCompression && len(payload) >= e.comp.minSize() && len(payload) <= limits.MaxDecompressed {
		zp := getScratch()
		z, err := compressAppend((*zp)[:0], payload, a)
		defer func() { putScratch(zp, z) }()
		if err != nil {
			return nil, err
		}
		var size [binary.MaxVarintLen64]byte
		if 1+binary.PutUvarint(size[:], uint64(len(payload)))+len(z) < len(payload) { // else store it as it is: compression did not pay
			body = z
			h.b[3] |= flagCompressed
			h.b[h.n] = byte(a)
			h.n = len(binary.AppendUvarint(h.b[:h.n+1], uint64(len(payload))))
		}
	}
	if e.keys == nil {
		out := make([]byte, h.n+len(body))
		copy(out, h.b[:h.n])
		copy(out[h.n:], body)
		return out, nil
	}
	w := e.keys.writer()
	h.b[3] |= flagEncrypted
	h.b[h.n] = byte(len(w.id))
	h.n += 1 + copy(h.b[h.n+1:], w.id)
	out := make([]byte, h.n, h.n+len(body)+w.overhead())
	copy(out, h.b[:h.n])
	ap := getScratch()
	aad := append(append((*ap)[:0], out...), key...)
	out = w.seal(out, body, aad)
	putScratch(ap, aad)
	return out, nil
}

// Decode is the package's Decode with e's keys: an encrypted value is decrypted with the key its header
// names, bound to key (the store key it was read from). An unknown key id, a failed authentication (a
// wrong key, a changed byte, a value moved from another store key) and an encrypted value read by a nil
// or keyless Envelope are errors wrapping ErrCorrupt, never a value. Unencrypted values, compressed or
// not, read as Decode reads them, so values written before encryption was turned on stay readable,
// unless e requires encryption (RequireEncryption): then they are errors wrapping ErrCorrupt too.
func (e *Envelope) Decode(data []byte, v any, key string) (Meta, error) {
	if e.EncryptionRequired() && !isEncrypted(data) {
		if err := checkTarget(v); err != nil {
			return Meta{}, err
		}
		return Meta{}, fmt.Errorf("%w: a value that is not encrypted, and this reader requires encryption", ErrCorrupt)
	}
	return decode(e.Keys(), data, v, key)
}

// isEncrypted reports whether data is an envelope of this format whose encrypted flag is set; its
// header is checked in full by decode.
func isEncrypted(data []byte) bool {
	return len(data) > headerLen && data[0] == magic && data[1] == formatVersion && data[3]&flagEncrypted != 0
}

// decodePayload decrypts and decompresses the payload that h describes, then decodes it into v.
func decodePayload(keys *Keyring, data []byte, h parsedHeader, v any, key string) (Meta, error) {
	m := h.meta
	c, _ := byID(m.Codec)
	body := data[h.n:]
	if h.keyID != nil {
		k := keys.lookup(h.keyID)
		switch {
		case k == nil && keys == nil:
			return m, fmt.Errorf("%w: encrypted with key %q, and this reader has no encryption keys", ErrCorrupt, h.keyID)
		case k == nil:
			return m, fmt.Errorf("%w: encrypted with key %q, which is not among this reader's keys (%s)",
				ErrCorrupt, h.keyID, strings.Join(keys.IDs(), ","))
		}
		m.KeyID = k.id
		ap, pp := getScratch(), getScratch()
		aad := append(append((*ap)[:0], data[:h.n]...), key...)
		plain, err := k.aead.Open((*pp)[:0], nil, body, aad)
		putScratch(ap, aad)
		defer func() { putScratch(pp, plain) }()
		if err != nil {
			return m, fmt.Errorf("%w: encrypted value does not authenticate with key %q under this store key "+
				"(changed bytes, or a value copied from another key)", ErrCorrupt, k.id)
		}
		body = plain
	}
	if m.Compression != NoCompression {
		dp := getScratch()
		raw, err := decompressAppend((*dp)[:0], body, m.Compression, h.size)
		defer func() { putScratch(dp, raw) }()
		if err != nil {
			return m, err
		}
		body = raw
	}
	return m, c.unmarshal(body, v)
}
