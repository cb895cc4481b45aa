package cachekit

import (
	"context"
	"errors"
	"fmt"

	"github.com/cachekit/cachekit/codec"
	"github.com/cachekit/cachekit/store"
)

// View returns the value stored under the relative key decoded as T, like Get, but the result MAY SHARE
// MEMORY with the cache and with every other caller of View and Fetch for that key and type.
//
// The rule: treat the result as read-only. The copy of T that View returns is yours (assigning its
// fields is fine), but never modify what is reachable from it — the elements of its slices, its maps,
// the values its pointers point to (a decimal.Decimal's big.Int included); shopspring decimals and
// time.Time values are safe to use as they are, since their methods return new values. Use Get for a
// private copy you may modify.
//
// On a store.DecodedCache (the memory backend, and the tiered backend when its L1 is one) a hot key is
// decoded once per write: later Views of the same key and T return the kept form without decoding,
// copying the key or allocating (with encryption keys too: the first View after a write decrypts under
// the key, later ones share its result). Writes replace the entry and its form, so View is never staler
// than Get. On any other store View is Get into a fresh T. A miss, an expired entry and a corrupt entry (which
// View deletes) are errors wrapping ErrNotFound, a value that does not fit T one wrapping
// ErrTypeMismatch (the entry stays); hits and misses count as Get's do.
func View[T any](ctx context.Context, c *Cache, key string) (T, error) {
	var zero T
	if err := c.check(ctx, "view", key); err != nil {
		return zero, err
	}
	defer c.startTimer().stop(OpView, key)
	dc := c.decoded
	if dc == nil {
		var v T
		if _, err := c.get(ctx, OpView, key, &v); err != nil {
			return zero, err
		}
		return v, nil
	}
	l, full, err := c.borrowKey("view", key)
	if err != nil {
		return zero, err
	}
	var d store.Decoder = viewDecoder[T]{}
	if c.env.Keys() != nil {
		d = sealedViewDecoder[T]{c.env} // encrypted values need the key to decode (sealing.go)
	}
	v, err := dc.GetDecoded(ctx, full, d)
	if err != nil {
		var de *decodeError
		if errors.As(err, &de) {
			full = ownKey(full)
			l.release()
			return zero, c.decodeFailed(ctx, "view", key, full, &zero, de.err)
		}
		// A store error, which may alias l's buffer: l is not released.
		c.storeFailed(OpView, key, err)
		return zero, err
	}
	if f, ok := v.(*sealedForm[T]); ok {
		t, err := f.get(c.env, full)
		if err != nil {
			full = ownKey(full)
			l.release()
			return zero, c.decodeFailed(ctx, "view", key, full, &zero, err)
		}
		l.release()
		c.hit(OpView, key)
		return t, nil
	}
	l.release()
	t, ok := v.(T)
	if !ok { // only a foreign Decoder equal to ours could cause this; ours is unexported
		return zero, opErr("view", key, fmt.Errorf("store returned a decoded %T, want %T", v, zero))
	}
	c.hit(OpView, key)
	return t, nil
}

// viewDecoder is View's store.Decoder for T: a zero-size value (no allocation to pass it), equal for
// every caller wanting a T and unequal to any other type's, so a kept form is shared by exactly the
// Views and Fetches of T.
type viewDecoder[T any] struct{}

// DecodeValue decodes a stored value into a fresh T, kept as a T (not a *T) so that each View hands out
// a copy of the struct itself. A decode failure is a *decodeError, which the Cache recognises.
func (viewDecoder[T]) DecodeValue(data []byte) (any, error) {
	var v T
	if _, err := codec.Decode(data, &v); err != nil {
		return nil, &decodeError{err}
	}
	return v, nil
}

// decodeError marks a decode failure passed back through a store, so the Cache tells it from the
// store's own errors.
type decodeError struct{ err error }

func (e *decodeError) Error() string { return e.err.Error() }
func (e *decodeError) Unwrap() error { return e.err }
