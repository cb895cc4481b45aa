package memory

import (
	"context"
	"time"

	"github.com/cachekit/cachekit/store"
)

// Get returns a copy of the value stored under key, or an error wrapping store.ErrNotFound when it is
// missing or expired. The copy is the call's only allocation on a hit.
func (s *Store) Get(ctx context.Context, key string) ([]byte, error) {
	e, err := s.lookup(ctx, "get", key)
	if err != nil {
		return nil, err
	}
	return copyOut(e), nil
}

// GetMany returns copies of the values of the keys that are present; misses are absent from the map.
// The copies share one allocation, each capped at its own length, so appending to one never writes
// into another.
func (s *Store) GetMany(ctx context.Context, keys []string) (map[string][]byte, error) {
	return s.getMany(ctx, keys, -1)
}

// getMany is GetMany, and with reserve >= 0 GetManyFresh: entries with no more than reserve of their
// lifetime left are then misses.
func (s *Store) getMany(ctx context.Context, keys []string, reserve time.Duration) (map[string][]byte, error) {
	if err := store.CheckKeys(backend, "get_many", keys); err != nil {
		return nil, err
	}
	var h0 uint64
	if len(keys) > 0 {
		h0 = s.hash(keys[0])
	}
	st0 := s.stripe(h0)
	if err := s.enter(ctx, st0, "get_many", ""); err != nil {
		return nil, err
	}
	defer st0.active.Add(-1)

	type hit struct {
		i int // index into keys: the map uses the caller's strings, never keeps entries alive by its keys
		e entry
	}
	var small [128]hit // batches up to 128 keys collect their hits without allocating
	found := small[:0]
	size := 0
	var now int64
	if reserve >= 0 {
		now = s.now()
	}
	for i, key := range keys {
		if i&1023 == 1023 {
			if err := ctx.Err(); err != nil {
				return nil, opErr("get_many", "", err)
			}
		}
		h := h0
		if i > 0 {
			h = s.hash(key)
		}
		if e := s.find(s.stripe(h), h, key); e != nil && (reserve < 0 || e.remaining(now) > reserve) {
			found = append(found, hit{i, e})
			size += len(e.val())
		}
	}
	st0.hits.Add(int64(len(found)))
	st0.misses.Add(int64(len(keys) - len(found)))

	out := make(map[string][]byte, len(found))
	buf := make([]byte, size)
	for _, f := range found {
		n := copy(buf, f.e.val())
		out[keys[f.i]] = buf[:n:n]
		buf = buf[n:]
	}
	return out, nil
}

// TTL returns the remaining lifetime of key, or an error wrapping store.ErrNotFound when it is missing
// or expired. It does not count as a hit or miss.
func (s *Store) TTL(ctx context.Context, key string) (time.Duration, error) {
	if err := store.CheckKey(backend, "ttl", key); err != nil {
		return 0, err
	}
	h := s.hash(key)
	st := s.stripe(h)
	if err := s.enter(ctx, st, "ttl", key); err != nil {
		return 0, err
	}
	defer st.active.Add(-1)
	now := s.now()
	if e := s.findAt(st, h, key, now); e != nil {
		return e.remaining(now), nil
	}
	return 0, opErr("ttl", key, store.ErrNotFound)
}

// find returns key's live entry, or nil. It reads the clock only for an overlay record: ristretto's own
// read already hides an expired value (its store checks the expiration it computed in SetWithTTL, a few
// hundred nanoseconds after the entry's own expiry was computed, on the same monotonic clock), and a
// clock read costs as much as a fifth of a raw ristretto Get.
func (s *Store) find(st *stripe, h uint64, key string) entry {
	if st.npend.Load() != 0 { // on the line Get touches anyway; only this stripe's records matter
		st.mu.Lock()
		p, ok := st.pending[h]
		st.mu.Unlock()
		if ok {
			s.cache.Get(h) // counts the access for TinyLFU, which would otherwise never hear of it
			return p.live(key, s.now())
		}
	}
	e, ok := s.cache.Get(h)
	if !ok || e.key() != key {
		return nil
	}
	return e
}

// findAt returns key's live entry at now, or nil.
func (s *Store) findAt(st *stripe, h uint64, key string, now int64) entry {
	if st.npend.Load() != 0 { // on the line Get touches anyway; only this stripe's records matter
		st.mu.Lock()
		p, ok := st.pending[h]
		st.mu.Unlock()
		if ok {
			s.cache.Get(h) // counts the access for TinyLFU
			return p.live(key, now)
		}
	}
	e, ok := s.cache.Get(h)
	if !ok || !e.live(key, now) {
		return nil
	}
	return e
}

// findLocked is find for a holder of st.mu.
func (s *Store) findLocked(st *stripe, h uint64, key string, now int64) entry {
	if p, ok := st.pending[h]; ok {
		return p.live(key, now)
	}
	e, ok := s.cache.Get(h)
	if !ok || !e.live(key, now) {
		return nil
	}
	return e
}

// live returns the record's entry if it is a live write of key; a tombstone, another key's write or an
// expired write is nil. A record is authoritative for its hash: ristretto's value behind it is older.
func (p pending) live(key string, now int64) entry {
	if p.e == nil || !p.e.live(key, now) {
		return nil
	}
	return p.e
}
