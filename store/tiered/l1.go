package tiered

import (
	"context"
	"time"
)

// bg is the context of L1 operations that keep L1 coherent after L2 has changed: they must not be
// skipped because the caller's context ended half way (L1 operations are in-process and brief).
var bg = context.Background()

// The only ways L1 changes; each holds the guard's lock for the keys it touches (see guard).

// backfill copies an L2 hit into L1 for ttl (its L1 lifetime; L1 keeps it longer by the fail-safe
// window) unless a change was recorded since sn, and reports whether it did. A skipped backfill leaves
// L1 alone: the change that was recorded already dealt with L1. With the fail-safe on, a backfill with
// no lifetime left removes the key's L1 copy instead: that copy, past its L1 lifetime, may be older than
// L2's value and must not be served stale later.
func (s *Store) backfill(key string, value []byte, ttl time.Duration, sn snapshot) bool {
	if ttl <= 0 && s.opts.L1FailSafe == 0 {
		return false
	}
	st := s.g.lock(sn.idx)
	defer st.mu.Unlock()
	if !s.g.unchangedLocked(sn, 0) {
		return false
	}
	if ttl <= 0 || s.l1.Set(bg, key, value, s.l1Keep(ttl)) != nil {
		// A refusal (ErrNotStored) may leave an older value in place.
		_, _ = s.l1.Delete(bg, key)
		return false
	}
	return true
}

// writeThrough records the change of key just written to L2 and leaves L1 holding the written value for
// ttl — or nothing, when ttl is used up, L1 refuses, or another change was recorded since sn (beyond own,
// this call's earlier bumps of the same stripe): that change may be newer than this write in L2. It
// reports whether it left nothing because of such a change.
func (s *Store) writeThrough(key string, value []byte, ttl time.Duration, sn snapshot, own uint64) (raced bool) {
	st := s.g.lock(sn.idx)
	defer st.mu.Unlock()
	unchanged := s.g.unchangedLocked(sn, own)
	ok := ttl > 0 && unchanged
	st.ver.Add(1)
	if ok && s.l1.Set(bg, key, value, s.l1Keep(ttl)) == nil {
		return false
	}
	_, _ = s.l1.Delete(bg, key)
	return ttl > 0 && !unchanged
}

// drop records a change of each key and removes it from L1.
func (s *Store) drop(keys ...string) {
	for _, k := range keys {
		st := s.g.lock(s.g.index(k))
		st.ver.Add(1)
		_, _ = s.l1.Delete(bg, k)
		st.mu.Unlock()
	}
}

// dropPattern records a change of every key and removes those matching pattern from L1.
func (s *Store) dropPattern(pattern string) {
	s.g.lockAll()
	defer s.g.unlockAll()
	s.g.global.Add(1)
	_, _ = s.l1.DeletePattern(bg, pattern)
}

// flush empties L1, which holds nothing but this Store's copies.
func (s *Store) flush() {
	s.dropPattern("*")
	s.c.flushes.Add(1)
}

// snap takes the snapshot guarding an L1 insert of key, before L2 is read or written. While no
// subscription is live it also marks L1 dirty, so that the first confirmed subscription flushes what such
// inserts leave (their invalidations may have been missed).
func (s *Store) snap(key string) snapshot {
	if s.bc != nil && !s.live.Load() {
		s.dirty.Store(true)
	}
	return s.g.snap(key)
}

// expirySlack is taken off every L1 lifetime derived from L2's: Redis keeps expiries and reports PTTL in
// whole milliseconds, so its key may expire up to a millisecond before start+ttl.
const expirySlack = time.Millisecond

// l1TTL is the L1 lifetime of a value L2 holds for ttl as of start (just before the L2 call): what is
// left of it now less expirySlack, so the L1 entry expires no later than L2's, capped by L1MaxTTL.
func (s *Store) l1TTL(ttl time.Duration, start time.Time) time.Duration {
	return min(ttl-time.Since(start)-expirySlack, s.opts.L1MaxTTL)
}

// countBackfill counts a backfill that was made or skipped.
func (s *Store) countBackfill(kept bool) {
	if kept {
		s.c.backfills.Add(1)
	} else {
		s.c.backfillsDiscarded.Add(1)
	}
}
