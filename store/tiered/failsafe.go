package tiered

import (
	"context"
	"errors"
	"time"

	"github.com/cachekit/cachekit/store"
)

// The L1 fail-safe (Options.L1FailSafe): an L1 copy is kept for its L1 lifetime plus the window, reads
// treat the window as a miss (a fresh read), and only an L2 failure on such a miss serves the copy,
// stale. See the package documentation for the rules.

// freshReader is what an L1 offers for the fail-safe's reads (the memory backend does): reads that treat
// an entry with no more than reserve of its lifetime left as a miss, in one lookup. Another L1 costs an
// extra lookup per read (TTL first, see l1Fresh).
type freshReader interface {
	GetFresh(ctx context.Context, key string, reserve time.Duration) ([]byte, error)
	GetManyFresh(ctx context.Context, keys []string, reserve time.Duration) (map[string][]byte, error)
	ViewFresh(ctx context.Context, key string, reserve time.Duration, fn func(value []byte) error) error
	GetDecodedFresh(ctx context.Context, key string, reserve time.Duration, d store.Decoder) (any, error)
}

// l1Keep is how long L1 physically keeps a copy whose L1 lifetime is ttl: ttl plus the fail-safe window.
func (s *Store) l1Keep(ttl time.Duration) time.Duration { return ttl + s.opts.L1FailSafe }

// l1Fresh returns nil when key's L1 copy is within its L1 lifetime, for an L1 without freshReader: its
// TTL (which counts as neither hit nor miss) must exceed the window. A copy past it is an error wrapping
// store.ErrNotFound, as a miss is; any other TTL error is returned.
func (s *Store) l1Fresh(ctx context.Context, key string) error {
	ttl, err := s.l1.TTL(ctx, key)
	if err != nil {
		return err
	}
	if ttl <= s.opts.L1FailSafe {
		return opErr("get", key, store.ErrNotFound)
	}
	return nil
}

// The fresh reads of L1, used instead of the plain ones when the fail-safe is on (the callers branch, so
// that the hit path without the fail-safe stays exactly what it was).

// l1FreshGet is L1's Get of a copy within its L1 lifetime.
func (s *Store) l1FreshGet(ctx context.Context, key string) ([]byte, error) {
	if s.fresh != nil {
		return s.fresh.GetFresh(ctx, key, s.opts.L1FailSafe)
	}
	if err := s.l1Fresh(ctx, key); err != nil {
		return nil, err
	}
	return s.l1.Get(ctx, key)
}

// l1FreshGetMany is L1's GetMany of the copies within their L1 lifetime.
func (s *Store) l1FreshGetMany(ctx context.Context, keys []string) (map[string][]byte, error) {
	if s.fresh != nil {
		return s.fresh.GetManyFresh(ctx, keys, s.opts.L1FailSafe)
	}
	hits, err := s.l1.GetMany(ctx, keys)
	if err != nil {
		return nil, err
	}
	for k := range hits {
		if err := s.l1Fresh(ctx, k); err != nil {
			if !errors.Is(err, store.ErrNotFound) {
				return nil, err
			}
			delete(hits, k)
		}
	}
	return hits, nil
}

// l1FreshView is store.View on L1 of a copy within its L1 lifetime.
func (s *Store) l1FreshView(ctx context.Context, key string, fn func(value []byte) error) error {
	if s.fresh != nil {
		return s.fresh.ViewFresh(ctx, key, s.opts.L1FailSafe, fn)
	}
	if err := s.l1Fresh(ctx, key); err != nil {
		return err
	}
	return store.View(ctx, s.l1, key, fn)
}

// l1FreshGetDecoded is store.GetDecoded on L1 of a copy within its L1 lifetime.
func (s *Store) l1FreshGetDecoded(ctx context.Context, key string, d store.Decoder) (any, error) {
	if s.fresh != nil {
		return s.fresh.GetDecodedFresh(ctx, key, s.opts.L1FailSafe, d)
	}
	if err := s.l1Fresh(ctx, key); err != nil {
		return nil, err
	}
	return store.GetDecoded(ctx, s.l1, key, d)
}

// mayServeStale reports whether the L2 failure err on an L1 (fresh) miss lets the read fall back to a
// stale L1 copy: the fail-safe is on, and err is L2's own failure (a timeout, a refused connection, an
// open circuit breaker, a denial), not the caller's (ctx done or past its deadline: an L2 error while
// ctx is live is L2's, even one that wraps a context error of L2's own), not a miss, not a refusal of the call itself (invalid
// key) and not a closed store.
func (s *Store) mayServeStale(ctx context.Context, err error) bool {
	return s.opts.L1FailSafe > 0 && !callerDone(ctx) && !errors.Is(err, store.ErrNotFound) &&
		!errors.Is(err, store.ErrInvalidKey) && !errors.Is(err, store.ErrClosed)
}

// servedStale counts n stale serves and flags the read's StaleNote.
func (s *Store) servedStale(ctx context.Context, n int) {
	s.c.staleServed.Add(int64(n))
	store.MarkStale(ctx)
}

// staleGet returns key's stale L1 copy, if L1 still keeps one (a plain read, which counts as an L1 hit).
func (s *Store) staleGet(ctx context.Context, key string) ([]byte, bool) {
	v, err := s.l1.Get(ctx, key)
	if err != nil {
		return nil, false
	}
	s.servedStale(ctx, 1)
	return v, true
}

// staleView calls fn with key's stale L1 copy and reports whether L1 still kept one (fn was called);
// fn's error is then returned.
func (s *Store) staleView(ctx context.Context, key string, fn func(value []byte) error) (bool, error) {
	called := false
	err := store.View(ctx, s.l1, key, func(v []byte) error {
		called = true
		s.servedStale(ctx, 1)
		return fn(v)
	})
	return called, err
}

// staleDecoded returns d's form of key's stale L1 copy, if L1 still keeps one and it decodes.
func (s *Store) staleDecoded(ctx context.Context, key string, d store.Decoder) (any, bool) {
	v, err := store.GetDecoded(ctx, s.l1, key, d)
	if err != nil {
		return nil, false
	}
	s.servedStale(ctx, 1)
	return v, true
}

// staleMany adds to hits the stale L1 copies of every key in missing and reports true, or adds nothing
// and reports false when L1 no longer keeps a copy of some key.
func (s *Store) staleMany(ctx context.Context, hits map[string][]byte, missing []string) bool {
	stale, err := s.l1.GetMany(ctx, missing)
	if err != nil || len(stale) < len(missing) {
		return false
	}
	for k, v := range stale {
		hits[k] = v
	}
	s.servedStale(ctx, len(missing))
	return true
}

// forget removes key's L1 copy after L2 reported it missing, unless a change of key was recorded since
// sn (that change dealt with L1 already, and may have left a newer value there). With the fail-safe on,
// a copy past its L1 lifetime may still be in L1: it must not be served stale later, since L2 no longer
// holds it. A removal never brings an older value back, so it needs no version bump.
func (s *Store) forget(key string, sn snapshot) {
	if s.opts.L1FailSafe == 0 {
		return
	}
	st := s.g.lock(sn.idx)
	defer st.mu.Unlock()
	if s.g.unchangedLocked(sn, 0) {
		_, _ = s.l1.Delete(bg, key)
	}
}
