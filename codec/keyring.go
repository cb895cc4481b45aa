package codec

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
)

// ErrInvalidKeyring means encryption keys that cannot be used: an empty or malformed entry, an id that
// is empty, too long, repeated or has characters other than letters, digits, '.', '_' and '-', a key
// that is not base64 or not 32 bytes. The error names the problem and the key's id (or its position),
// never the key.
var ErrInvalidKeyring = errors.New("codec: invalid encryption keys")

// Key is one AES-256 key and the id that names it in the envelope header. Its String, GoString,
// Format and LogValue methods print the id only: a Key can be logged or printed without its Secret.
type Key struct {
	ID     string // 1 to 32 letters, digits, '.', '_' or '-'
	Secret []byte // 32 bytes
}

// String names the id only.
func (k Key) String() string { return "codec.Key{ID: " + strconv.Quote(k.ID) + ", Secret: <redacted>}" }

// GoString is String, for %#v.
func (k Key) GoString() string { return k.String() }

// Format prints String for every verb, so no verb or flag prints the Secret.
func (k Key) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, k.String()) }

// LogValue is String, for log/slog.
func (k Key) LogValue() slog.Value { return slog.StringValue(k.String()) }

// maxKeyIDLen bounds a key id, which every encrypted value carries in its header.
const maxKeyIDLen = 32

// Keyring holds the AES-256-GCM keys an Envelope encrypts and decrypts with: the first key encrypts new
// values, every key decrypts the values that name it. Rotation without a flush: put the new key first
// and keep the old one after it until the values it wrote have expired; since nonces are random,
// rotate a key well before it has encrypted 2^32 values (NIST's bound for random GCM nonces). A Keyring
// is immutable and safe for concurrent use. It keeps the keys only inside the ciphers built from them;
// its String names the ids and a short fingerprint, never key material.
type Keyring struct {
	keys        []*aesKey
	fingerprint string
}

type aesKey struct {
	id   string
	aead cipher.AEAD // AES-256-GCM with a random 96-bit nonce per value, prepended to the ciphertext
}

// NewKeyring returns a Keyring of keys, the first of which encrypts. At least one key is needed; ids
// must be distinct and valid and each Secret 32 bytes, else the error wraps ErrInvalidKeyring and names
// the id. The Secrets are not retained: they may be cleared after the call.
func NewKeyring(keys ...Key) (*Keyring, error) {
	if len(keys) == 0 {
		return nil, fmt.Errorf("%w: no keys", ErrInvalidKeyring)
	}
	kr := &Keyring{}
	h := sha256.New()
	h.Write([]byte("cachekit keyring fingerprint v1"))
	for i, key := range keys {
		if err := validateKeyID(key.ID, i+1); err != nil {
			return nil, err
		}
		if kr.find(key.ID) != nil {
			return nil, fmt.Errorf("%w: key id %q is given twice", ErrInvalidKeyring, key.ID)
		}
		if len(key.Secret) != 32 {
			return nil, fmt.Errorf("%w: key %q is %d bytes; AES-256 needs 32", ErrInvalidKeyring, key.ID, len(key.Secret))
		}
		block, err := aes.NewCipher(key.Secret)
		if err != nil {
			return nil, fmt.Errorf("%w: key %q: cannot make an AES cipher", ErrInvalidKeyring, key.ID)
		}
		aead, err := cipher.NewGCMWithRandomNonce(block)
		if err != nil {
			return nil, fmt.Errorf("%w: key %q: cannot make a GCM cipher", ErrInvalidKeyring, key.ID)
		}
		kr.keys = append(kr.keys, &aesKey{id: key.ID, aead: aead})
		h.Write([]byte{byte(len(key.ID))})
		h.Write([]byte(key.ID))
		h.Write(key.Secret)
	}
	kr.fingerprint = hex.EncodeToString(h.Sum(nil)[:4])
	return kr, nil
}

// ParseKeyring parses keys in the form of CACHEKIT_ENCRYPTION_KEYS: comma-separated id:key entries, each
// key 32 bytes in standard base64 (padded or not), the first entry the key that encrypts:
//
//	k2:3q2+7w...=,k1:AAEC...=
//
// Spaces around entries are ignored. Errors wrap ErrInvalidKeyring and name the entry's position and
// id, never the key.
func ParseKeyring(spec string) (*Keyring, error) {
	if strings.TrimSpace(spec) == "" {
		return nil, fmt.Errorf("%w: no keys (want id:base64key[,id:base64key...])", ErrInvalidKeyring)
	}
	var keys []Key
	for i, entry := range strings.Split(spec, ",") {
		entry = strings.TrimSpace(entry)
		id, b64, ok := strings.Cut(entry, ":")
		switch {
		case entry == "":
			return nil, fmt.Errorf("%w: entry %d is empty (want id:base64key)", ErrInvalidKeyring, i+1)
		case !ok:
			return nil, fmt.Errorf("%w: entry %d has no id (want id:base64key)", ErrInvalidKeyring, i+1)
		}
		id = strings.TrimSpace(id)
		if err := validateKeyID(id, i+1); err != nil {
			return nil, err
		}
		b64 = strings.TrimSpace(b64)
		secret, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			if secret, err = base64.RawStdEncoding.DecodeString(b64); err != nil {
				return nil, fmt.Errorf("%w: key %q is not valid standard base64", ErrInvalidKeyring, id)
			}
		}
		keys = append(keys, Key{ID: id, Secret: secret})
	}
	kr, err := NewKeyring(keys...)
	for _, k := range keys {
		clear(k.Secret)
	}
	return kr, err
}

// validateKeyID checks an id given at position pos (1-based). An invalid id is quoted only when it
// could not be a key: a base64 key pasted where the id goes is at least 43 characters.
func validateKeyID(id string, pos int) error {
	switch {
	case id == "":
		return fmt.Errorf("%w: entry %d has an empty key id", ErrInvalidKeyring, pos)
	case len(id) > maxKeyIDLen:
		return fmt.Errorf("%w: entry %d: key id is %d bytes, at most %d", ErrInvalidKeyring, pos, len(id), maxKeyIDLen)
	}
	for i := 0; i < len(id); i++ {
		switch b := id[i]; {
		case 'a' <= b && b <= 'z', 'A' <= b && b <= 'Z', '0' <= b && b <= '9', b == '.', b == '_', b == '-':
		default:
			return fmt.Errorf("%w: entry %d: key id %q has a character other than letters, digits, '.', '_' and '-'", ErrInvalidKeyring, pos, id)
		}
	}
	return nil
}

// IDs returns the key ids in order; the first is the one that encrypts.
func (k *Keyring) IDs() []string {
	ids := make([]string, len(k.keys))
	for i, key := range k.keys {
		ids[i] = key.id
	}
	return ids
}

// Format prints String for every verb: no verb or flag prints key material.
func (k *Keyring) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, k.String()) }

// GoString is String, for %#v.
func (k *Keyring) GoString() string { return k.String() }

// LogValue is String, for log/slog.
func (k *Keyring) LogValue() slog.Value { return slog.StringValue(k.String()) }

// String names the keys by id, the encrypting one first, with a fingerprint of ids and keys that tells
// two keyrings apart (it reveals nothing of the keys: 32 bits of a SHA-256): "k2,k1 (fingerprint
// 9f86d081)". A nil Keyring is "none".
func (k *Keyring) String() string {
	if k == nil {
		return "none"
	}
	return strings.Join(k.IDs(), ",") + " (fingerprint " + k.fingerprint + ")"
}

// lookup is find for an id read from a header (compared in place: no allocation for ids of up to 32
// bytes, which is all a header can carry).
func (k *Keyring) lookup(id []byte) *aesKey { return k.find(string(id)) }

// writer returns the key that encrypts.
func (k *Keyring) writer() *aesKey { return k.keys[0] }

// overhead is what encryption adds to a payload: the nonce and the tag.
func (k *aesKey) overhead() int { return k.aead.NonceSize() + k.aead.Overhead() }

// seal appends the nonce, the encryption of plain and the tag to dst.
func (k *aesKey) seal(dst, plain, aad []byte) []byte { return k.aead.Seal(dst, nil, plain, aad) }

// find returns the key called id, or nil; a nil Keyring has none.
func (k *Keyring) find(id string) *aesKey {
	if k == nil {
		return nil
	}
	for _, key := range k.keys {
		if key.id == id {
			return key
		}
	}
	return nil
}
