package cachekit

import (
	"context"
	"errors"
	"time"

	"github.com/cachekit/cachekit/store"
)

// Fetch returns the value cached under the relative key or, on a miss, loads it with load, caches it for
// ttl (0 = configured) and returns it. Concurrent Fetches of one key in this process share one load
// (singleflight): 100 concurrent misses call load once, and every caller gets the same value. A hit is
// served as View serves it, from the decoded form the store keeps (decoded once per write). Either way
// the result may share memory with the cache and other callers, so View's rule applies: treat it as
// read-only (the copy of T is yours; what its slices, maps and pointers reach is not).
//
// load runs with the first caller's context values but without its cancellation, so one caller giving up
// does not fail the others; each caller still stops waiting when its own ctx is done. Give load its own
// timeout. When the store is unavailable, Fetch still loads (the source of truth answers) and returns the
// loaded value; a failure to cache it is counted in Stats.StoreErrors, not returned. A load error is
// returned as is and nothing is cached.
func Fetch[T any](ctx context.Context, c *Cache, key string, ttl time.Duration, load func(ctx context.Context) (T, error)) (T, error) {
	var zero T
	v, err := View[T](ctx, c, key)
	switch {
	case err == nil:
		return v, nil
	case isMiss(err), errors.Is(err, store.ErrUnavailable):
	default:
		return zero, err
	}
	if ttl, err = c.resolveTTL("fetch", key, ttl); err != nil {
		return zero, err
	}
	full, err := c.fullKey("fetch", key)
	if err != nil {
		return zero, err
	}
	ch := c.flights.DoChan(full, func() (any, error) {
		loadCtx := context.WithoutCancel(ctx)
		c.counts.loads.Add(1)
		val, err := load(loadCtx)
		if err != nil {
			c.counts.loadErrors.Add(1)
			return nil, err
		}
		if err := c.Set(loadCtx, key, val, ttl); err != nil {
			c.counts.storeErrors.Add(1)
		}
		return val, nil
	})
	select {
	case <-ctx.Done():
		return zero, opErr("fetch", key, ctx.Err())
	case res := <-ch:
		if res.Shared {
			c.counts.coalesced.Add(1)
		}
		if res.Err != nil {
			return zero, res.Err
		}
		return res.Val.(T), nil
	}
}
