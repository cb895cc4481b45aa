package cachekit

import (
	"context"
	"time"
)

// Delete removes the relative keys and reports how many existed. Missing keys are not an error; an
// invalid key fails the whole call before anything is deleted.
func (c *Cache) Delete(ctx context.Context, keys ...string) (_ int, err error) {
	if err := c.check(ctx, "delete", ""); err != nil {
		return 0, err
	}
	defer c.observeWrite(OpDelete, "", c.startTimer(), &err)
	if len(keys) == 0 {
		return 0, nil
	}
	full, err := c.fullKeys("delete", keys)
	if err != nil {
		return 0, err
	}
	if err := c.settleKeys(ctx, full...); err != nil {
		return 0, opErr("delete", "", err)
	}
	return c.st.Delete(ctx, full...)
}

// TTL returns the remaining lifetime of the relative key, or an error wrapping ErrNotFound.
func (c *Cache) TTL(ctx context.Context, key string) (time.Duration, error) {
	if err := c.check(ctx, "ttl", key); err != nil {
		return 0, err
	}
	full, err := c.fullKey("ttl", key)
	if err != nil {
		return 0, err
	}
	return c.st.TTL(ctx, full)
}

// Exists reports whether the relative key holds a value, without decoding it.
func (c *Cache) Exists(ctx context.Context, key string) (bool, error) {
	_, err := c.TTL(ctx, key)
	switch {
	case err == nil:
		return true, nil
	case isMiss(err):
		return false, nil
	}
	return false, err
}
