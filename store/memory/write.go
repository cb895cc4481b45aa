package memory

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cachekit/cachekit/store"
)

// maxSetTries bounds the Wait-and-verify rounds of a Set that waits for ristretto.
const maxSetTries = 3

// Set stores a copy of value under key for ttl. Once it returns nil, the next Get on this Store sees the
// value (until it expires, is evicted or is overwritten); a Set ristretto refuses (a value costing more
// than MaxBytes, TinyLFU admission in a full cache, a full write buffer) returns an error wrapping
// store.ErrNotStored and leaves the key absent or with its previous value. ttl <= 0 is an error wrapping
// store.ErrInvalidTTL. Sets of one key are serialised.
func (s *Store) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	if err := store.CheckKey(backend, "set", key); err != nil {
		return err
	}
	h := s.hash(key)
	st := s.stripe(h)
	if err := s.enter(ctx, st, "set", key); err != nil {
		return err
	}
	defer st.active.Add(-1)
	if err := s.checkSet("set", key, value, ttl); err != nil {
		return err
	}
	e := s.newEntry(key, value, ttl)
	st.mu.Lock()
	err := s.put(st, h, e, ttl)
	st.mu.Unlock()
	if err != nil {
		return opErr("set", key, err)
	}
	return nil
}

// SetMany stores each item as Set does. Every key and TTL is validated before anything is stored. It is
// not atomic: it attempts every item and returns the first error (an item refused with
// store.ErrNotStored does not stop the others).
func (s *Store) SetMany(ctx context.Context, items []store.Item) error {
	if err := store.CheckItems(backend, "set_many", items); err != nil {
		return err
	}
	var first error
	for _, it := range items {
		if err := s.Set(ctx, it.Key, it.Value, it.TTL); err != nil {
			if first == nil {
				first = err
			}
			if !errors.Is(err, store.ErrNotStored) {
				return first // closed, cancelled or invalid: the rest would fail alike
			}
		}
	}
	return first
}

// Add stores a copy of value under key only if key is absent (or expired), atomically with respect to
// every other Add, Set and Delete of key on this Store, and reports whether it stored it. A refused write
// returns false and an error wrapping store.ErrNotStored.
func (s *Store) Add(ctx context.Context, key string, value []byte, ttl time.Duration) (bool, error) {
	if err := store.CheckKey(backend, "add", key); err != nil {
		return false, err
	}
	h := s.hash(key)
	st := s.stripe(h)
	if err := s.enter(ctx, st, "add", key); err != nil {
		return false, err
	}
	defer st.active.Add(-1)
	if err := s.checkSet("add", key, value, ttl); err != nil {
		return false, err
	}
	e := s.newEntry(key, value, ttl)
	st.mu.Lock()
	defer st.mu.Unlock()
	if s.findLocked(st, h, key, s.now()) != nil {
		return false, nil
	}
	if err := s.put(st, h, e, ttl); err != nil {
		return false, opErr("add", key, err)
	}
	return true, nil
}

// checkSet validates a write's arguments; a value over the budget is refused before touching ristretto,
// which would otherwise replace an existing value with one it then evicts.
func (s *Store) checkSet(op, key string, value []byte, ttl time.Duration) error {
	if err := store.CheckTTL(backend, op, key, ttl); err != nil {
		return err
	}
	if uint64(len(key)) > maxKeyLen {
		return opErr(op, key, fmt.Errorf("%w: key of %d bytes is longer than %d", store.ErrInvalidKey, len(key), uint64(maxKeyLen)))
	}
	if c := int64(len(key) + len(value)); c > s.maxBytes {
		s.rejected.Add(1)
		return opErr(op, key, fmt.Errorf("%w: key and value take %d bytes, more than the whole budget (MaxBytes %d)",
			store.ErrNotStored, c, s.maxBytes))
	}
	return nil
}

// put makes e the value of h (st.mu held), by the overlay protocol described in pending.go.
func (s *Store) put(st *stripe, h uint64, e entry, ttl time.Duration) error {
	// A record for h means ristretto may still apply older operations of ours on h.
	var (
		old       pending
		hadRecord bool
	)
	if len(st.pending) != 0 {
		old, hadRecord = st.pending[h]
	}
	queued := s.cache.SetWithTTL(h, e, e.cost(), ttl)
	if queued {
		f := e.flags().Load()
		if f&flagUpdated != 0 && f&flagReplacedExpired == 0 && !hadRecord {
			return nil // an in-place update, applied synchronously, with nothing of ours queued behind it
		}
		if s.npending.Load() < maxPending {
			// From here on Gets see e in the overlay. A write ristretto applied in place is stored; a
			// new key's write whose cost, with every other pending write's, fits ristretto's free budget
			// cannot be refused by admission. Records that are not clean (an older record of ours for
			// h may still be applied after e, or e replaced an expired value the TTL sweep may be
			// deleting) are read back by the drainer.
			check := hadRecord || f&flagUpdated != 0
			total := s.replacePending(st, h, pending{e: e, gen: s.epoch.Load(), check: check}, old, hadRecord)
			if f&flagUpdated != 0 || s.fits(total) {
				s.wake()
				return nil
			}
		}
	}
	return s.putWait(st, h, e, queued, hadRecord)
}

// fits reports whether pending writes costing total fit ristretto's free budget. It tries the
// drainer's recent reading of RemainingCost first (ristretto's policy lock is contended by its own
// goroutine) and asks ristretto only when that says no.
//
// A reading is safe to compare with pendingCost: a write leaves the overlay (and pendingCost) only
// after a Wait that covers it, and the drainer takes its reading after that Wait and before releasing
// any record, so every write counted in neither pendingCost nor the reading's used bytes is one that
// only frees budget (a delete, an expiry) — or, rarely, an in-place update that grew a value, whose
// effect on admission the drainer still catches through OnReject.
func (s *Store) fits(total int64) bool {
	if total <= s.room.Load() {
		return true
	}
	r := s.cache.RemainingCost()
	s.room.Store(r)
	return total <= r
}

// putWait finishes a write that must be confirmed before Set returns (st.mu held): the budget is tight
// enough for admission to refuse, the overlay is full, or ristretto's buffer was. queued tells whether
// ristretto has e queued already; hadRecord whether an older operation of ours on h may still be queued
// before it.
func (s *Store) putWait(st *stripe, h uint64, e entry, queued, hadRecord bool) error {
	var (
		cur entry
		ok  bool
	)
	for try := 0; try < maxSetTries; try++ {
		sent := queued
		if !queued {
			now := s.now()
			if e.exp() <= now { // a TTL shorter than the wait: stored and expired, as far as anyone can tell
				break
			}
			e.flags().Store(0)
			sent = s.cache.SetWithTTL(h, e, e.cost(), e.remaining(now))
		}
		s.cache.Wait() // applies everything queued so far, ours and any record's
		cur, ok = s.cache.Get(h)
		if ok && cur.same(e) {
			s.room.Store(s.cache.RemainingCost()) // e is counted there before its record goes
			s.dropPending(st, h)
			return nil
		}
		if !ok && sent && (!hadRecord || try > 0) {
			// Admission refused it. (With an older record, the first miss may instead have been a
			// Delete's queued removal applied after our write: that one is retried.)
			break
		}
		queued = false // stale (ristretto kept an older write), dropped by a full buffer, or lost: set again
	}
	// Refused. Nothing of ours is queued for h any more (Wait applied it), so the overlay record and
	// whatever older value ristretto holds go, and the key reads as absent.
	s.dropPending(st, h)
	if ok {
		s.cache.Del(h)
		s.putPending(st, h, pending{gen: s.epoch.Load()})
		s.wake()
	}
	if e.exp() <= s.now() {
		return nil
	}
	s.rejected.Add(1)
	return fmt.Errorf("%w: ristretto did not admit the value (the cache is full and TinyLFU preferred "+
		"the entries it holds, or its write buffer stayed full)", store.ErrNotStored)
}

// SetIfNewer stores value as Set does, only when the key holds nothing live, a value without a
// version, or one with a lower version (store.VersionedSetter); the check and the write happen under
// the key's stripe lock, so racing versioned writers end with the highest version stored.
func (s *Store) SetIfNewer(ctx context.Context, key string, value []byte, ttl time.Duration) (bool, error) {
	if err := store.CheckVersioned(backend, "set_if_newer", key, value, ttl); err != nil {
		return false, err
	}
	h := s.hash(key)
	st := s.stripe(h)
	if err := s.enter(ctx, st, "set_if_newer", key); err != nil {
		return false, err
	}
	defer st.active.Add(-1)
	if err := s.checkSet("set_if_newer", key, value, ttl); err != nil {
		return false, err
	}
	e := s.newEntry(key, value, ttl)
	st.mu.Lock()
	defer st.mu.Unlock()
	var stored []byte
	if old := s.findLocked(st, h, key, s.now()); old != nil {
		stored = old.val()
	}
	if !store.NewerThanStored(value, stored) {
		return false, nil
	}
	if err := s.put(st, h, e, ttl); err != nil {
		return false, opErr("set_if_newer", key, err)
	}
	return true, nil
}
