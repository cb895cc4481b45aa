package cachekit

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/cachekit/cachekit/codec"
	"github.com/cachekit/cachekit/store"
)

// FetchMany is read-through for many keys with ONE loader call for all the misses (an exchange's batch
// ticker endpoint): one store round trip reads the hits (one per Redis node), load receives every key
// that must be loaded and returns the values it found, and the loaded values are written in one store
// call behind the return. Each key follows its Policy exactly as in Fetch (stale-while-revalidate,
// fail-safe, back-off, negative results, soft and hard timeouts, MaxAge); stale keys inside their
// stale-while-revalidate window are refreshed together, in one background call.
//
// Keys share flights with Fetch and with other FetchMany calls of the same type: a key already being
// loaded is waited for, not loaded again, so overlapping batches load each key once.
//
// The result maps each relative key to its value, each the caller's own. A key that load does not
// return is "no such value" (ErrNoValue): absent from the result, remembered for Policy.NegativeTTL. When
// load fails (or panics), keys with a fail-safe value get it and the others are absent, and the error
// (naming every failed key, fail-safe served or not) is returned with the partial result. Past a key's
// soft timeout its fail-safe value is returned and its load goes on; a key without one waits for its
// load. Invalid keys or options fail the whole call before anything is read.
func FetchMany[T any](ctx context.Context, c *Cache, keys []string, ttl time.Duration,
	load func(ctx context.Context, keys []string) (map[string]T, error), opts ...FetchOption) (map[string]T, error) {
	if err := c.check(ctx, "fetch_many", ""); err != nil {
		return nil, err
	}
	defer c.startTimer().stop(OpFetchMany, "")
	fo := fetchOptions{}
	for _, opt := range opts {
		opt(&fo)
	}
	if err := fo.err(); err != nil {
		return nil, opErr("fetch_many", "", err)
	}
	b := &batch[T]{readBudget: c.readBudget(ctx), c: c, ttl: ttl, fo: fo, load: load, ctx: context.WithoutCancel(ctx), byKey: map[string]*batchKey[T]{}}
	for _, k := range keys {
		if _, dup := b.byKey[k]; dup {
			continue
		}
		full, err := c.fullKey("fetch_many", k)
		if err != nil {
			return nil, err
		}
		keyTTL, err := c.resolveTTL("fetch_many", k, ttl)
		if err != nil {
			return nil, err
		}
		p := c.policyFor(k)
		if fo.hasPolicy {
			p = fo.policy
		}
		bk := &batchKey[T]{rel: k, full: full, ttl: keyTTL, p: p}
		b.byKey[k] = bk
		b.order = append(b.order, bk)
	}
	out := make(map[string]T, len(b.order))
	if len(b.order) == 0 {
		return out, nil
	}

	// 1. One read for every key.
	if err := b.read(ctx); err != nil {
		return nil, err
	}
	now := c.now()
	var toLoad, toRefresh []*batchKey[T]
	for _, bk := range b.order {
		switch {
		case bk.hit && !bk.stale:
			out[bk.rel] = bk.val
			c.observe(OpFetchMany, bk.rel, OutcomeHit)
		case bk.hit: // stale inside the stale-while-revalidate window
			out[bk.rel] = bk.val
			c.servedStale(bk.rel, bk.age, true)
			if c.failures.get(bk.full, now) == nil {
				toRefresh = append(toRefresh, bk)
			}
		default:
			if b.readFailed {
				c.observe(OpFetchMany, bk.rel, OutcomeError)
			} else {
				c.observe(OpFetchMany, bk.rel, OutcomeMiss)
			}
			if f := c.failures.get(bk.full, now); f != nil {
				if bk.fallback != nil && !errors.Is(f.err, ErrNoValue) {
					out[bk.rel] = *bk.fallback
					c.servedStale(bk.rel, bk.age, false)
				} else if !errors.Is(f.err, ErrNoValue) {
					b.fail(bk, f.err)
				}
				continue
			}
			toLoad = append(toLoad, bk)
		}
	}
	if len(toRefresh) > 0 {
		b.start(toRefresh) // nobody waits for these
	}
	if len(toLoad) == 0 {
		return out, b.err()
	}

	// 2. One loader call for the keys no flight is loading; wait for all.
	b.start(toLoad)
	began := time.Now()
	for _, bk := range toLoad {
		// A key with a fail-safe value waits at most its own soft timeout (from the start of the wait);
		// every other key waits for its load or the caller's ctx.
		var soft <-chan time.Time
		if bk.fallback != nil && bk.p.SoftTimeout > 0 {
			t := time.NewTimer(bk.p.SoftTimeout - time.Since(began))
			soft = t.C
			defer t.Stop()
		}
		select {
		case <-bk.fl.ready:
		case <-ctx.Done():
			return out, opErr("fetch_many", "", ctx.Err())
		case <-soft:
		}
		if !bk.fl.isReady() { // past the soft timeout: the load goes on and lands in the cache
			out[bk.rel] = *bk.fallback
			c.servedStale(bk.rel, bk.age, false)
			continue
		}
		if err := bk.fl.err; err != nil {
			if errors.Is(err, ErrNoValue) {
				continue
			}
			if bk.fallback != nil {
				out[bk.rel] = *bk.fallback
				c.servedStale(bk.rel, bk.age, false)
			}
			b.fail(bk, err) // reported even when a fail-safe value stands in
			continue
		}
		if bk.started {
			out[bk.rel] = bk.fl.val.(T)
			continue
		}
		c.counts.coalesced.Add(1)
		var own T
		if _, err := c.decode(bk.fl.data, &own, bk.full); err != nil {
			b.fail(bk, opErr("fetch_many", bk.rel, err))
			continue
		}
		out[bk.rel] = own
	}
	return out, b.err()
}

// batch is one FetchMany call.
type batch[T any] struct {
	readBudget time.Duration // what a store read inside this call may take
	readFailed bool          // the read failed: no double-check (the store is failing)
	c          *Cache
	ttl        time.Duration
	fo         fetchOptions
	load       func(context.Context, []string) (map[string]T, error)
	ctx        context.Context // the caller's values, never cancelled
	byKey      map[string]*batchKey[T]
	order      []*batchKey[T]
	errs       []error
}

// batchKey is one key of a batch and what the call learned of it.
type batchKey[T any] struct {
	rel, full string
	ttl       time.Duration
	p         Policy

	hit, stale bool
	val        T
	fallback   *T            // a fail-safe value
	age        time.Duration // of the value read, when it has a write time
	fl         *flight
	started    bool // this call's loader loads the key
}

// read reads every key in one store call and classifies each by its policy.
func (b *batch[T]) read(ctx context.Context) error {
	c := b.c
	full := make([]string, len(b.order))
	for i, bk := range b.order {
		full[i] = bk.full
	}
	readCtx, cancel := c.storeShare(ctx)
	raw, err := c.st.GetMany(readCtx, full)
	cancel()
	if err != nil {
		if isCallerError(err) || ctx.Err() != nil {
			return err
		}
		c.counts.storeErrors.Add(1)
		b.readFailed = true
		raw = nil // every key is a miss; the loader answers
	}
	now := c.now()
	for _, bk := range b.order {
		data, ok := raw[bk.full]
		if !ok {
			c.counts.misses.Add(1)
			continue
		}
		var v T
		m, err := c.decode(data, &v, bk.full)
		if err != nil {
			_ = c.decodeFailed(ctx, "fetch_many", bk.rel, bk.full, &v, err)
			continue
		}
		c.counts.hits.Add(1)
		if !m.WrittenAt.IsZero() {
			bk.age = now.Sub(m.WrittenAt)
		}
		tooOld := b.fo.maxAge > 0 && (m.WrittenAt.IsZero() || now.Sub(m.WrittenAt) > b.fo.maxAge)
		switch {
		case tooOld:
		case m.SoftExpiry.IsZero() || now.Before(m.SoftExpiry):
			bk.hit, bk.val = true, v
		case now.Sub(m.SoftExpiry) < bk.p.StaleWhileRevalidate:
			bk.hit, bk.stale, bk.val = true, true, v
		case now.Sub(m.SoftExpiry) < bk.p.FailSafe:
			bk.fallback = &v
		}
	}
	return nil
}

// start joins each key's flight and loads, in one background loader call, the keys no flight loads yet.
func (b *batch[T]) start(keys []*batchKey[T]) {
	typ := reflect.TypeFor[T]()
	var mine []*batchKey[T]
	for _, bk := range keys {
		job := loadJob[T]{c: b.c, maxAge: b.fo.maxAge}
		bk.fl, bk.started = b.c.flights.join(flightKey{bk.full, typ}, job.usable)
		if bk.started {
			mine = append(mine, bk)
		}
	}
	if len(mine) > 0 {
		go b.run(mine)
	}
}

// run calls the loader once for keys, releases each key's waiters, then writes the values in one store
// call and ends the flights.
func (b *batch[T]) run(keys []*batchKey[T]) {
	c := b.c
	all := keys // every flight this call started ends here, whichever way it was answered
	defer func() {
		for _, bk := range all {
			c.flights.end(bk.fl)
		}
	}()
	ctx, release := c.loadContext(b.ctx)
	defer release()
	writeCtx := ctx
	keys = b.recheck(keys)
	if len(keys) == 0 {
		return
	}
	hard := time.Duration(0)
	for _, bk := range keys {
		hard = max(hard, bk.p.HardTimeout)
	}
	if hard > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, hard)
		defer cancel()
	}
	rels := make([]string, len(keys))
	for i, bk := range keys {
		rels[i] = bk.rel
	}
	vals, err := callLoader(c, batchName(rels), func() (map[string]T, error) { return b.load(ctx, rels) })
	now := c.now()
	var items []store.Item
	for _, bk := range keys {
		if err != nil {
			if bk.p.FailBackoff > 0 {
				c.failures.put(bk.full, err, now.Add(bk.p.FailBackoff))
			}
			bk.fl.finish(nil, nil, codec.Meta{}, err)
			continue
		}
		v, ok := vals[bk.rel]
		if !ok {
			noValue := opErr("fetch_many", bk.rel, ErrNoValue)
			if bk.p.NegativeTTL > 0 {
				c.failures.put(bk.full, noValue, now.Add(bk.p.NegativeTTL))
			}
			bk.fl.finish(nil, nil, codec.Meta{}, noValue)
			continue
		}
		m, keep := c.lifetime(bk.p, bk.ttl, now)
		m.Version = versionOf(v)
		data, encErr := c.encodeMeta("fetch_many", bk.rel, v, m)
		if encErr != nil {
			bk.fl.finish(nil, nil, codec.Meta{}, encErr)
			continue
		}
		c.failures.clear(bk.full)
		bk.fl.finish(v, data, m, nil)
		if !c.flights.beginWrite(bk.fl) {
			continue
		}
		if m.Version != 0 { // one versioned write each: a batch of them is not atomic per key anyway
			if err := c.writeLoaded(writeCtx, bk.full, data, keep); err != nil {
				c.counts.storeErrors.Add(1)
			}
			continue
		}
		items = append(items, store.Item{Key: bk.full, Value: data, TTL: keep})
	}
	if len(items) > 0 && !c.closed.Load() {
		if err := c.skipped(c.st.SetMany(writeCtx, items), len(items)); err != nil {
			c.counts.storeErrors.Add(1)
		}
	}
}

// recheck finishes, from the store, the keys whose value a flight that ended after this call's read
// has written (one GetMany instead of loading them again), and returns the keys still to load.
func (b *batch[T]) recheck(keys []*batchKey[T]) []*batchKey[T] {
	if b.readFailed {
		return keys
	}
	ctx, cancel := context.WithTimeout(b.ctx, b.readBudget)
	defer cancel()
	full := make([]string, len(keys))
	for i, bk := range keys {
		full[i] = bk.full
	}
	raw, err := b.c.st.GetMany(ctx, full)
	if err != nil || len(raw) == 0 {
		return keys
	}
	job := loadJob[T]{c: b.c, maxAge: b.fo.maxAge}
	rest := keys[:0:0]
	for _, bk := range keys {
		if data, ok := raw[bk.full]; ok {
			var v T
			if m, err := b.c.decode(data, &v, bk.full); err == nil && !m.SoftExpiry.IsZero() && job.usable(m) {
				bk.fl.finish(v, data, m, nil)
				continue
			}
		}
		rest = append(rest, bk)
	}
	return rest
}

// batchName names a batch load in a *LoaderPanicError: its relative keys, the list capped.
func batchName(rels []string) string {
	const shown = 5
	if len(rels) <= shown {
		return strings.Join(rels, ",")
	}
	return fmt.Sprintf("%s,… (%d keys)", strings.Join(rels[:shown], ","), len(rels))
}

// fail records a key's error for the call's result.
func (b *batch[T]) fail(bk *batchKey[T], err error) {
	b.errs = append(b.errs, fmt.Errorf("%s: %w", bk.rel, err))
}

// err is the call's error: nil, or every failed key's error joined.
func (b *batch[T]) err() error {
	if len(b.errs) == 0 {
		return nil
	}
	return opErr("fetch_many", "", errors.Join(b.errs...))
}
