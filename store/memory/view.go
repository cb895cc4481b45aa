package memory

import (
	"context"
	"errors"
	"time"

	"github.com/cachekit/cachekit/store"
)

var (
	_ store.Viewer       = (*Store)(nil)
	_ store.DecodedCache = (*Store)(nil)
)

// lookup returns key's live entry for a read that counts as a hit or miss, or the error the read fails
// with (ctx done, closed, or a miss wrapping store.ErrNotFound).
func (s *Store) lookup(ctx context.Context, op, key string) (entry, error) {
	return s.lookupWithin(ctx, op, key, 0)
}

// lookupWithin is lookup that also treats an entry with no more than reserve of its lifetime left as a
// miss (reserve 0: only expired entries, and no clock read).
func (s *Store) lookupWithin(ctx context.Context, op, key string, reserve time.Duration) (entry, error) {
	if err := store.CheckKey(backend, op, key); err != nil {
		return nil, err
	}
	h := s.hash(key)
	st := s.stripe(h)
	if err := s.enter(ctx, st, op, key); err != nil {
		return nil, err
	}
	e := s.find(st, h, key)
	if e == nil || reserve > 0 && e.remaining(s.now()) <= reserve {
		if !s.uncounted {
			st.misses.Add(1)
		}
		st.active.Add(-1)
		return nil, opErr(op, key, store.ErrNotFound)
	}
	if !s.uncounted {
		st.hits.Add(1)
	}
	st.active.Add(-1)
	return e, nil
}

// View calls fn with the value stored under key, without copying it (store.Viewer). fn must not retain or
// modify the bytes; it runs after the store has released everything of its own (entries are immutable
// and kept alive by the garbage collector while fn holds them), so fn may even call the Store, though
// the store.Viewer contract does not promise that of every store. A miss is an error wrapping
// store.ErrNotFound and fn is not called; fn's error is returned unchanged. Hits and misses count as
// Get's. The key is not retained after View returns, except inside a returned error.
func (s *Store) View(ctx context.Context, key string, fn func(value []byte) error) error {
	return s.view(ctx, key, 0, fn)
}

// view is View, and with reserve > 0 ViewFresh (see lookupWithin).
func (s *Store) view(ctx context.Context, key string, reserve time.Duration, fn func(value []byte) error) error {
	if fn == nil {
		return opErr("get", key, errors.New("View: fn is nil"))
	}
	e, err := s.lookupWithin(ctx, "get", key, reserve)
	if err != nil {
		return err
	}
	return fn(e.val())
}

// GetDecoded returns the form of key's value that d decodes (store.DecodedCache): the form kept with the
// entry by an earlier call with an equal Decoder, else d.DecodeValue's result, which the entry then keeps
// (replacing a form kept for another Decoder). Every write makes a new entry, so a kept form is never
// older than the bytes it came from, and it goes when the entry goes; forms are not counted in MaxBytes.
// Callers sharing a Decoder share the form and must treat it as read-only.
//
// DecodeValue runs without locks, on bytes it must not retain or modify; its error is returned unchanged
// and nothing is kept. A miss is an error wrapping store.ErrNotFound and DecodeValue is not called. A nil
// Decoder, or an uncomparable one on a hit, is an error naming the problem. Hits and misses count as
// Get's. The key is not retained after GetDecoded returns, except inside a returned error.
func (s *Store) GetDecoded(ctx context.Context, key string, d store.Decoder) (any, error) {
	return s.getDecoded(ctx, key, 0, d)
}

// getDecoded is GetDecoded, and with reserve > 0 GetDecodedFresh (see lookupWithin).
func (s *Store) getDecoded(ctx context.Context, key string, reserve time.Duration, d store.Decoder) (any, error) {
	if d == nil {
		return nil, opErr("get", key, errors.New("GetDecoded: Decoder is nil"))
	}
	e, err := s.lookupWithin(ctx, "get", key, reserve)
	if err != nil {
		return nil, err
	}
	return s.decodedOf(e, key, d)
}

// decodedOf returns d's form of e's value: the one e keeps, else a new decoding, which e then keeps.
func (s *Store) decodedOf(e entry, key string, d store.Decoder) (any, error) {
	// Only comparable Decoders are ever kept (checked below), so this comparison cannot panic: a kept
	// Decoder's dynamic type and everything inside it is comparable, and values of different dynamic
	// types compare unequal without looking further.
	if f := e.dec.Load(); f != nil && f.d == d {
		return f.v, nil
	}
	if err := store.CheckDecoder(d); err != nil {
		return nil, opErr("get", key, err)
	}
	v, err := d.DecodeValue(e.val())
	if err != nil {
		return nil, err
	}
	// Concurrent first reads may each decode; whichever form is kept last serves later reads, and all of
	// them are decodings of the same bytes.
	e.dec.Store(&decoded{d: d, v: v})
	return v, nil
}
