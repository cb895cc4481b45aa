package cachekit

import (
	"context"

	"github.com/cachekit/cachekit/store"
)

// pingKey is read by Ping on a store without a Ping of its own: it is never written, so a reachable
// store answers ErrNotFound.
const pingKey = "cachekit-ping"

// Ping checks that the store answers: on Redis a PING to every master, bounded by the store's timeouts
// and ctx. Opening a Cache does not contact Redis, so call Ping at start-up to fail fast on a dead or
// misconfigured server. A failure is an error wrapping ErrUnavailable (unreachable, naming the address),
// ErrDenied (authentication or permission refused) or ErrClosed. On a store without a Ping, Ping reads a
// key of this keyspace that is never written and treats its miss as an answer.
func (c *Cache) Ping(ctx context.Context) error {
	if err := c.check(ctx, "ping", ""); err != nil {
		return err
	}
	full, err := c.fullKey("ping", pingKey)
	if err != nil {
		return err
	}
	return store.Ping(ctx, c.st, full)
}
