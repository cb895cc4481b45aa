package memory

import (
	"math"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/cachekit/cachekit/store"
)

// entry is what the store keeps in ristretto for one write. Its key and value bytes are one pointer-free
// allocation (the GC never scans cached data); the record around them is small.
//
// Everything but the flags and the decoded form is written once, before the entry is shared, and never
// changes after: readers need no locks, and a reader may keep using the bytes of an entry that has since
// been replaced, deleted or evicted (the GC keeps them alive and nothing writes them). A new write is a
// new entry, so pointer identity tells one write from another (see same), and a decoded form kept in an
// entry can never be older than its bytes.
type entry = *record

type record struct {
	expiry int64         // on the store's monotonic clock (Store.now)
	fl     atomic.Uint32 // see the flag constants
	klen   uint32
	dec    atomic.Pointer[decoded] // the form GetDecoded keeps, or nil
	buf    []byte                  // key, then value (a private copy)
}

// decoded is one decoded form of an entry's value, made by d. It is immutable once published.
type decoded struct {
	d store.Decoder
	v any
}

const maxKeyLen = math.MaxUint32

// Entry flags, set by ristretto's hooks. Only a holder of the key's stripe lock reads or clears them.
const (
	// flagUpdated: ShouldUpdate saw this entry replace a stored one in place, i.e. ristretto applied the
	// write synchronously.
	flagUpdated uint32 = 1 << iota
	// flagReplacedExpired: the value it replaced had expired. ristretto's TTL sweep may be deleting that
	// key at this moment (it checks the expiry, then deletes whatever the key holds), so the write is
	// verified like a pending one.
	flagReplacedExpired
	// flagRejected: OnReject saw ristretto refuse this entry (TinyLFU admission, or the second of two
	// Sets of a new key).
	flagRejected
)

// newEntry copies key and value (the caller may reuse value) into a new entry expiring after ttl,
// saturating far in the future. len(key) <= maxKeyLen (checkSet).
func (s *Store) newEntry(key string, value []byte, ttl time.Duration) entry {
	buf := make([]byte, len(key)+len(value))
	copy(buf, key)
	copy(buf[len(key):], value)
	return &record{expiry: addSat(s.now(), int64(ttl)), klen: uint32(len(key)), buf: buf}
}

func (e *record) exp() int64 { return e.expiry }

// key returns the entry's key without copying: the bytes never change.
func (e *record) key() string {
	if e.klen == 0 {
		return ""
	}
	return unsafe.String(&e.buf[0], e.klen)
}

// val returns the stored value; callers copy it before it leaves the package, or lend it (View).
func (e *record) val() []byte { return e.buf[e.klen:] }

// flags returns the entry's flag word.
func (e *record) flags() *atomic.Uint32 { return &e.fl }

func (e *record) has(f uint32) bool { return e.fl.Load()&f != 0 }

// same reports whether e and o are the same write (not merely equal bytes).
func (e *record) same(o entry) bool { return e != nil && e == o }

// cost is the entry's share of the byte budget: key plus value bytes.
func (e *record) cost() int64 { return int64(len(e.buf)) }

// live reports whether e holds key and has not expired at now.
func (e *record) live(key string, now int64) bool { return e.key() == key && e.expiry > now }

// remaining returns the entry's remaining lifetime at now (<= 0 once expired).
func (e *record) remaining(now int64) time.Duration { return time.Duration(e.expiry - now) }

func addSat(a, b int64) int64 {
	if b > 0 && a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}

// copyOut returns a copy of e's value the caller owns; an empty value is a non-nil empty slice.
func copyOut(e entry) []byte {
	v := e.val()
	out := make([]byte, len(v))
	copy(out, v)
	return out
}
