package cachekit

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ErrOutcomeUnknown is what a WriteThrough source write wraps when it cannot tell whether the write
// took effect (a timeout after sending, a dropped connection). Context errors count as unknown too.
var ErrOutcomeUnknown = errors.New("cachekit: write outcome unknown")

// WriteThrough writes v to its source of truth through write, then to the cache, so that the two never
// disagree for longer than stated here:
//   - write returns nil: v is stored under the relative key (Set's TTL rules), replacing what a Fetch
//     load still in flight in this process would have written;
//   - write fails with ErrOutcomeUnknown, a context error or a panic: the source may or may not hold v,
//     so the key is deleted from the cache (the next read loads the truth) and the error returned;
//   - write fails with any other error (the source refused: it does not hold v): the cache is left as
//     it was and the error returned.
//
// If the cache write or delete itself fails after a source write, the cache may serve the older value
// until the key's TTL (plus its policy's stale window) runs out; the error returned says so, wrapping
// the store's error. Other processes' L1 copies are invalidated as the store's own writes are.
func WriteThrough[T any](ctx context.Context, c *Cache, key string, v T, ttl time.Duration, write func(ctx context.Context, v T) error) error {
	if err := c.check(ctx, "write_through", key); err != nil {
		return err
	}
	if _, err := c.fullKey("write_through", key); err != nil {
		return err
	}
	if _, err := c.resolveTTL("write_through", key, ttl); err != nil {
		return err
	}
	err := callWrite(key, func() error { return write(ctx, v) })
	switch {
	case err == nil:
		if serr := c.Set(context.WithoutCancel(ctx), key, v, ttl); serr != nil {
			_, _ = c.Delete(context.WithoutCancel(ctx), key)
			return opErr("write_through", key, fmt.Errorf("source written, cache not updated (it may serve the older value until its TTL): %w", serr))
		}
		return nil
	case errors.Is(err, ErrOutcomeUnknown), errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded),
		errors.Is(err, ErrLoaderPanic):
		if _, derr := c.Delete(context.WithoutCancel(ctx), key); derr != nil {
			return opErr("write_through", key, fmt.Errorf("%w; and the cached value could not be dropped (it may be served until its TTL): %w", err, derr))
		}
		return opErr("write_through", key, err)
	default:
		return opErr("write_through", key, err)
	}
}

// callWrite runs a source write, turning a panic into a *LoaderPanicError (its outcome is unknown).
func callWrite(key string, write func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = panicError(key, r)
		}
	}()
	return write()
}
