package tiered

import (
	"context"
	"sync/atomic"

	"github.com/cachekit/cachekit/store"
)

// counters are the Store's own counters. None is touched on the L1 hit path: L1 hits are read from L1's
// Stats.
type counters struct {
	l2Hits             atomic.Int64
	misses             atomic.Int64
	backfills          atomic.Int64
	backfillsDiscarded atomic.Int64
	refills            atomic.Int64
	refillsDiscarded   atomic.Int64
	invSent            atomic.Int64
	invReceived        atomic.Int64
	echoes             atomic.Int64
	flushes            atomic.Int64
	publishFailures    atomic.Int64
	staleServed        atomic.Int64
}

// Stats returns the counters described in the package documentation, with L1's and L2's own Stats in
// Tiers. When L2 cannot report (an outage), Stats returns what it knows, L2's fields set to -1, together
// with L2's error.
func (s *Store) Stats(ctx context.Context) (store.Stats, error) {
	if err := store.CheckCall(ctx, s.closed.Load(), backendName, "stats", ""); err != nil {
		return store.Stats{}, err
	}
	l1, err := s.l1.Stats(ctx)
	if err != nil {
		return store.Stats{}, opErr("stats", "", err)
	}
	l2ctx, cancel := s.l2ctx(ctx)
	l2, l2err := s.l2.Stats(l2ctx)
	cancel()
	if l2err != nil {
		// Breakers L2 still reported matter most during an outage.
		l2 = store.Stats{Backend: "", Hits: -1, Misses: -1, Keys: -1, UsedBytes: -1, PeakBytes: -1, MaxBytes: -1, Evictions: -1, RejectedSets: -1, Breakers: l2.Breakers}
	}

	l1Hits := int64(-1)
	if l1.Hits >= 0 {
		l1Hits = l1.Hits - s.l1HitsBase
	}
	l2Hits := s.c.l2Hits.Load()
	hits := int64(-1)
	if l1Hits >= 0 {
		hits = l1Hits + l2Hits
	}
	st := store.Stats{
		Backend:        backendName,
		Hits:           hits,
		Misses:         s.c.misses.Load(),
		Keys:           l2.Keys,
		UsedBytes:      l2.UsedBytes,
		PeakBytes:      l2.PeakBytes,
		MaxBytes:       l2.MaxBytes,
		Evictions:      l2.Evictions,
		RejectedSets:   l2.RejectedSets,
		EvictionPolicy: l2.EvictionPolicy,
		PolicyNote:     l2.PolicyNote,
		Breakers:       breakers(l1, l2),
		Extra: map[string]int64{
			"l1_hits":                     l1Hits,
			"l2_hits":                     l2Hits,
			"misses":                      s.c.misses.Load(),
			"backfills":                   s.c.backfills.Load(),
			"backfills_discarded":         s.c.backfillsDiscarded.Load(),
			"refills":                     s.c.refills.Load(),
			"refills_discarded":           s.c.refillsDiscarded.Load(),
			"invalidations_sent":          s.c.invSent.Load(),
			"invalidations_received":      s.c.invReceived.Load(),
			"echoes_ignored":              s.c.echoes.Load(),
			"l1_flushes":                  s.c.flushes.Load(),
			"publish_failures":            s.c.publishFailures.Load(),
			"stale_served":                s.c.staleServed.Load(),
			"invalidation_events_dropped": s.w.dropped.Load(),
		},
		Tiers: []store.Stats{l1, l2},
	}
	if l2err != nil {
		return st, s.l2Err(ctx, "stats", "", l2err)
	}
	return st, nil
}
