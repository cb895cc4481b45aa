package tiered

import (
	"context"
	"fmt"

	"github.com/cachekit/cachekit/store"
)

var _ store.Pinger = (*Store)(nil)

// pingProbe is the key Ping reads from an L2 without a Ping of its own. Nothing writes it, so an L2 that
// answers reports a miss.
const pingProbe = "cachekit-tiered-ping:never-written"

// Ping checks both tiers (store.Pinger): L1's Ping when L1 is a store.Pinger (nothing otherwise: an
// in-process tier has nothing to reach), then L2's Ping when L2 is one, else store.Ping's fallback, a Get
// of a key that is never written, whose miss counts as an answer (and as a miss in L2's Stats). The L2
// check is bounded by Options.L2Timeout when it is set, as keyed L2 calls are. A failure is an
// *store.OpError with op "ping" around the failing tier's error (store.ErrUnavailable, store.ErrDenied,
// store.ErrClosed or ctx's error); after Close it wraps store.ErrClosed.
func (s *Store) Ping(ctx context.Context) error {
	if err := store.CheckCall(ctx, s.closed.Load(), backendName, "ping", ""); err != nil {
		return err
	}
	if p, ok := s.l1.(store.Pinger); ok {
		if err := p.Ping(ctx); err != nil {
			return opErr("ping", "", fmt.Errorf("l1: %w", err))
		}
	}
	l2ctx, cancel := s.l2ctx(ctx)
	err := store.Ping(l2ctx, s.l2, pingProbe)
	cancel()
	if err != nil {
		return s.l2Err(ctx, "ping", "", fmt.Errorf("l2: %w", err))
	}
	return nil
}
