package tiered

import (
	"context"
	"errors"
	"strings"

	"github.com/cachekit/cachekit/store"
)

var (
	_ store.Viewer       = (*Store)(nil)
	_ store.DecodedCache = (*Store)(nil)
)

// View calls fn with the value of key without copying it when L1 has the key and is a store.Viewer
// (the memory backend is); otherwise, and on an L1 miss, it reads as Get does (L2, with backfill) and
// lends fn that copy. fn must not retain or modify the bytes, nor call this Store. A key in neither tier
// is an error wrapping store.ErrNotFound and fn is not called; fn's error is returned unchanged, and so
// is an L1 error other than a miss. With the L1 fail-safe on (Options.L1FailSafe), a copy past its L1
// lifetime is read as an L1 miss, and an L2 failure then lends fn that stale copy, as Get would return
// it. key is passed to L2 only as a copy, so it is not retained after View returns, except inside a
// returned error.
func (s *Store) View(ctx context.Context, key string, fn func(value []byte) error) error {
	if err := store.CheckCall(ctx, s.closed.Load(), backendName, "get", key); err != nil {
		return err
	}
	if fn == nil {
		return opErr("get", key, errors.New("View: fn is nil"))
	}
	if err := store.CheckKey(backendName, "get", key); err != nil {
		return err
	}
	var err error
	if s.opts.L1FailSafe == 0 {
		err = store.View(ctx, s.l1, key, fn) // L1's View, or its Get and then fn
	} else {
		err = s.l1FreshView(ctx, key, fn)
	}
	if err == nil || !errors.Is(err, store.ErrNotFound) {
		return err
	}
	v, err := s.getL2(ctx, strings.Clone(key)) // L2 (a network client, its hooks) might keep the key
	if err != nil {
		if s.mayServeStale(ctx, err) {
			if served, ferr := s.staleView(ctx, key, fn); served {
				return ferr
			}
		}
		return err
	}
	return fn(v)
}

// GetDecoded returns the form of key's value that d decodes (store.DecodedCache). When L1 is a
// store.DecodedCache (the memory backend is), an L1 hit returns the form L1 keeps with its entry,
// decoding only the first time after each write; an L1 miss reads L2 as Get does (backfilling L1, whose
// next GetDecoded decodes and keeps the form) and returns d's decoding of L2's bytes. With any other L1
// it decodes on every call (store.GetDecoded's fallback). Invalidations and writes replace L1's entries,
// and with them their forms, so a form is exactly as fresh as an L1 hit of Get; with the L1 fail-safe on,
// an L2 failure returns the form of L1's stale copy, as Get would return that copy.
//
// The rules are store.DecodedCache's: callers sharing a Decoder share the form and treat it as
// read-only; DecodeValue's error, and an L1 error other than a miss, are returned unchanged; a key in
// neither tier is an error wrapping store.ErrNotFound and DecodeValue is not called. key is passed to L2
// only as a copy.
func (s *Store) GetDecoded(ctx context.Context, key string, d store.Decoder) (any, error) {
	if err := store.CheckCall(ctx, s.closed.Load(), backendName, "get", key); err != nil {
		return nil, err
	}
	if err := store.CheckKey(backendName, "get", key); err != nil {
		return nil, err
	}
	var v any
	var err error
	if s.opts.L1FailSafe == 0 {
		v, err = store.GetDecoded(ctx, s.l1, key, d) // L1 checks d (on an L1 hit, at the latest)
	} else {
		v, err = s.l1FreshGetDecoded(ctx, key, d)
	}
	if err == nil || !errors.Is(err, store.ErrNotFound) {
		return v, err
	}
	key = strings.Clone(key)
	if err := store.CheckDecoder(d); err != nil { // L1 may have missed before looking at d
		return nil, opErr("get", key, err)
	}
	b, err := s.getL2(ctx, key)
	if err != nil {
		if s.mayServeStale(ctx, err) {
			if v, ok := s.staleDecoded(ctx, key, d); ok {
				return v, nil
			}
		}
		return nil, err
	}
	return d.DecodeValue(b)
}
