package cachekit

import (
	"strings"
	"sync"
	"unsafe"

	"github.com/cachekit/cachekit/codec"
	"github.com/cachekit/cachekit/keyspace"
)

// lookup is the reusable state of one read through a store.Viewer or store.DecodedCache: the full key,
// built in a pooled buffer instead of a fresh string, and the callback View calls, bound once per pooled
// value rather than allocated per call.
//
// Why lending the buffer to the store is safe: those interfaces promise not to retain the key after the
// call returns, except inside a returned error (the memory backend hashes and compares it; the tiered
// backend also passes only a copy to L2). So a lookup goes back to the pool only after a call that
// returned no store error; after one that did, it is dropped, and the error may keep aliasing its buffer,
// which nothing writes again. Every other use of the key (a Delete of a corrupt entry, an error of the
// Cache's own) takes a copy first.
type lookup struct {
	buf  []byte
	dst  any                // Get's destination while View runs
	env  *codec.Envelope    // the Cache's envelope while View runs
	err  error              // decode's error, reported by the callback
	meta codec.Meta         // the decoded value's envelope metadata
	view func([]byte) error // l.decode, bound once
}

var lookups = sync.Pool{New: func() any {
	l := &lookup{buf: make([]byte, 0, 64)}
	l.view = l.decode
	return l
}}

// maxPooledKey keeps an unusually long key's buffer out of the pool.
const maxPooledKey = 256

// decode is the View callback of Get: it decodes the lent bytes into l.dst (the codec copies what it
// keeps; see codec's aliasing tests) and records a decode error for the Cache rather than returning it,
// so that no store can mistake it for one of its own.
func (l *lookup) decode(data []byte) error {
	l.meta, l.err = decodeInto(l.env, data, l.dst, unsafe.String(unsafe.SliceData(l.buf), len(l.buf)))
	return nil
}

// release returns l to the pool. Only call it when the store call that used l's key returned no error.
func (l *lookup) release() {
	if cap(l.buf) > maxPooledKey {
		return
	}
	l.dst, l.env, l.err, l.meta = nil, nil, nil, codec.Meta{}
	lookups.Put(l)
}

// borrowKey validates the relative key and returns a lookup whose buffer holds the full key, with that key
// as a string aliasing the buffer (valid until release). It does not allocate once the pool is warm.
func (c *Cache) borrowKey(op, rel string) (*lookup, string, error) {
	prefix := c.ks.Prefix()
	if err := keyspace.ValidateRelative(rel); err != nil {
		return nil, "", invalidKey(op, rel, err)
	}
	if len(prefix)+len(rel) > keyspace.MaxKeyLen {
		_, err := c.fullKey(op, rel) // keyspace words the length error
		return nil, "", err
	}
	l := lookups.Get().(*lookup)
	l.buf = append(append(l.buf[:0], prefix...), rel...)
	return l, unsafe.String(unsafe.SliceData(l.buf), len(l.buf)), nil
}

// fullKey validates a relative key and returns the stored key.
func (c *Cache) fullKey(op, rel string) (string, error) {
	full, err := c.ks.Key(rel)
	if err != nil {
		return "", invalidKey(op, rel, err)
	}
	return full, nil
}

// fullKeys validates every relative key before any is used, so invalid input touches nothing.
func (c *Cache) fullKeys(op string, rels []string) ([]string, error) {
	full := make([]string, len(rels))
	for i, k := range rels {
		f, err := c.fullKey(op, k)
		if err != nil {
			return nil, err
		}
		full[i] = f
	}
	return full, nil
}

// ownKey returns a copy of a borrowed key for uses that may outlive the lookup.
func ownKey(borrowed string) string { return strings.Clone(borrowed) }
