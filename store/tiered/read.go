package tiered

import (
	"context"
	"errors"
	"time"

	"github.com/cachekit/cachekit/store"
)

// Get returns a copy of the value of key from L1, else from L2 (copying it into L1 for its remaining L2
// lifetime capped by L1MaxTTL). A key in neither is an error wrapping store.ErrNotFound; an L2 failure
// on an L1 miss is L2's error (store.ErrUnavailable when L2 is unreachable) — unless the L1 fail-safe
// serves L1's stale copy instead (Options.L1FailSafe; the read's store.StaleNote is then marked).
func (s *Store) Get(ctx context.Context, key string) ([]byte, error) {
	if err := store.CheckCall(ctx, s.closed.Load(), backendName, "get", key); err != nil {
		return nil, err
	}
	if err := store.CheckKey(backendName, "get", key); err != nil {
		return nil, err
	}
	var v []byte
	var err error
	if s.opts.L1FailSafe == 0 {
		v, err = s.l1.Get(ctx, key)
	} else {
		v, err = s.l1FreshGet(ctx, key)
	}
	if err == nil {
		return v, nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return nil, opErr("get", key, err)
	}
	v, err = s.getL2(ctx, key)
	if err != nil && s.mayServeStale(ctx, err) {
		if v, ok := s.staleGet(ctx, key); ok {
			return v, nil
		}
	}
	return v, err
}

// getL2 serves an L1 miss (with the fail-safe on, a miss of a fresh copy) from L2.
func (s *Store) getL2(ctx context.Context, key string) ([]byte, error) {
	sn := s.snap(key)
	start := time.Now()
	l2ctx, cancel := s.l2ctx(ctx)
	v, ttl, err := store.GetWithTTL(l2ctx, s.l2, key) // one round trip when L2 is a store.TTLReader
	cancel()
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			s.c.misses.Add(1)
			s.forget(key, sn)
			return nil, opErr("get", key, store.ErrNotFound)
		}
		return nil, s.l2Err(ctx, "get", key, err)
	}
	s.c.l2Hits.Add(1)
	s.countBackfill(s.backfill(key, v, s.l1TTL(ttl, start), sn))
	return v, nil
}

// GetMany returns the hits among keys: L1's, plus L2's for the keys L1 missed, fetched in one L2 call and
// copied into L1. When L2 fails, GetMany fails as a whole (with L2's error) rather than return a partial
// answer that would read as misses — unless the L1 fail-safe (Options.L1FailSafe) still keeps a stale
// copy of every key L1 missed: those are then returned with the fresh hits, and the read's
// store.StaleNote is marked.
func (s *Store) GetMany(ctx context.Context, keys []string) (map[string][]byte, error) {
	if err := store.CheckCall(ctx, s.closed.Load(), backendName, "get_many", ""); err != nil {
		return nil, err
	}
	if err := store.CheckKeys(backendName, "get_many", keys); err != nil {
		return nil, err
	}
	var hits map[string][]byte
	var err error
	if s.opts.L1FailSafe == 0 {
		hits, err = s.l1.GetMany(ctx, keys)
	} else {
		hits, err = s.l1FreshGetMany(ctx, keys)
	}
	if err != nil {
		return nil, opErr("get_many", "", err)
	}
	missing := missingKeys(keys, hits)
	if len(missing) == 0 {
		return hits, nil
	}
	sns := make([]snapshot, len(missing))
	for i, k := range missing {
		sns[i] = s.snap(k)
	}
	start := time.Now()
	l2ctx, cancel := s.l2ctx(ctx)
	found, err := store.GetManyWithTTL(l2ctx, s.l2, missing) // one call when L2 is a store.TTLReader
	cancel()
	if err != nil {
		err = s.l2Err(ctx, "get_many", "", err)
		if s.mayServeStale(ctx, err) && s.staleMany(ctx, hits, missing) {
			return hits, nil
		}
		return nil, err
	}
	s.c.l2Hits.Add(int64(len(found)))
	s.c.misses.Add(int64(len(missing) - len(found)))
	elapsed := time.Since(start)
	for i, k := range missing {
		e, ok := found[k]
		if !ok {
			s.forget(k, sns[i])
			continue
		}
		hits[k] = e.Value
		s.countBackfill(s.backfill(k, e.Value, min(e.TTL-elapsed-expirySlack, s.opts.L1MaxTTL), sns[i]))
	}
	return hits, nil
}

// missingKeys returns the distinct keys absent from hits, in order.
func missingKeys(keys []string, hits map[string][]byte) []string {
	var missing []string
	var seen map[string]struct{}
	for _, k := range keys {
		if _, ok := hits[k]; ok {
			continue
		}
		if len(missing) > 0 {
			if seen == nil {
				seen = make(map[string]struct{}, len(keys))
				for _, m := range missing {
					seen[m] = struct{}{}
				}
			}
			if _, dup := seen[k]; dup {
				continue
			}
			seen[k] = struct{}{}
		}
		missing = append(missing, k)
	}
	return missing
}

// TTL returns key's remaining lifetime in L2, the source of truth.
func (s *Store) TTL(ctx context.Context, key string) (time.Duration, error) {
	if err := store.CheckCall(ctx, s.closed.Load(), backendName, "ttl", key); err != nil {
		return 0, err
	}
	if err := store.CheckKey(backendName, "ttl", key); err != nil {
		return 0, err
	}
	l2ctx, cancel := s.l2ctx(ctx)
	d, err := s.l2.TTL(l2ctx, key)
	cancel()
	if err != nil {
		return 0, s.l2Err(ctx, "ttl", key, err)
	}
	return d, nil
}

// Scan calls fn with each key of L2 (the source of truth) matching pattern, with L2's guarantees.
func (s *Store) Scan(ctx context.Context, pattern string, fn func(key string) bool) error {
	if err := store.CheckCall(ctx, s.closed.Load(), backendName, "scan", pattern); err != nil {
		return err
	}
	if err := s.l2.Scan(ctx, pattern, fn); err != nil {
		return opErr("scan", pattern, err)
	}
	return nil
}
