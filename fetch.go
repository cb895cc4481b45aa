package cachekit

import (
	"context"
	"errors"
	"reflect"
	"runtime/debug"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/cachekit/cachekit/codec"
)

// Fetch returns the value cached under the relative key or, on a miss, loads it with load, caches it for
// ttl (0 = configured) and returns it. What Fetch returns is the caller's own on every backend (a hit is
// decoded as Get decodes it; use View for the shared, read-only form).
//
// Concurrent Fetches of one key and one type T in this process share one load (singleflight): 100
// concurrent misses call load once. The caller whose load ran gets the loaded value itself; every other
// caller gets its own copy, decoded from the encoded value. Fetches of one key with different types never
// share a load.
//
// load runs with the first caller's context values but without its cancellation, so one caller giving up
// does not fail the others; each caller still stops waiting when its own ctx is done. Give load its own
// timeout. A panic in load is recovered and returned to every waiting caller as a *LoaderPanicError
// (ErrLoaderPanic); nothing is cached. A load error is returned as is and nothing is cached. A value that
// cannot be encoded is an error wrapping codec.ErrEncode.
//
// Fetch never fails because of the store: when reading or writing the store fails for any reason other
// than the caller's own (invalid key or TTL, closed Cache, ctx done), Fetch loads, returns the loaded
// value and counts the failure in Counters.StoreErrors. A stored value that does not fit T is loaded
// again and overwritten (Counters.TypeMismatches); a corrupt one is deleted and loaded.
func Fetch[T any](ctx context.Context, c *Cache, key string, ttl time.Duration, load func(ctx context.Context) (T, error)) (T, error) {
	var zero T
	var v T
	err := c.Get(ctx, key, &v)
	switch {
	case err == nil:
		return v, nil
	case isMiss(err), errors.Is(err, ErrTypeMismatch):
	case isCallerError(err) || ctx.Err() != nil:
		return zero, err
	default:
		c.counts.storeErrors.Add(1)
	}
	if ttl, err = c.resolveTTL("fetch", key, ttl); err != nil {
		return zero, err
	}
	full, err := c.fullKey("fetch", key)
	if err != nil {
		return zero, err
	}
	var ran bool // set by the flight's function only when it is this caller's
	ch := c.flights.group(reflect.TypeFor[T]()).DoChan(full, func() (any, error) {
		ran = true
		return runLoad(ctx, c, key, ttl, load)
	})
	select {
	case <-ctx.Done():
		return zero, opErr("fetch", key, ctx.Err())
	case res := <-ch:
		if res.Err != nil {
			return zero, res.Err
		}
		l := res.Val.(loaded[T]) // the group is T's own: nothing else is ever stored in it
		if ran {
			return l.val, nil
		}
		c.counts.coalesced.Add(1)
		var own T
		if _, err := codec.Decode(l.data, &own); err != nil {
			// Cannot happen for a value that encoded, short of a type whose encoding does not decode.
			return zero, opErr("fetch", key, err)
		}
		return own, nil
	}
}

// loaded is a flight's result: the loaded value and its encoding, from which waiters decode their own.
type loaded[T any] struct {
	val  T
	data []byte
}

// runLoad calls load with panics recovered, encodes its value and caches it. It runs in the flight.
func runLoad[T any](ctx context.Context, c *Cache, key string, ttl time.Duration, load func(context.Context) (T, error)) (any, error) {
	loadCtx := context.WithoutCancel(ctx)
	val, err := callLoader(c, key, func() (T, error) { return load(loadCtx) })
	if err != nil {
		return nil, err
	}
	full, ttl, data, err := c.prepareSet(loadCtx, "fetch", key, val, ttl)
	if err != nil {
		return nil, err
	}
	if err := c.st.Set(loadCtx, full, data, ttl); err != nil {
		c.counts.storeErrors.Add(1)
	}
	return loaded[T]{val: val, data: data}, nil
}

// callLoader runs a loader, counting it, and turns a panic into a *LoaderPanicError.
func callLoader[T any](c *Cache, key string, load func() (T, error)) (val T, err error) {
	c.counts.loads.Add(1)
	defer func() {
		if r := recover(); r != nil {
			c.counts.loaderPanics.Add(1)
			err = &LoaderPanicError{Key: key, Value: r, Stack: debug.Stack()}
		}
		if err != nil {
			c.counts.loadErrors.Add(1)
		}
	}()
	return load()
}

// flights holds one singleflight.Group per result type, so that Fetches of one key with different
// types never share (or mistype) a result.
type flights struct{ byType sync.Map } // reflect.Type → *singleflight.Group

func (f *flights) group(t reflect.Type) *singleflight.Group {
	if g, ok := f.byType.Load(t); ok {
		return g.(*singleflight.Group)
	}
	g, _ := f.byType.LoadOrStore(t, new(singleflight.Group))
	return g.(*singleflight.Group)
}
