package tiered

import (
	"errors"
	"testing"
	"time"

	"github.com/cachekit/cachekit/store"
)

// These tests replay, step by step, the interleavings the guard exists for: a change recorded between
// an inserter's snapshot (before its L2 call) and its L1 insert.

func newMemoryTiered(t *testing.T) *Store {
	t.Helper()
	s, err := New(newMemory(t), newMemory(t), Options{L1MaxTTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestGuardBackfillAfterInvalidation(t *testing.T) {
	s := newMemoryTiered(t)
	sn := s.snap("k") // a reader about to read the old value from L2
	s.drop("k")       // an invalidation arrives meanwhile
	if s.backfill("k", []byte("old"), time.Hour, sn) {
		t.Error("backfill went ahead after an invalidation of its key")
	}
	if _, err := s.l1.Get(t.Context(), "k"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("L1 holds the old value after the skipped backfill: %v", err)
	}
	// A pattern invalidation (or a flush) stops every backfill in flight.
	sn = s.snap("k")
	s.dropPattern("other:*")
	if s.backfill("k", []byte("old"), time.Hour, sn) {
		t.Error("backfill went ahead after a pattern invalidation")
	}
	// Nothing happened: the backfill goes ahead.
	sn = s.snap("k")
	if !s.backfill("k", []byte("v"), time.Hour, sn) {
		t.Error("backfill skipped with no change recorded")
	}
	mustL1Hit(t, s, "k", "v")
}

func TestGuardWriteThroughAfterNewerChange(t *testing.T) {
	s := newMemoryTiered(t)
	if err := s.l1.Set(t.Context(), "k", []byte("older"), time.Hour); err != nil {
		t.Fatal(err)
	}
	sn := s.snap("k") // a writer about to write "mine" to L2
	s.drop("k")       // another instance's later write is announced meanwhile
	s.writeThrough("k", []byte("mine"), time.Hour, sn, 0)
	if _, err := s.l1.Get(t.Context(), "k"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("L1 after a write-through raced by a newer change: %v, want no entry", err)
	}
	// A racing backfill of the value before this write is stopped by the write's own bump.
	snReader := s.snap("k")
	sn = s.snap("k")
	s.writeThrough("k", []byte("mine"), time.Hour, sn, 0)
	if s.backfill("k", []byte("older"), time.Hour, snReader) {
		t.Error("a backfill begun before a local write went ahead after it")
	}
	mustL1Hit(t, s, "k", "mine")
}

func TestGuardUsedUpTTL(t *testing.T) {
	s := newMemoryTiered(t)
	if err := s.l1.Set(t.Context(), "k", []byte("older"), time.Hour); err != nil {
		t.Fatal(err)
	}
	s.writeThrough("k", []byte("mine"), 0, s.snap("k"), 0) // L2's TTL ran out during the call
	if _, err := s.l1.Get(t.Context(), "k"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("L1 after a write whose TTL was used up: %v, want no entry", err)
	}
}
