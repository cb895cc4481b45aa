package store

import (
	"context"
	"errors"
)

// Pinger is an optional interface of a Store that can check, without touching any key, that its backend
// answers. Opening a store need not contact its backend (the Redis backend does not), so a service calls
// Ping at start-up, or from a health check, to fail fast on a dead or misconfigured backend.
//
// Ping returns nil when the backend answered, and otherwise an *OpError with op "ping" wrapping
// ErrUnavailable (unreachable or no answer in time; the message names the address), ErrDenied
// (authentication or permission refused), ErrClosed (the store was closed) or ctx's error. It honours
// ctx and is bounded by the store's own timeouts.
//
// Fallback, for a caller holding a Store without Ping: read a key that is never written; an error
// wrapping ErrNotFound means the backend answered. A composite store forwards Ping to the stores it
// holds (store/tiered pings L1 and L2, each with that fallback when it lacks Ping).
type Pinger interface {
	Ping(ctx context.Context) error
}

// Ping checks that s answers: s.Ping when s is a Pinger, else the fallback above, a Get of probe, a key
// the caller guarantees is never written (it counts as a miss in s's Stats). It returns nil when s
// answered, else s's error (for the fallback, a Get error other than ErrNotFound, returned unchanged).
func Ping(ctx context.Context, s Store, probe string) error {
	if p, ok := s.(Pinger); ok {
		return p.Ping(ctx)
	}
	_, err := s.Get(ctx, probe)
	if err == nil || errors.Is(err, ErrNotFound) {
		return nil
	}
	return err
}
