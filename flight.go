package cachekit

import (
	"context"
	"reflect"
	"slices"
	"sync"

	"github.com/cachekit/cachekit/codec"
)

// flights coalesces loads per (key, type). It is singleflight with one difference that Fetch needs:
// waiters are released the moment the value exists (flight.ready), while the flight stays joinable until
// its store write is done (flights.end), so the write never delays a caller and a Fetch arriving during
// the write gets the value instead of loading again. x/sync/singleflight ties both to the function's
// return, which is why this is not singleflight.Group.
type flights struct {
	mu sync.Mutex
	m  map[flightKey]*flight
}

// flightKey keys a flight by full key and result type: Fetches of one key with different types never
// share (or mistype) a result.
type flightKey struct {
	full string
	typ  reflect.Type
}

// flight is one load. Its result fields are written once, before ready is closed; writing and dropped
// are guarded by flights.mu.
type flight struct {
	key     flightKey
	ready   chan struct{}
	done    chan struct{} // closed by end: the store write, if any, is over
	writing bool          // the store write has begun
	dropped bool          // an invalidation or a newer write came first: the value must not be written
	val     any           // the loaded value, for the caller that started the load
	data    []byte        // its encoding, from which every other caller decodes its own copy
	meta    codec.Meta
	err     error
}

// join returns the flight of k, or starts one (started is then true). A flight whose load has ended
// but whose write has not is joined only when it loaded a value and usable says that value will do (not past its fresh time by
// the Cache's clock, not older than the caller's MaxAge); else a new one replaces it.
func (f *flights) join(k flightKey, usable func(codec.Meta) bool) (fl *flight, started bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if fl, ok := f.m[k]; ok && (!fl.isReady() || (fl.err == nil && usable(fl.meta))) {
		return fl, false
	}
	if f.m == nil {
		f.m = map[flightKey]*flight{}
	}
	fl = &flight{key: k, ready: make(chan struct{}), done: make(chan struct{})}
	f.m[k] = fl
	return fl, true
}

// isReady reports whether the load has ended (its fields are then set).
func (fl *flight) isReady() bool {
	select {
	case <-fl.ready:
		return true
	default:
		return false
	}
}

// finish records the load's outcome and releases the waiters.
func (fl *flight) finish(val any, data []byte, m codec.Meta, err error) {
	fl.val, fl.data, fl.meta, fl.err = val, data, m, err
	close(fl.ready)
}

// beginWrite reports whether the flight may write its value to the store, and if so marks the write
// as begun, so that an invalidation arriving later waits for it instead of being overwritten.
func (f *flights) beginWrite(fl *flight) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if fl.dropped {
		return false
	}
	fl.writing = true
	return true
}

// end removes the flight: later Fetches read the cache or load again.
func (f *flights) end(fl *flight) {
	f.mu.Lock()
	if f.m[fl.key] == fl {
		delete(f.m, fl.key)
	}
	f.mu.Unlock()
	close(fl.done)
}

// settle is called before a write or delete of the keys match selects: their flights stop being
// joinable, a flight that has not begun its store write will not write (the caller's operation is the
// newer one), and one that has begun is waited for, so it cannot land after the caller's operation.
// Callers already waiting on such a flight still get its value. With no flights it costs a lock.
func (f *flights) settle(ctx context.Context, match func(full string) bool) error {
	f.mu.Lock()
	var wait []*flight
	for k, fl := range f.m {
		if !match(k.full) {
			continue
		}
		delete(f.m, k)
		if fl.writing {
			wait = append(wait, fl)
		} else {
			fl.dropped = true
		}
	}
	f.mu.Unlock()
	for _, fl := range wait {
		select {
		case <-fl.done:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// idle reports whether no flight exists (the common case on a write path).
func (f *flights) idle() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.m) == 0
}

// settleKeys settles the flights of the given full keys and forgets their recent failures.
func (c *Cache) settleKeys(ctx context.Context, full ...string) error {
	if c.failures.n.Load() > 0 {
		c.failures.clearMatching(func(k string) bool { return slices.Contains(full, k) })
	}
	if c.flights.idle() {
		return nil
	}
	return c.flights.settle(ctx, func(k string) bool { return slices.Contains(full, k) })
}

// settleMatching settles the flights whose full key match accepts (before a pattern delete or a clear)
// and forgets their recent failures.
func (c *Cache) settleMatching(ctx context.Context, match func(full string) bool) error {
	c.failures.clearMatching(match)
	if c.flights.idle() {
		return nil
	}
	return c.flights.settle(ctx, match)
}
