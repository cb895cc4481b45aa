package cachekit

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cachekit/cachekit/store"
)

// backendName marks errors raised by the Cache itself rather than by its store.
const backendName = "cachekit"

// keyError carries a keyspace validation error and matches ErrInvalidKey, without repeating
// "invalid key" in the message.
type keyError struct{ err error }

func (e *keyError) Error() string        { return e.err.Error() }
func (e *keyError) Unwrap() error        { return e.err }
func (e *keyError) Is(target error) bool { return target == store.ErrInvalidKey }

func opErr(op, key string, err error) error {
	return &store.OpError{Op: op, Key: key, Backend: backendName, Err: err}
}

func invalidKey(op, key string, err error) error {
	return opErr(op, key, &keyError{err})
}

// check enforces the rules shared by every call: not closed, context not done.
func (c *Cache) check(ctx context.Context, op, key string) error {
	if c.closed.Load() {
		return opErr(op, key, store.ErrClosed)
	}
	if err := ctx.Err(); err != nil {
		return opErr(op, key, err)
	}
	return nil
}

// resolveTTL applies "0 means configured" and rejects negative TTLs.
func (c *Cache) resolveTTL(op, rel string, ttl time.Duration) (time.Duration, error) {
	switch {
	case ttl > 0:
		return ttl, nil
	case ttl < 0:
		return 0, opErr(op, rel, fmt.Errorf("%w: %v is negative (0 means the configured TTL)", store.ErrInvalidTTL, ttl))
	}
	kind := rel
	for i := 0; i < len(rel); i++ {
		if rel[i] == ':' {
			kind = rel[:i]
			break
		}
	}
	if d, ok := c.kindTTL[kind]; ok {
		return d, nil
	}
	return c.defaultTTL, nil
}

// isMiss reports whether err is a miss (and nothing worse).
func isMiss(err error) bool { return errors.Is(err, store.ErrNotFound) }
