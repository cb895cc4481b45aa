package memory

import "time"

// The pending-write overlay: writes that ristretto may not have applied yet, per stripe, keyed by the
// key's hash. While a key has an overlay record, the record is the truth about that key (ristretto may
// still hold an older value, or be about to apply one); once the drainer has seen ristretto agree, the
// record goes.
//
// Why it exists: ristretto applies a Set of a new key asynchronously, and of two Sets of one new key made
// before the first is applied it keeps the FIRST. A Wait after every Set would give read-your-writes at
// the cost of several Sets (bench/RESULTS.md, MemorySet impl=raw+wait). The protocol instead (Store.put
// and Store.putWait in write.go, the drainer below, Store.deleteOne in delete.go):
//
//   - Sets, Adds and Deletes of one key are serialised by a striped lock.
//   - A Set that ristretto applied in place (an update of a key it holds; its ShouldUpdate hook tells)
//     is done.
//   - A Set of a new key is recorded in the overlay, and Set returns at once if ristretto's free budget
//     covers every pending write: ristretto admits without consulting TinyLFU while there is room, so
//     the write cannot be refused. Get looks in the overlay only while the key's stripe has records
//     (otherwise it costs one atomic load), and a record there is authoritative for its key.
//   - The drainer settles the overlay in batches, one ristretto Wait per batch. Clean records (a new key
//     with nothing older of ours queued for it) just leave. Others (a second write before the first was
//     applied, a write after a Delete, a write over an expired value that ristretto's TTL sweep may be
//     removing) are read back and compared by identity: an older value found means ristretto kept the
//     first of two Sets, so the write is repeated, now as an in-place update; nothing found means it was
//     evicted meanwhile, and it is repeated a bounded number of times, then dropped and counted as an
//     eviction.
//   - A Delete of a key with a pending write leaves a tombstone in the overlay until ristretto has
//     applied the delete, so an older queued write cannot reappear.
//   - When the budget is tight (admission might refuse), the overlay is full or ristretto's write buffer
//     is, Set waits for ristretto and verifies, with bounded retries; a refusal is an error wrapping
//     store.ErrNotStored, counted in Stats.RejectedSets.

// maxSettleTries bounds how often the drainer re-sets a pending entry that ristretto lost (evicted
// before it settled) before dropping it.
const maxSettleTries = 2

// drainInterval is the pause before each drain pass.
const drainInterval = 100 * time.Microsecond

// maxPending bounds the overlay; a Set that finds it full waits for ristretto instead.
const maxPending = 1 << 16

// pending is one overlay record: a write (e != nil) or a tombstone (e == nil) left by Delete.
type pending struct {
	e     entry
	gen   uint64 // Store.epoch when the record's ristretto operation had been queued
	tries uint8  // re-sets done by the drainer
	check bool   // ristretto may end up holding something else: verify by reading it back
}

func (p pending) cost() int64 {
	if p.e == nil {
		return 0
	}
	return p.e.cost()
}

// putPending records p for h (st.mu held) and returns the overlay's total pending cost afterwards.
func (s *Store) putPending(st *stripe, h uint64, p pending) int64 {
	old, had := st.pending[h]
	return s.replacePending(st, h, p, old, had)
}

// replacePending is putPending for a caller that has looked up h's current record (old, had).
func (s *Store) replacePending(st *stripe, h uint64, p, old pending, had bool) int64 {
	st.pending[h] = p
	if !had {
		s.npending.Add(1)
		st.npend.Add(1)
	}
	return s.pendingCost.Add(p.cost() - old.cost())
}

// dropPending removes h's record, if any (st.mu held).
func (s *Store) dropPending(st *stripe, h uint64) {
	old, had := st.pending[h]
	if !had {
		return
	}
	delete(st.pending, h)
	s.npending.Add(-1)
	st.npend.Add(-1)
	s.pendingCost.Add(-old.cost())
}

// wake asks the drainer for a pass without blocking.
func (s *Store) wake() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// drainLoop settles pending writes until Close. Each pass costs one ristretto Wait however many writes
// it settles, which is what keeps Set of a new key near the cost of a bare ristretto Set.
func (s *Store) drainLoop() {
	defer close(s.drained)
	pause := time.NewTimer(drainInterval)
	defer pause.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-s.kick:
		}
		for s.npending.Load() != 0 {
			// Let writes accumulate: one Wait then settles a batch, and the pass rate stays bounded
			// however fast writes come. Reads see pending writes in the overlay meanwhile.
			pause.Reset(drainInterval)
			select {
			case <-s.stop:
				return
			case <-pause.C:
			}
			s.drainOnce()
		}
	}
}

// drainOnce settles every overlay record queued before it started. The caller has entered the store
// (or is the drainer, which Close stops before closing ristretto).
//
// Ordering argument: a writer queues its ristretto operation, then reads epoch into the record's gen,
// all under the stripe lock. drainOnce increments epoch to g and then calls Wait. A record with gen < g
// read epoch before the increment, so its operation was queued before Wait's marker and ristretto has
// applied it when Wait returns.
func (s *Store) drainOnce() {
	s.drainMu.Lock()
	defer s.drainMu.Unlock()
	s.drainLocked()
}

// drainLocked is drainOnce for a holder of drainMu.
func (s *Store) drainLocked() {
	if s.npending.Load() == 0 {
		return
	}
	g := s.epoch.Add(1)
	s.cache.Wait()
	s.room.Store(s.cache.RemainingCost()) // before any record is released: see Store.fits
	rejects := s.rejectEvents.Load()
	anyRejected := rejects != s.lastRejects // else no entry settled in this pass was refused
	s.lastRejects = rejects
	for i := range s.stripes {
		st := &s.stripes[i]
		if st.npend.Load() == 0 {
			continue
		}
		st.mu.Lock()
		var n, cost int64 // released in one go: fewer writes to lines Set also writes
		for h, p := range st.pending {
			switch {
			case p.gen >= g:
			case p.e == nil || !p.check:
				// A tombstone (its delete has been applied, so no older write can reappear) or a clean
				// write: a new key, nothing older of ours queued for h, room reserved, so ristretto
				// admitted it (and may have evicted it since, which OnEvict counted) unless OnReject
				// says otherwise, which takes an in-place update growing a value past the reserved room.
				delete(st.pending, h)
				n++
				if p.e != nil {
					cost += p.e.cost()
					if anyRejected && p.e.has(flagRejected) {
						s.dropped.Add(1)
					}
				}
			default:
				s.settle(st, h, p)
			}
		}
		if n != 0 {
			st.npend.Add(int32(-n))
			s.npending.Add(-n)
			s.pendingCost.Add(-cost)
		}
		st.mu.Unlock()
	}
}

// settle resolves one write record that needs checking, whose ristretto operation has been applied
// (st.mu held). Nothing else of
// this store is queued in ristretto for h: a later write or delete would have replaced the record with
// a newer generation.
func (s *Store) settle(st *stripe, h uint64, p pending) {
	e := p.e
	cur, ok := s.cache.Get(h)
	now := s.now()
	switch {
	case e.exp() <= now:
		s.dropPending(st, h)
		if ok { // whatever is there is older than e, which has expired: the key is gone
			s.cache.Del(h)
		}
	case ok && cur.same(e):
		s.dropPending(st, h)
	case ok:
		// ristretto kept an older write (two Sets of a new key before it applied the first). The key is
		// present, so this Set is an in-place update, applied synchronously.
		e.flags().Store(0)
		if s.cache.SetWithTTL(h, e, e.cost(), e.remaining(now)) && e.flags().Load() == flagUpdated {
			s.dropPending(st, h)
			return
		}
		s.retry(st, h, p)
	default:
		// Admitted, then evicted before it settled (or a tombstone's delete raced an earlier write).
		if p.tries < maxSettleTries && s.cache.SetWithTTL(h, e, e.cost(), e.remaining(now)) {
			s.retry(st, h, p)
			return
		}
		s.giveUp(st, h)
	}
}

// retry keeps p pending for another pass after its operation was re-queued (st.mu held).
func (s *Store) retry(st *stripe, h uint64, p pending) {
	if p.tries >= maxSettleTries {
		s.giveUp(st, h)
		return
	}
	p.tries++
	p.gen = s.epoch.Load()
	p.check = true
	s.putPending(st, h, p)
}

// giveUp drops a pending write ristretto keeps losing, as an eviction (st.mu held). Whatever ristretto
// holds for h is older than that write, so it is deleted too, behind a tombstone in case a re-set is
// still queued.
func (s *Store) giveUp(st *stripe, h uint64) {
	s.cache.Del(h)
	s.putPending(st, h, pending{gen: s.epoch.Load()})
	s.dropped.Add(1)
}
