package cachekit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"

	"github.com/cachekit/cachekit/codec"
	"github.com/cachekit/cachekit/store"
)

// Get decodes the value stored under the relative key into dst, which must be a non-nil pointer.
// A miss, an expired entry and a corrupt entry (which Get deletes) are errors wrapping ErrNotFound. A
// well-formed value that does not fit dst's type is an error wrapping ErrTypeMismatch; the entry stays.
// On any error dst is left untouched. dst receives a private copy: nothing reachable from it is shared
// with the cache (View shares, to skip the decode).
//
// On an in-process store (a store.Viewer, such as the memory and tiered backends) Get decodes straight
// from the stored bytes, without copying them first. Codecs copy what they keep; a type's own
// UnmarshalJSON or UnmarshalMsgpack must not modify its input, and must copy what it keeps, as
// encoding/json already requires.
func (c *Cache) Get(ctx context.Context, key string, dst any) error {
	t := c.startTimer()
	_, err := c.get(ctx, OpGet, key, dst)
	t.stop(OpGet, key)
	return err
}

// get is Get that also returns the value's envelope metadata (zero for a plain value). It reports the
// lookup's outcome to the Observer, except for Fetch, which reports it once it has judged the value.
func (c *Cache) get(ctx context.Context, o Op, key string, dst any) (codec.Meta, error) {
	op := o.String() // names the operation in errors
	if err := c.check(ctx, op, key); err != nil {
		return codec.Meta{}, err
	}
	if err := checkDst(dst); err != nil {
		return codec.Meta{}, opErr(op, key, err)
	}
	if c.viewer != nil {
		return c.getView(ctx, c.viewer, o, key, dst)
	}
	full, err := c.fullKey(op, key)
	if err != nil {
		return codec.Meta{}, err
	}
	data, err := c.st.Get(ctx, full)
	if err != nil {
		c.storeFailed(o, key, err)
		return codec.Meta{}, err
	}
	m, err := decodeInto(c.env, data, dst, full)
	if err != nil {
		return codec.Meta{}, c.decodeFailed(ctx, op, key, full, dst, err)
	}
	c.hit(o, key)
	return m, nil
}

// getView is get through a store.Viewer: no key string, no copy of the value.
func (c *Cache) getView(ctx context.Context, vw store.Viewer, o Op, key string, dst any) (codec.Meta, error) {
	op := o.String()
	l, full, err := c.borrowKey(op, key)
	if err != nil {
		return codec.Meta{}, err
	}
	l.dst, l.env = dst, c.env
	if err := vw.View(ctx, full, l.view); err != nil {
		// A store error (l.view never returns one). It may alias l's buffer, so l is not released.
		c.storeFailed(o, key, err)
		return codec.Meta{}, err
	}
	m, derr := l.meta, l.err
	if derr != nil {
		full = ownKey(full)
		l.release()
		return codec.Meta{}, c.decodeFailed(ctx, op, key, full, dst, derr)
	}
	l.release()
	c.hit(o, key)
	return m, nil
}

// hit counts a lookup of get that found a value (Fetch reports its lookups itself, once judged).
func (c *Cache) hit(o Op, key string) {
	c.counts.hits.Add(1)
	if o != OpFetch {
		c.observe(o, key, OutcomeHit)
	}
}

// storeFailed counts a lookup of get whose store call failed: a miss, or an error.
func (c *Cache) storeFailed(o Op, key string, err error) {
	miss := isMiss(err)
	if miss {
		c.counts.misses.Add(1)
	}
	if o == OpFetch {
		return
	}
	if miss {
		c.observe(o, key, OutcomeMiss)
	} else if !isCallerError(err) {
		c.observe(o, key, OutcomeError)
	}
}

// decodeInto decodes data, stored under the full key, into dst (a checked, non-nil pointer) through a
// fresh value of dst's type, so that a failed decode leaves dst exactly as it was (a decoder fills a
// struct field by field).
func decodeInto(env *codec.Envelope, data []byte, dst any, full string) (codec.Meta, error) {
	tmp := reflect.New(reflect.TypeOf(dst).Elem())
	m, err := env.Decode(data, tmp.Interface(), full)
	if err != nil {
		return codec.Meta{}, err
	}
	reflect.ValueOf(dst).Elem().Set(tmp.Elem())
	return m, nil
}

// decodeFailed is the one path every read takes when the entry under full (relative key rel) did not
// decode into target's type with err:
//   - bytes no codec can read (codec.ErrCorrupt): counted, deleted, reported as a miss;
//   - a well-formed value of another shape (codec.ErrTypeMismatch): counted, kept, reported as
//     ErrTypeMismatch naming the key and the type.
//
// full must be owned by the caller (not a borrowed key): the store's Delete may keep it.
func (c *Cache) decodeFailed(ctx context.Context, op, rel, full string, target any, err error) error {
	if errors.Is(err, codec.ErrTypeMismatch) {
		c.counts.typeMismatches.Add(1)
		c.observe(opOf(op), rel, OutcomeTypeMismatch)
		c.log.keyEvent(slog.LevelWarn, "type_mismatch", "cachekit: a stored value does not fit the reader's type (entry kept: another writer may own it)", rel, err)
		return opErr(op, rel, &mismatchError{typ: reflect.TypeOf(target), err: err})
	}
	c.counts.corrupt.Add(1)
	c.counts.misses.Add(1)
	if o := c.observer(); o != nil {
		o.Count(opOf(op), kindOf(rel), OutcomeCorrupt, 1)
		o.Count(opOf(op), kindOf(rel), OutcomeMiss, 1)
	}
	c.log.keyEvent(slog.LevelWarn, "corrupt", "cachekit: undecodable entry deleted (read as a miss)", rel, err)
	// Best effort: if the delete fails, the next read deletes it again.
	_, _ = c.st.Delete(context.WithoutCancel(ctx), full)
	return opErr(op, rel, fmt.Errorf("%w (undecodable entry deleted: %v)", store.ErrNotFound, err))
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
