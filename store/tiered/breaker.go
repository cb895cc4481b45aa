package tiered

import "github.com/cachekit/cachekit/store"

var _ store.BreakerWatcher = (*Store)(nil)

// WatchBreakers registers fn with every tier that is a store.BreakerWatcher (L1 if it is one, and L2:
// the Redis backend's per-endpoint breakers), so fn hears of every state change of the tiers' circuit
// breakers, with their guarantees (in order per breaker, from a goroutine of the tier, never inside the
// call that caused the change; fn must not block). A nil fn, or tiers without breakers, register
// nothing.
func (s *Store) WatchBreakers(fn func(store.BreakerChange)) {
	if fn == nil {
		return
	}
	for _, t := range []store.Store{s.l1, s.l2} {
		if w, ok := t.(store.BreakerWatcher); ok {
			w.WatchBreakers(fn)
		}
	}
}

// breakers is the top level's Stats.Breakers: L1's breakers (normally none), then L2's, each in its
// tier's order, so a caller sees them without walking Stats.Tiers.
func breakers(l1, l2 store.Stats) []store.BreakerStats {
	if len(l1.Breakers)+len(l2.Breakers) == 0 {
		return nil
	}
	out := make([]store.BreakerStats, 0, len(l1.Breakers)+len(l2.Breakers))
	out = append(out, l1.Breakers...)
	return append(out, l2.Breakers...)
}
