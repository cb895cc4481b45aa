package memory

import (
	"context"

	"github.com/cachekit/cachekit/store"
)

// Stats returns the store's counters and gauges. Hits and Misses count Get, View, GetDecoded and
// GetMany lookups. Keys and UsedBytes (key plus value bytes, the budget's unit) are
// counted over the live entries when Stats is called, by iterating them: Stats takes time proportional
// to the number of entries. Evictions counts entries removed to make room, including acknowledged writes lost to
// eviction before ristretto settled them (also reported as Extra["evicted_while_pending"]).
// RejectedSets counts Sets and Adds that returned store.ErrNotStored. Extra["expired_removed"] counts
// entries ristretto's TTL sweep removed. PeakBytes is -1 (not tracked).
func (s *Store) Stats(ctx context.Context) (store.Stats, error) {
	st0 := s.stripe(0)
	if err := s.enter(ctx, st0, "stats", ""); err != nil {
		return store.Stats{}, err
	}
	defer st0.active.Add(-1)
	var keys, used int64
	err := s.forEachLive(ctx, "", func(e entry) {
		keys++
		used += e.cost()
	})
	if err != nil {
		return store.Stats{}, opErr("stats", "", err)
	}
	out := store.Stats{
		Backend:        backend,
		Keys:           keys,
		UsedBytes:      used,
		PeakBytes:      -1,
		MaxBytes:       s.maxBytes,
		Evictions:      s.evictions.Load() + s.dropped.Load(),
		RejectedSets:   s.rejected.Load(),
		EvictionPolicy: "tinylfu",
		Extra: map[string]int64{
			"evicted_while_pending": s.dropped.Load(),
			"expired_removed":       s.expired.Load(),
		},
	}
	for i := range s.stripes {
		out.Hits += s.stripes[i].hits.Load()
		out.Misses += s.stripes[i].misses.Load()
	}
	return out, nil
}
