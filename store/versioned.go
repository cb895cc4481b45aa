package store

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// The envelope layout a versioned write compares, owned by package codec (codec.VersionOffset,
// codec.VersionFlag; a codec test checks that these agree): an enveloped value starts with magic 0xC1
// and format 1, byte 3 holds flags, and with the version flag set 8 big-endian bytes at offset 4 are
// its version.
const (
	envelopeMagic   = 0xC1
	envelopeFormat  = 1
	versionFlag     = 1 << 3
	versionOffset   = 4
	versionedMinLen = versionOffset + 8
)

// ValueVersion returns the version an encoded value carries in its envelope header, and whether it
// carries one. Bytes that are not a versioned envelope (plain JSON from the Python bot, an unversioned
// value, garbage) have none.
func ValueVersion(value []byte) (uint64, bool) {
	if len(value) < versionedMinLen || value[0] != envelopeMagic || value[1] != envelopeFormat || value[3]&versionFlag == 0 {
		return 0, false
	}
	return binary.BigEndian.Uint64(value[versionOffset:]), true
}

// NewerThanStored reports whether a versioned write of value may replace stored (nil when the key
// holds nothing): always over nothing and over a value without a version; otherwise only when value's
// version is strictly greater. A value without a version of its own is never a versioned write
// (SetIfNewer refuses it as an argument error).
func NewerThanStored(value, stored []byte) bool {
	nv, _ := ValueVersion(value)
	if stored == nil {
		return true
	}
	ov, ok := ValueVersion(stored)
	return !ok || nv > ov
}

// VersionedSetter is an optional interface of a Store that can refuse a late write atomically.
// SetIfNewer stores value under key with ttl, as Set does, only when the key holds nothing, a value
// without a version, or one with a lower version than value's (NewerThanStored), and reports whether
// it stored it. The check and the write are one atomic step on the backend (one script on Redis, a
// lock in process), so of two writers racing with versions 5 and 7 the stored value ends as 7 whatever
// the order. A refused write is not an error: stored is false and err is nil. value must carry a
// version (ValueVersion); one that does not is an error wrapping ErrInvalidValue (CheckVersioned).
type VersionedSetter interface {
	SetIfNewer(ctx context.Context, key string, value []byte, ttl time.Duration) (stored bool, err error)
}

// SetIfNewer is VersionedSetter.SetIfNewer on s when s has it. A Store without it has no fallback (a
// Get then a Set is not atomic, so a late writer could still win): the call is then an error wrapping
// errors.ErrUnsupported and stores nothing.
func SetIfNewer(ctx context.Context, s Store, key string, value []byte, ttl time.Duration) (bool, error) {
	if vs, ok := s.(VersionedSetter); ok {
		return vs.SetIfNewer(ctx, key, value, ttl)
	}
	return false, &OpError{Op: "set_if_newer", Key: key, Backend: fmt.Sprintf("%T", s), Err: fmt.Errorf("%T is not a VersionedSetter (no atomic versioned write): %w", s, errors.ErrUnsupported)}
}
