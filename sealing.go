package cachekit

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/cachekit/cachekit/codec"
)

// Compression and encryption of stored values (the value envelope's options; see codec.Envelope).

// Environment variables for the value envelope's options, read by ConfigFromEnv.
const (
	// EnvCompression is the compression of new values in codec.ParseCompression's form: none, zstd, s2,
	// or either with a minimum payload size ("zstd:1024"). URL option: compression.
	EnvCompression = "CACHE_COMPRESSION"
	// EnvEncryptionKeys holds the AES-256-GCM keys as id1:base64key,id2:base64key (codec.ParseKeyring):
	// the first encrypts new values, every one decrypts. There is no URL option: keys do not belong in
	// URLs, which are logged and shown.
	EnvEncryptionKeys = "CACHEKIT_ENCRYPTION_KEYS"
	// EnvEncryptionRequired (true | false, default false) makes every value that is not encrypted read
	// as corrupt (WithEncryptionRequired). It needs CACHEKIT_ENCRYPTION_KEYS.
	EnvEncryptionRequired = "CACHEKIT_ENCRYPTION_REQUIRED"
)

// WithCompression compresses new values whose payload is at least c.MinSize bytes
// (codec.DefaultMinCompressSize when 0) with c.Algorithm; the zero Compression turns it off. Values
// written compressed or not read side by side whatever is configured: the envelope says which.
// Environment: CACHE_COMPRESSION=zstd:1024; URL option: compression=zstd:1024. It cannot be combined
// with plain JSON (WithPlainJSON), which the Python bot must read as it is.
func WithCompression(c codec.Compression) Option {
	return func(o *options) error {
		if _, err := codec.NewEnvelope(c, nil); err != nil {
			return fmt.Errorf("cachekit: WithCompression: %w", err)
		}
		if err := o.claim("compression", c.String(), "WithCompression("+c.String()+")"); err != nil {
			return err
		}
		o.compression = c
		return nil
	}
}

// WithEncryptionKeys encrypts new values with the first of keys (AES-256-GCM, bound to the value's full
// store key) and decrypts values with whichever key their header names, so keys rotate without a flush:
// put the new key first, keep the old one until the values it wrote have expired. A value that names
// no key of keys, or that does not authenticate (changed bytes, a value copied to another key), is
// corrupt: deleted, counted in Counters.Corrupt and read as a miss. Unencrypted values stay readable
// unless WithEncryptionRequired.
// Environment: CACHEKIT_ENCRYPTION_KEYS (no URL option). Conflicts name keyrings by id and fingerprint,
// never by key. It cannot be combined with plain JSON (WithPlainJSON).
func WithEncryptionKeys(keys *codec.Keyring) Option {
	return func(o *options) error {
		if keys == nil {
			return fmt.Errorf("cachekit: WithEncryptionKeys(nil)")
		}
		if err := o.claim("encryption_keys", keys.String(), "WithEncryptionKeys("+keys.String()+")"); err != nil {
			return err
		}
		o.keys = keys
		return nil
	}
}

// WithEncryptionRequired makes the Cache read only encrypted values: one that is not (plain JSON, or an
// envelope without encryption, such as a writer without keys or anyone who can write to the store
// would leave) is corrupt: deleted, counted in Counters.Corrupt and read as a miss. Without it,
// unencrypted values stay readable, which a rollout needs while old values live. It needs encryption
// keys (WithEncryptionKeys). Environment: CACHEKIT_ENCRYPTION_REQUIRED=true.
func WithEncryptionRequired() Option { return withEncryptionRequired(true) }

func withEncryptionRequired(on bool) Option {
	return func(o *options) error {
		if err := o.claim("encryption_required", strconv.FormatBool(on), fmt.Sprintf("WithEncryptionRequired (%t)", on)); err != nil {
			return err
		}
		o.encryptionRequired = on
		return nil
	}
}

// checkSealing refuses encryption required without keys, and plain JSON together with compression or
// encryption, naming the sources of both: plain JSON exists for a reader (the Python bot) that knows no
// envelope.
func (o *options) checkSealing() error {
	if o.encryptionRequired && o.keys == nil {
		return fmt.Errorf("cachekit: encryption_required (given by %s) needs encryption keys (%s or WithEncryptionKeys)",
			o.given["encryption_required"].source, EnvEncryptionKeys)
	}
	if !o.plainJSON {
		return nil
	}
	for _, s := range []struct {
		setting string
		on      bool
	}{{"compression", o.compression.Algorithm != codec.NoCompression}, {"encryption_keys", o.keys != nil}} {
		if s.on {
			return fmt.Errorf("cachekit: plain_json (given by %s) cannot be combined with %s (given by %s): "+
				"plain JSON is written for readers that know no envelope, so it is neither compressed nor encrypted",
				o.given["plain_json"].source, s.setting, o.given[s.setting].source)
		}
	}
	return nil
}

// envelope returns the codec.Envelope o configures, nil when it neither compresses nor encrypts.
func (o *options) envelope() (*codec.Envelope, error) {
	if err := o.checkSealing(); err != nil {
		return nil, err
	}
	if o.compression.Algorithm == codec.NoCompression && o.keys == nil {
		return nil, nil
	}
	env, err := codec.NewEnvelope(o.compression, o.keys)
	if err != nil || !o.encryptionRequired {
		return env, err
	}
	return env.RequireEncryption()
}

// Envelope returns the value envelope the Cache writes and reads with (its compression and keys), or nil
// when it neither compresses nor encrypts. Tools that read the store directly decode with its Decode,
// passing the full key.
func (c *Cache) Envelope() *codec.Envelope { return c.env }

// decode decodes data stored under the full key into v, decrypting and decompressing as its header says.
func (c *Cache) decode(data []byte, v any, full string) (codec.Meta, error) {
	return c.env.Decode(data, v, full)
}

// seal encodes v with m for the relative key through the Cache's envelope.
func (c *Cache) seal(key string, v any, m codec.Meta) ([]byte, error) {
	full := key
	if c.env.Keys() != nil { // only encryption binds to the key
		full = c.ks.Prefix() + key
	}
	return c.env.Encode(c.codec, v, m, full)
}

// sealedViewDecoder is View's store.Decoder for T when values may be encrypted. Decrypting needs the
// store key, which a Decoder is not given, so DecodeValue only takes a copy of the bytes: the form it
// returns is decoded by the first View that receives it, which knows the key (every View of one entry
// asks with that entry's key). The Decoder is one pointer, comparable and equal for every View of T on
// one Cache, so later Views share the decoded form without decoding, copying or allocating.
type sealedViewDecoder[T any] struct{ env *codec.Envelope }

// DecodeValue returns an undecoded form holding a copy of data.
func (sealedViewDecoder[T]) DecodeValue(data []byte) (any, error) {
	return &sealedForm[T]{data: bytes.Clone(data)}, nil
}

// sealedForm is a stored value decoded at most once, on first use, under the key it is read from.
type sealedForm[T any] struct {
	once sync.Once
	data []byte // the stored bytes, until decoded
	v    T
	err  error
}

// get decodes the form on its first call and returns the value or the decode error on every call.
func (f *sealedForm[T]) get(env *codec.Envelope, full string) (T, error) {
	f.once.Do(func() {
		_, f.err = env.Decode(f.data, &f.v, full)
		f.data = nil
	})
	return f.v, f.err
}

// isKeyOption reports a URL query option that would carry encryption keys.
func isKeyOption(name string) bool {
	switch strings.ToLower(name) {
	case "encryption_keys", "encryption_key", "encryption-keys", "encryptionkeys":
		return true
	}
	return false
}
