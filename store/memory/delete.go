package memory

import (
	"context"
	"strings"

	"github.com/cachekit/cachekit/internal/glob"
	"github.com/cachekit/cachekit/store"
)

// Delete removes keys and reports how many of them existed (present and not expired). Deleting a missing
// key is not an error. A deleted key reads as absent at once, even if ristretto has not applied an
// earlier write of it yet.
func (s *Store) Delete(ctx context.Context, keys ...string) (int, error) {
	if err := store.CheckKeys(backend, "delete", keys); err != nil {
		return 0, err
	}
	if len(keys) == 0 {
		if err := ctx.Err(); err != nil {
			return 0, opErr("delete", "", err)
		}
		return 0, nil
	}
	n := 0
	for i, key := range keys {
		h := s.hash(key)
		st := s.stripe(h)
		if err := s.enter(ctx, st, "delete", key); err != nil {
			if i == 0 {
				return 0, err
			}
			return n, err
		}
		if s.deleteOne(st, h, key) {
			n++
		}
		st.active.Add(-1)
	}
	return n, nil
}

// deleteOne removes key and reports whether it existed. The caller has entered the store.
func (s *Store) deleteOne(st *stripe, h uint64, key string) bool {
	now := s.now()
	st.mu.Lock()
	defer st.mu.Unlock()
	if p, ok := st.pending[h]; ok {
		if p.e == nil || p.e.key() != key {
			return false // already deleted, or the slot holds another key's write
		}
		// ristretto may still apply this write (or an older one) later: Del queues behind it, and the
		// tombstone hides the key until the drainer has seen the Del applied.
		s.cache.Del(h)
		s.putPending(st, h, pending{gen: s.epoch.Load()})
		s.wake()
		return p.e.exp() > now
	}
	e, ok := s.cache.Get(h)
	if !ok || !e.live(key, now) {
		return false
	}
	// Nothing of ours is queued for h, so Del's immediate removal is final: a later Set queues after it.
	s.cache.Del(h)
	return true
}

// DeletePattern removes every key matching pattern (Redis glob semantics: store.Match) and reports how
// many it removed. Keys written while it runs may or may not be removed. It checks ctx between keys.
func (s *Store) DeletePattern(ctx context.Context, pattern string) (int, error) {
	st0 := s.stripe(0)
	if err := s.enter(ctx, st0, "delete_pattern", pattern); err != nil {
		return 0, err
	}
	defer st0.active.Add(-1)
	keys, err := s.matching(ctx, pattern, "delete_pattern")
	if err != nil {
		return 0, err
	}
	n := 0
	for i, key := range keys {
		if i&255 == 255 {
			if err := ctx.Err(); err != nil {
				return n, opErr("delete_pattern", pattern, err)
			}
		}
		h := s.hash(key)
		if s.deleteOne(s.stripe(h), h, key) {
			n++
		}
	}
	return n, nil
}

// Scan calls fn with each key matching pattern (Redis glob semantics: store.Match), each once, until fn
// returns false. The matching keys are collected first, so fn may call this Store's methods; keys
// written while Scan runs may or may not be reported, and a reported key may have been deleted since.
func (s *Store) Scan(ctx context.Context, pattern string, fn func(key string) bool) error {
	st0 := s.stripe(0)
	if err := s.enter(ctx, st0, "scan", pattern); err != nil {
		return err
	}
	keys, err := s.matching(ctx, pattern, "scan")
	st0.active.Add(-1) // fn runs outside: it may call the store, even Close
	if err != nil {
		return err
	}
	for i, key := range keys {
		if i&255 == 255 {
			if err := ctx.Err(); err != nil {
				return opErr("scan", pattern, err)
			}
		}
		if !fn(strings.Clone(key)) { // a caller keeping the key must not keep the entry alive
			return nil
		}
	}
	return nil
}

// matching returns the live keys matching pattern. The caller has entered the store.
func (s *Store) matching(ctx context.Context, pattern, op string) ([]string, error) {
	if lit, ok := glob.Literal(pattern); ok {
		h := s.hash(lit)
		if s.find(s.stripe(h), h, lit) != nil {
			return []string{lit}, nil
		}
		return nil, nil
	}
	var keys []string
	err := s.forEachLive(ctx, glob.LiteralPrefix(pattern), func(e entry) {
		if k := e.key(); glob.Match(pattern, k) {
			keys = append(keys, k) // aliases the entry: Scan clones before handing keys out
		}
	})
	if err != nil {
		return nil, opErr(op, pattern, err)
	}
	return keys, nil
}

// forEachLive calls fn with every live entry whose key starts with prefix, each key once: ristretto's
// entries, except those an overlay record overrides, and the overlay's live writes. Writes that finish
// before the call are all seen; writes concurrent with it may or may not be. fn runs while ristretto
// holds a shard lock: it must not call the cache. The caller has entered the store.
func (s *Store) forEachLive(ctx context.Context, prefix string, fn func(e entry)) error {
	// Holding drainMu keeps the drainer from moving a write out of the overlay between the two halves
	// below (where neither would see it). Settling first keeps the overlay half small.
	s.drainMu.Lock()
	defer s.drainMu.Unlock()
	s.drainLocked()
	now := s.now()
	var (
		overridden map[uint64]struct{}
		writes     []entry
	)
	for i := range s.stripes {
		st := &s.stripes[i]
		if st.npend.Load() == 0 {
			continue
		}
		st.mu.Lock()
		for h, p := range st.pending {
			if overridden == nil {
				overridden = map[uint64]struct{}{}
			}
			overridden[h] = struct{}{}
			if p.e != nil && p.e.exp() > now && strings.HasPrefix(p.e.key(), prefix) {
				writes = append(writes, p.e)
			}
		}
		st.mu.Unlock()
	}
	visited := 0
	var cancelled error
	s.cache.IterValues(func(e entry) bool {
		if visited++; visited&4095 == 0 {
			if cancelled = ctx.Err(); cancelled != nil {
				return true
			}
		}
		if e.exp() <= now || !strings.HasPrefix(e.key(), prefix) {
			return false
		}
		if overridden != nil {
			if _, ok := overridden[s.hash(e.key())]; ok {
				return false
			}
		}
		fn(e)
		return false
	})
	if cancelled != nil {
		return cancelled
	}
	for _, e := range writes {
		fn(e)
	}
	return nil
}
