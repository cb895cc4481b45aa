package store

import (
	"context"
	"math"
	"time"
)

// Store is a cache backend. All methods are safe for concurrent use and honour ctx cancellation: a call
// whose context is done returns an error wrapping ctx.Err() without waiting for the backend.
//
// Rules every implementation follows (package conformance checks each one):
//   - Keys are full keys ("qrl:v1:ticker:QRL/USDT"). Every store refuses the empty key, in every keyed
//     call (Get, GetMany, Set, SetMany, Add, Delete, TTL and the optional interfaces), with an *OpError
//     wrapping ErrInvalidKey before reading or writing anything, even for the other keys or items of the
//     call: CheckKey, CheckKeys and CheckItems are that rule. A store does not otherwise interpret keys.
//   - Returned byte slices are copies: the caller may modify them. Byte slices passed in are copied or not
//     retained: the caller may reuse them after the call returns.
//   - A missing or expired key is reported by an error wrapping ErrNotFound, never by a nil slice.
//   - ttl passed to Set, SetMany and Add is > 0; a store rejects ttl <= 0 with ErrInvalidTTL.
//   - After Close, every method returns an error wrapping ErrClosed; Close itself is idempotent.
//   - Errors are *OpError values wrapping one of this package's sentinels (or a context error), so callers
//     use errors.Is and never compare strings.
//   - A write (Set, SetMany, Add, Delete, DeletePattern) that fails with ErrUnavailable or a context
//     error has an unknown outcome: a network backend may have received it and may still apply it later
//     (Redis after a pause ends, say), so a caller must not assume the old value is still there. A write
//     that fails with ErrCircuitOpen, ErrInvalidKey, ErrInvalidTTL or ErrClosed was not applied.
type Store interface {
	// Get returns a copy of the value stored under key, or an error wrapping ErrNotFound when the key is
	// missing or expired.
	Get(ctx context.Context, key string) ([]byte, error)

	// GetMany returns the hits among keys (misses are simply absent from the map). Each value is a copy.
	// A network backend makes one round trip per node.
	GetMany(ctx context.Context, keys []string) (map[string][]byte, error)

	// Set stores value under key for ttl. Read-your-writes: once Set returns nil, the next Get on the same
	// Store sees this value (until it expires, is evicted or is overwritten). An in-process store whose
	// admission policy refuses the value returns an error wrapping ErrNotStored instead.
	Set(ctx context.Context, key string, value []byte, ttl time.Duration) error

	// SetMany stores every item, each with its own TTL, in as few round trips as the backend allows (one
	// pipeline on Redis). It is not atomic: on error, some items may have been stored.
	SetMany(ctx context.Context, items []Item) error

	// Add stores value under key only if key is absent (SET NX). It reports whether it stored the value.
	Add(ctx context.Context, key string, value []byte, ttl time.Duration) (bool, error)

	// Delete removes keys and reports how many existed. Deleting a missing key is not an error.
	Delete(ctx context.Context, keys ...string) (int, error)

	// TTL returns the remaining lifetime of key (> 0), NoExpiry for a key that exists without an expiry
	// (written by something other than cachekit, which always sets one), or an error wrapping ErrNotFound
	// when it is missing or expired.
	TTL(ctx context.Context, key string) (time.Duration, error)

	// DeletePattern removes every key matching pattern, with Redis glob semantics exactly (see Match), and
	// reports how many it removed. It never blocks a server (SCAN, never KEYS) and covers every node.
	DeletePattern(ctx context.Context, pattern string) (int, error)

	// Scan calls fn with each key matching pattern (Redis glob semantics) until fn returns false. A key
	// may be reported more than once on Redis (SCAN's guarantee); keys written during the scan may or
	// may not be reported. fn must not call the Store's methods on an in-process backend.
	Scan(ctx context.Context, pattern string, fn func(key string) bool) error

	// Stats returns the backend's counters and gauges. Fields a backend cannot know are -1 or empty.
	Stats(ctx context.Context) (Stats, error)

	// Close releases the store's resources. It is idempotent; calls after Close fail with ErrClosed.
	Close() error
}

// NoExpiry is what Store.TTL reports for a key that exists without an expiry.
const NoExpiry = time.Duration(math.MaxInt64)

// Item is one entry of a SetMany call.
type Item struct {
	Key   string
	Value []byte
	TTL   time.Duration
}
