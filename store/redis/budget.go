package redis

import (
	"context"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/cachekit/cachekit/store"
)

// callBudget is the default time budget of one call for a client's (normalised) options:
// (1 + maxRetries) × the longest of the dial, read and write timeouts; 0 (no budget of its own, only
// the caller's context) when reads or writes have no timeout at all.
func callBudget(dial, read, write time.Duration, maxRetries int) time.Duration {
	if read <= 0 || write < 0 {
		return 0
	}
	return time.Duration(1+max(maxRetries, 0)) * max(dial, read, write)
}

// clientBudget is callBudget of a client given to New or built from a URL.
func clientBudget(client goredis.UniversalClient) time.Duration {
	switch c := client.(type) {
	case *goredis.ClusterClient:
		o := c.Options()
		return callBudget(o.DialTimeout, o.ReadTimeout, o.WriteTimeout, o.MaxRetries)
	case *goredis.Client:
		o := c.Options()
		return callBudget(o.DialTimeout, o.ReadTimeout, o.WriteTimeout, o.MaxRetries)
	}
	return 0
}

// noCancel is the CancelFunc of a context bound did not derive.
func noCancel() {}

// bound gives one call (or one round trip of a multi-round-trip call) its budget: a deadline budget
// from now, unless ctx already ends sooner. Past it go-redis stops waiting (URL-opened clients have
// ContextTimeoutEnabled) and the call fails with store.ErrUnavailable, not with the caller's
// context.DeadlineExceeded (classify tells the two apart by the caller's own context).
func (s *Store) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	return s.within(ctx, s.budget)
}

// boundRead is bound for a read: the budget is also capped by a store.WithReadBudget hint on ctx (the
// root Cache's Fetch sets one so that a hung Redis costs it little before it loads instead).
func (s *Store) boundRead(ctx context.Context) (context.Context, context.CancelFunc) {
	budget := s.budget
	if d, ok := store.ReadBudget(ctx); ok && (budget <= 0 || d < budget) {
		budget = d
	}
	return s.within(ctx, budget)
}

// within derives a context ending budget from now, unless budget is 0 or ctx ends sooner.
func (s *Store) within(ctx context.Context, budget time.Duration) (context.Context, context.CancelFunc) {
	if budget <= 0 {
		return ctx, noCancel
	}
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) <= budget {
		return ctx, noCancel
	}
	return context.WithTimeout(ctx, budget)
}

// Budget returns the time budget of one call (of one round trip for Scan, DeletePattern and a Delete
// of more than Options.DeleteBatch keys on one node): see Options.CallTimeout. 0 means none of its own.
// A read (Get, GetMany, GetWithTTL, GetManyWithTTL, TTL) whose context carries a store.WithReadBudget
// hint takes the smaller of the two.
func (s *Store) Budget() time.Duration { return s.budget }
