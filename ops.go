package cachekit

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"time"

	"github.com/cachekit/cachekit/codec"
	"github.com/cachekit/cachekit/store"
)

// fullKey validates a relative key and returns the stored key.
func (c *Cache) fullKey(op, rel string) (string, error) {
	full, err := c.ks.Key(rel)
	if err != nil {
		return "", invalidKey(op, rel, err)
	}
	return full, nil
}

// Get decodes the value stored under the relative key into dst, which must be a non-nil pointer.
// A miss, an expired entry and a corrupt entry (which Get deletes) are errors wrapping ErrNotFound.
// dst receives a private copy: nothing reachable from it is shared with the cache (View shares, to
// skip the decode).
//
// On an in-process store (a store.Viewer, such as the memory and tiered backends) Get decodes straight
// from the stored bytes, without copying them first. Codecs copy what they keep; a type's own
// UnmarshalJSON or UnmarshalMsgpack must not modify its input, and must copy what it keeps, as
// encoding/json already requires.
func (c *Cache) Get(ctx context.Context, key string, dst any) error {
	if err := c.check(ctx, "get", key); err != nil {
		return err
	}
	if err := checkDst(dst); err != nil {
		return opErr("get", key, err)
	}
	if c.viewer != nil {
		return c.getView(ctx, c.viewer, key, dst)
	}
	full, err := c.fullKey("get", key)
	if err != nil {
		return err
	}
	data, err := c.st.Get(ctx, full)
	if err != nil {
		if isMiss(err) {
			c.counts.misses.Add(1)
		}
		return err
	}
	if err := c.decode(ctx, full, data, dst); err != nil {
		return err
	}
	c.counts.hits.Add(1)
	return nil
}

// getView is Get through a store.Viewer: no key string, no copy of the value; the decode's allocations
// are the call's only ones.
func (c *Cache) getView(ctx context.Context, vw store.Viewer, key string, dst any) error {
	l, full, err := c.borrowKey("get", key)
	if err != nil {
		return err
	}
	l.dst = dst
	if err := vw.View(ctx, full, l.view); err != nil {
		// A store error (l.view never returns one). It may alias l's buffer, so l is not released.
		if isMiss(err) {
			c.counts.misses.Add(1)
		}
		return err
	}
	if derr := l.err; derr != nil {
		full = ownKey(full)
		l.release()
		return c.corrupt(ctx, full, derr)
	}
	l.release()
	c.counts.hits.Add(1)
	return nil
}

// decode decodes data into dst; on failure it deletes the entry and reports a miss.
func (c *Cache) decode(ctx context.Context, full string, data []byte, dst any) error {
	if _, err := codec.Decode(data, dst); err != nil {
		return c.corrupt(ctx, full, err)
	}
	return nil
}

// corrupt handles an entry under full that failed to decode with err: it counts it, deletes it and
// returns the miss the caller reports. full must be owned by the caller (not a borrowed key): the
// store's Delete and the returned error may keep it.
func (c *Cache) corrupt(ctx context.Context, full string, err error) error {
	c.counts.corrupt.Add(1)
	c.counts.misses.Add(1)
	// Best effort: if the delete fails, the next read deletes it again.
	_, _ = c.st.Delete(context.WithoutCancel(ctx), full)
	return opErr("get", full, fmt.Errorf("%w (undecodable entry deleted: %v)", store.ErrNotFound, err))
}

func checkDst(dst any) error {
	if dst == nil {
		return errors.New("destination is nil; pass a non-nil pointer")
	}
	if v := reflect.ValueOf(dst); v.Kind() != reflect.Pointer || v.IsNil() {
		return fmt.Errorf("destination is %T; pass a non-nil pointer", dst)
	}
	return nil
}

// encode encodes v with the configured codec (or as plain JSON).
func (c *Cache) encode(op, key string, v any) ([]byte, error) {
	var (
		data []byte
		err  error
	)
	if c.plainJSON {
		data, err = codec.EncodePlainJSON(v)
	} else {
		data, err = codec.Encode(c.codec, v)
	}
	if err != nil {
		c.counts.encodeErrors.Add(1)
		return nil, opErr(op, key, err)
	}
	return data, nil
}

// Set stores v under the relative key. ttl 0 means the configured TTL for the key's kind, else the
// default TTL; a negative ttl is an error. Read-your-writes holds as the store guarantees it (an
// in-process store may refuse with ErrNotStored).
func (c *Cache) Set(ctx context.Context, key string, v any, ttl time.Duration) error {
	full, ttl, data, err := c.prepareSet(ctx, "set", key, v, ttl)
	if err != nil {
		return err
	}
	return c.st.Set(ctx, full, data, ttl)
}

// Add stores v under the relative key only if the key is absent, and reports whether it did.
func (c *Cache) Add(ctx context.Context, key string, v any, ttl time.Duration) (bool, error) {
	full, ttl, data, err := c.prepareSet(ctx, "add", key, v, ttl)
	if err != nil {
		return false, err
	}
	return c.st.Add(ctx, full, data, ttl)
}

func (c *Cache) prepareSet(ctx context.Context, op, key string, v any, ttl time.Duration) (string, time.Duration, []byte, error) {
	if err := c.check(ctx, op, key); err != nil {
		return "", 0, nil, err
	}
	full, err := c.fullKey(op, key)
	if err != nil {
		return "", 0, nil, err
	}
	if ttl, err = c.resolveTTL(op, key, ttl); err != nil {
		return "", 0, nil, err
	}
	data, err := c.encode(op, key, v)
	if err != nil {
		return "", 0, nil, err
	}
	return full, ttl, data, nil
}

// Delete removes the relative keys and reports how many existed. Missing keys are not an error; an
// invalid key fails the whole call before anything is deleted.
func (c *Cache) Delete(ctx context.Context, keys ...string) (int, error) {
	if err := c.check(ctx, "delete", ""); err != nil {
		return 0, err
	}
	if len(keys) == 0 {
		return 0, nil
	}
	full := make([]string, len(keys))
	for i, k := range keys {
		f, err := c.fullKey("delete", k)
		if err != nil {
			return 0, err
		}
		full[i] = f
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
