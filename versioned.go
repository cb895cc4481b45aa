package cachekit

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cachekit/cachekit/codec"
	"github.com/cachekit/cachekit/store"
)

// Versioned is implemented by values that carry a monotonic version of their own: an exchange
// sequence number, an order book's update id, the source's timestamp in milliseconds. Fetch and
// FetchMany record a loaded value's version in its envelope and write it with the store's atomic
// versioned write (store.VersionedSetter), so a slow load or refresh never replaces a newer value that
// another instance (or this one) has stored meanwhile. 0 means "no version": the value is written as
// Set writes it.
type Versioned interface {
	CacheVersion() uint64
}

// versionOf returns v's version, 0 when it has none.
func versionOf(v any) uint64 {
	if vv, ok := v.(Versioned); ok {
		return vv.CacheVersion()
	}
	return 0
}

// SetVersioned stores v under the relative key with version (which must be positive) recorded in its
// envelope, unless the key holds a value with a version not lower than version; it reports whether it
// stored v. The check and the write are one atomic step on every backend of this module (one Lua
// script on Redis, cluster-safe; a lock in process; tiered through L2's), so of racing writers the
// highest version ends stored. A refused write is not an error: stored is false, err nil, and
// Counters.VersionsRefused counts it. A key holding a value without a version (written by Set, or by
// another program) is overwritten. A store without store.VersionedSetter, and a Cache writing plain
// JSON (no envelope to hold the version), make it an error wrapping ErrUnsupported; nothing is
// written then. ttl follows Set's rules.
func (c *Cache) SetVersioned(ctx context.Context, key string, v any, ttl time.Duration, version uint64) (stored bool, err error) {
	const op = "set_versioned"
	t := c.startTimer()
	defer func() {
		if o := c.observer(); o != nil {
			outcome := writeOutcome(err)
			if err == nil && !stored {
				outcome = OutcomeRefused
			}
			o.Count(OpSet, kindOf(key), outcome, 1)
		}
		t.stop(OpSet, key)
	}()
	if version == 0 {
		return false, opErr(op, key, fmt.Errorf("%w: version 0 means none: a versioned write needs a positive version", store.ErrInvalidValue))
	}
	if err := c.check(ctx, op, key); err != nil {
		return false, err
	}
	if c.plainJSON {
		return false, opErr(op, key, fmt.Errorf("%w: plain JSON values carry no envelope to hold a version", errors.ErrUnsupported))
	}
	full, err := c.fullKey(op, key)
	if err != nil {
		return false, err
	}
	if ttl, err = c.resolveTTL(op, key, ttl); err != nil {
		return false, err
	}
	data, err := c.encodeMeta(op, key, v, codec.Meta{Version: version})
	if err != nil {
		return false, err
	}
	if err := c.settleKeys(ctx, full); err != nil {
		return false, opErr(op, key, err)
	}
	stored, err = store.SetIfNewer(ctx, c.st, full, data, ttl)
	c.skipped(err, 1)
	if err == nil && !stored {
		c.counts.versionsRefused.Add(1)
	}
	return stored, err
}

// writeLoaded writes a value a load produced (data, encoded with its version when it has one): with
// the store's versioned write when the value is versioned and the store has one, else with Set. A
// versioned write refused because the store holds a newer version is counted, not an error.
func (c *Cache) writeLoaded(ctx context.Context, full string, data []byte, ttl time.Duration) error {
	if _, ok := store.ValueVersion(data); ok {
		if vs, ok := c.st.(store.VersionedSetter); ok {
			stored, err := vs.SetIfNewer(ctx, full, data, ttl)
			if err == nil && !stored {
				c.counts.versionsRefused.Add(1)
			}
			return c.skipped(err, 1)
		}
	}
	return c.skipped(c.st.Set(ctx, full, data, ttl), 1)
}
