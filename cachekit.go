// Package cachekit is one cache API over several backends (in-process ristretto, Redis standalone,
// Sentinel and Cluster, two-tier), with namespaced, versioned, human-readable keys
// ("qrl:v1:ohlcv:QRL/USDT:1d:120"), values encoded by a JSON or msgpack codec in a self-describing
// envelope, per-kind TTLs, namespace-scoped invalidation, read-through loading and cache warming.
//
// A Cache is built over a store.Store: New(memory.New(...)) or Open(ctx, "redis://..."). Keys given to a
// Cache are relative to its keyspace: "ticker:QRL/USDT" is stored as "qrl:v1:ticker:QRL/USDT".
//
// Rules the Cache enforces once, for every backend:
//   - Keys are validated (see package keyspace); an invalid key is an error wrapping ErrInvalidKey.
//   - A TTL of 0 means the TTL configured for the key's kind (its first segment), else the default TTL;
//     a negative TTL is an error wrapping ErrInvalidTTL.
//   - A stored value that cannot be decoded is deleted and reported as a miss (ErrNotFound), and counted
//     in Stats.Corrupt.
//   - A value that cannot be encoded is an error wrapping codec.ErrEncode, never a panic.
//   - Invalidation (DeletePattern, ClearAll, ClearSymbol) never reaches outside the keyspace.
//   - After Close, every method returns an error wrapping ErrClosed.
package cachekit

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/cachekit/cachekit/codec"
	"github.com/cachekit/cachekit/keyspace"
	"github.com/cachekit/cachekit/store"
)

// Sentinel errors, the same values as package store's, re-exported so callers need one import.
var (
	ErrNotFound    = store.ErrNotFound
	ErrNotStored   = store.ErrNotStored
	ErrClosed      = store.ErrClosed
	ErrInvalidKey  = store.ErrInvalidKey
	ErrInvalidTTL  = store.ErrInvalidTTL
	ErrUnavailable = store.ErrUnavailable
	ErrInvalidURL  = store.ErrInvalidURL
)

// DefaultTTL is the TTL used when none is configured (REDIS_CACHE_TTL's default).
const DefaultTTL = 60 * time.Second

// Cache is the client users call. It is safe for concurrent use.
type Cache struct {
	st         store.Store
	viewer     store.Viewer       // st's zero-copy read, or nil
	decoded    store.DecodedCache // st's decoded-form cache, or nil
	ks         keyspace.Keyspace
	codec      codec.Codec
	plainJSON  bool
	defaultTTL time.Duration
	kindTTL    map[string]time.Duration
	warmLimit  int

	flights singleflight.Group
	closed  atomic.Bool
	counts  counters

	nsKeysMu sync.Mutex
	nsKeys   nsKeyCount
}

type options struct {
	namespace, version string
	codec              codec.Codec
	plainJSON          bool
	defaultTTL         time.Duration
	kindTTL            map[string]time.Duration
	warmLimit          int
}

// Option configures a Cache.
type Option func(*options) error

// WithNamespace sets the namespace segment (default "qrl").
func WithNamespace(ns string) Option {
	return func(o *options) error { o.namespace = ns; return nil }
}

// WithVersion sets the version segment (default "v1"). Bump it when the shape of cached values changes.
func WithVersion(v string) Option {
	return func(o *options) error { o.version = v; return nil }
}

// WithCodec sets the codec new values are written with (default codec.JSON). Values written with any
// codec stay readable: the envelope names the codec that wrote them.
func WithCodec(c codec.Codec) Option {
	return func(o *options) error {
		if c == nil {
			return fmt.Errorf("cachekit: WithCodec(nil)")
		}
		o.codec = c
		return nil
	}
}

// WithPlainJSON makes Set write bare JSON without the envelope, readable by a Python bot sharing the
// Redis during a migration. Reads accept both forms regardless.
func WithPlainJSON() Option {
	return func(o *options) error { o.plainJSON = true; return nil }
}

// WithDefaultTTL sets the TTL used for ttl 0 when the key's kind has none (default 60s). It must be > 0.
func WithDefaultTTL(d time.Duration) Option {
	return func(o *options) error {
		if d <= 0 {
			return fmt.Errorf("%w: default TTL %v must be > 0", ErrInvalidTTL, d)
		}
		o.defaultTTL = d
		return nil
	}
}

// WithKindTTL sets the TTL used for ttl 0 on keys whose first segment is kind ("ticker"). It must be > 0.
func WithKindTTL(kind string, d time.Duration) Option {
	return func(o *options) error {
		if err := keyspace.ValidateSegment(kind); err != nil {
			return fmt.Errorf("cachekit: WithKindTTL kind: %w", &keyError{err})
		}
		if d <= 0 {
			return fmt.Errorf("%w: TTL %v for kind %q must be > 0", ErrInvalidTTL, d, kind)
		}
		o.kindTTL[kind] = d
		return nil
	}
}

// WithWarmConcurrency bounds how many loaders Warm runs at once (default 8).
func WithWarmConcurrency(n int) Option {
	return func(o *options) error {
		if n < 1 {
			return fmt.Errorf("cachekit: warm concurrency %d must be >= 1", n)
		}
		o.warmLimit = n
		return nil
	}
}

// New returns a Cache over s. The Cache owns s: Close closes it. Invalid options are reported as errors
// naming the option; s is not closed in that case.
func New(s store.Store, opts ...Option) (*Cache, error) {
	if s == nil {
		return nil, fmt.Errorf("cachekit: New with a nil store")
	}
	o := options{
		namespace:  keyspace.DefaultNamespace,
		version:    keyspace.DefaultVersion,
		codec:      codec.JSON,
		defaultTTL: DefaultTTL,
		kindTTL:    map[string]time.Duration{},
		warmLimit:  8,
	}
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	ks, err := keyspace.New(o.namespace, o.version)
	if err != nil {
		return nil, fmt.Errorf("cachekit: %w", &keyError{err})
	}
	c := &Cache{
		st:         s,
		ks:         ks,
		codec:      o.codec,
		plainJSON:  o.plainJSON,
		defaultTTL: o.defaultTTL,
		kindTTL:    o.kindTTL,
		warmLimit:  o.warmLimit,
	}
	// Asserted once: an assertion to an interface type costs a lookup per read otherwise.
	c.viewer, _ = s.(store.Viewer)
	c.decoded, _ = s.(store.DecodedCache)
	return c, nil
}

// Keyspace returns the cache's keyspace (namespace + version).
func (c *Cache) Keyspace() keyspace.Keyspace { return c.ks }

// Store returns the underlying store, for backend-specific calls. Keys there are full keys.
func (c *Cache) Store() store.Store { return c.st }

// Codec returns the codec new values are written with.
func (c *Cache) Codec() codec.Codec { return c.codec }

// DefaultTTL returns the TTL used for ttl 0 when the key's kind has no TTL of its own.
func (c *Cache) DefaultTTL() time.Duration { return c.defaultTTL }

// KindTTL returns the TTL configured for a kind, and whether one is.
func (c *Cache) KindTTL(kind string) (time.Duration, bool) {
	d, ok := c.kindTTL[kind]
	return d, ok
}

// Close closes the underlying store. It is idempotent.
func (c *Cache) Close() error {
	if c.closed.Swap(true) {
		return nil
	}
	return c.st.Close()
}
