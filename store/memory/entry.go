package memory

import (
	"encoding/binary"
	"math"
	"sync/atomic"
	"time"
	"unsafe"
)

// entry is what the store keeps in ristretto for one write: a single allocation holding no pointers
// (the GC never scans it), laid out as
//
//	[0:8)              expiry: int64, little-endian, on the store's monotonic clock (Store.now)
//	[8:12)             flags: uint32, accessed atomically (see the flag constants)
//	[12:16)            key length: uint32, little-endian
//	[16:16+klen)       key
//	[16+klen:)         value (a private copy)
//
// Everything but the flags is written once, before the entry is shared, so readers need no locks. A new
// write is a new entry, and the address of its first byte tells one write from another (see same).
type entry []byte

const (
	hdrLen    = 16
	maxKeyLen = math.MaxUint32
)

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
	e := make(entry, hdrLen+len(key)+len(value))
	binary.LittleEndian.PutUint64(e[0:], uint64(addSat(s.now(), int64(ttl))))
	binary.LittleEndian.PutUint32(e[12:], uint32(len(key)))
	copy(e[hdrLen:], key)
	copy(e[hdrLen+len(key):], value)
	return e
}

func (e entry) exp() int64 { return int64(binary.LittleEndian.Uint64(e)) }

func (e entry) klen() int { return int(binary.LittleEndian.Uint32(e[12:])) }

// key returns the entry's key without copying: the bytes never change.
func (e entry) key() string {
	n := e.klen()
	if n == 0 {
		return ""
	}
	return unsafe.String(&e[hdrLen], n)
}

// val returns the stored value; callers copy it before it leaves the package.
func (e entry) val() []byte { return e[hdrLen+e.klen():] }

// flags returns the entry's flag word. Go's allocator aligns a 16-byte-or-larger object to at least
// 8 bytes, so offset 8 is aligned for a 32-bit atomic.
func (e entry) flags() *atomic.Uint32 { return (*atomic.Uint32)(unsafe.Pointer(&e[8])) }

func (e entry) has(f uint32) bool { return e.flags().Load()&f != 0 }

// same reports whether e and o are the same write (not merely equal bytes).
func (e entry) same(o entry) bool { return len(e) != 0 && len(o) != 0 && &e[0] == &o[0] }

// cost is the entry's share of the byte budget: key plus value bytes.
func (e entry) cost() int64 { return int64(len(e) - hdrLen) }

// live reports whether e holds key and has not expired at now.
func (e entry) live(key string, now int64) bool { return e.key() == key && e.exp() > now }

// remaining returns the entry's remaining lifetime at now (<= 0 once expired).
func (e entry) remaining(now int64) time.Duration { return time.Duration(e.exp() - now) }

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
