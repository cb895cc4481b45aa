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
//   - Stored bytes that no codec can read (bad envelope, truncated, malformed JSON or msgpack) are deleted,
//     reported as a miss (ErrNotFound) and counted in Counters.Corrupt. A well-formed value that does not
//     fit the caller's type is an error wrapping ErrTypeMismatch: the entry stays, the destination is left
//     untouched, and it is counted in Counters.TypeMismatches.
//   - What Get, GetMany and Fetch return is the caller's own on every backend; View is the explicit,
//     shared, read-only opt-in.
//   - A value that cannot be encoded is an error wrapping codec.ErrEncode, never a panic.
//   - With WithCompression and WithEncryptionKeys (CACHE_COMPRESSION, CACHEKIT_ENCRYPTION_KEYS) values are
//     compressed, then encrypted with AES-256-GCM bound to their full key; values written before either
//     was turned on stay readable. An encrypted value that names an unknown key or does not authenticate
//     (changed bytes, copied from another key) is corrupt: deleted, counted, a miss. Keys never appear in
//     errors, String forms or Stats.
//   - Invalidation (DeletePattern, ClearAll, ClearSymbol) never reaches outside the keyspace.
//   - After Close, every method returns an error wrapping ErrClosed.
//   - A loader that panics (Fetch, Warm) is an error wrapping ErrLoaderPanic, never a crash.
//
// Configuration has one precedence rule, for New, Open, OpenEnv and the cachekit CLI alike (see
// Labeled): a setting (namespace, version, codec, plain_json, compression, encryption keys, ttl, ttl per
// kind) may be given by a Go option or CLI flag, by the store URL's query (?namespace=) and by the
// environment (REDIS_NAMESPACE); every source that gives it must give the same value, and two that
// differ are an error wrapping ErrConflict that names both. A setting no source gives takes its default.
//
// # Read-through: Fetch, FetchResult, FetchMany, WriteThrough
//
// Fetch loads a missing key through a loader, once per key and type in the process, and serves it by the
// key kind's Policy. Every knob, with its default (DefaultPolicies lists the built-in ones per kind):
//
//	knob                    Policy field           environment / URL option            default (ticker)
//	fresh TTL               Fetch's ttl argument   REDIS_CACHE_TTL[_<KIND>] / ttl       the kind's TTL (5s)
//	stale-while-revalidate  StaleWhileRevalidate   REDIS_CACHE_POLICY[_<KIND>]="swr=.." 2s
//	fail-safe max stale     FailSafe               ... "failsafe=.."                    10s
//	retry back-off          FailBackoff            ... "backoff=.."                     1s
//	negative-result TTL     NegativeTTL            ... "negative=.."                    5s
//	soft timeout            SoftTimeout            ... "soft=.."                        50ms
//	hard timeout            HardTimeout            ... "hard=.."                        5s
//	early refresh           EarlyRefresh           ... "early=.."                       0.2
//	TTL jitter              Jitter                 ... "jitter=.."                      0
//	maximum age, per call   MaxAge(d)              -                                    none
//
// The URL options are policy=... (kinds without a policy of their own) and policy.<kind>=...; a kind's
// variable or option is applied over its built-in policy, so "failsafe=1m" changes only that. Per call,
// FetchPolicy(p) replaces the policy and MaxAge(d) bounds the age of what is returned. Kinds without a
// built-in policy get the zero Policy (plain read-through) unless WithDefaultPolicy or REDIS_CACHE_POLICY
// says otherwise. FetchResult reports what was served: cached or loaded, stale, when the source produced
// it (carried in the value's envelope across processes and tiers) and its age.
package cachekit

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/cachekit/cachekit/codec"
	"github.com/cachekit/cachekit/keyspace"
	"github.com/cachekit/cachekit/store"
)

// Sentinel errors, the same values as package store's and codec's, re-exported so callers need one import.
var (
	ErrNotFound    = store.ErrNotFound
	ErrNotStored   = store.ErrNotStored
	ErrClosed      = store.ErrClosed
	ErrInvalidKey  = store.ErrInvalidKey
	ErrInvalidTTL  = store.ErrInvalidTTL
	ErrUnavailable = store.ErrUnavailable
	ErrDenied      = store.ErrDenied // authentication or permission refused; names the address
	ErrInvalidURL  = store.ErrInvalidURL
	// ErrTypeMismatch means a well-formed stored value that does not fit the caller's Go type (another
	// writer, an older release or the Python bot may own it). The entry is kept and the destination left
	// untouched; the error names the key and the type.
	ErrTypeMismatch = codec.ErrTypeMismatch
)

// Cache is the client users call. It is safe for concurrent use.
type Cache struct {
	st         store.Store
	viewer     store.Viewer       // st's zero-copy read, or nil
	decoded    store.DecodedCache // st's decoded-form cache, or nil
	ks         keyspace.Keyspace
	codec      codec.Codec
	env        *codec.Envelope // compression and encryption (sealing.go); nil for neither
	plainJSON  bool
	defaultTTL time.Duration
	kindTTL    map[string]time.Duration
	warmLimit  int

	policies      map[string]Policy
	defaultPolicy Policy
	now           func() time.Time

	flights  flights
	failures failures // recent load failures and negative results, per key
	closed   atomic.Bool
	counts   counters
	obs      atomic.Pointer[observerBox] // SetObserver
	log      *warnLog                    // WithLogger; nil logs nothing
	nsKeys   nsKeyCounter
	stats    time.Duration // bound of Stats' server part

	fetchRead time.Duration        // WithFetchReadTimeout
	leaser    store.CompareDeleter // st's owner-only delete, for Policy.Lease; nil: no lease

	bg     context.Context // ends at Close: background work (the namespace key count)
	stopBg context.CancelFunc
}

// New returns a Cache over s. The Cache owns s: Close closes it. Invalid or conflicting options are
// reported as errors naming the option (see Labeled for the precedence rule); s is not closed then.
func New(s store.Store, opts ...Option) (*Cache, error) {
	if s == nil {
		return nil, fmt.Errorf("cachekit: New with a nil store")
	}
	o := newOptions()
	if err := o.apply(opts); err != nil {
		return nil, err
	}
	ks, err := keyspace.New(o.namespace, o.version)
	if err != nil {
		return nil, fmt.Errorf("cachekit: %w", &keyError{err})
	}
	env, err := o.envelope()
	if err != nil {
		return nil, err
	}
	c := &Cache{
		st:         s,
		ks:         ks,
		codec:      o.codec,
		env:        env,
		plainJSON:  o.plainJSON,
		defaultTTL: o.defaultTTL,
		kindTTL:    o.kindTTL,
		warmLimit:  o.warmLimit,
		stats:      o.statsTimeout,
		fetchRead:  o.fetchReadTimeout,

		policies:      o.policies,
		defaultPolicy: o.defaultPolicy,
		now:           o.now,
	}
	c.bg, c.stopBg = context.WithCancel(context.Background())
	// Asserted once: an assertion to an interface type costs a lookup per read otherwise.
	c.viewer, _ = s.(store.Viewer)
	c.decoded, _ = s.(store.DecodedCache)
	c.leaser = leaseStore(s)
	if o.logger != nil {
		c.installLogger(o.logger)
	}
	return c, nil
}

// Keyspace returns the cache's keyspace (namespace + version).
func (c *Cache) Keyspace() keyspace.Keyspace { return c.ks }

// Store returns the underlying store, for backend-specific calls. Keys there are full keys.
func (c *Cache) Store() store.Store { return c.st }

// Codec returns the codec new values are written with.
func (c *Cache) Codec() codec.Codec { return c.codec }

// Close closes the underlying store. It is idempotent.
func (c *Cache) Close() error {
	if c.closed.Swap(true) {
		return nil
	}
	c.stopBg()
	err := c.st.Close()
	c.log.flush()
	return err
}
