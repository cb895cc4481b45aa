package cachekit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"reflect"
	"time"

	"github.com/cachekit/cachekit/codec"
	"github.com/cachekit/cachekit/store"
)

// Result is a value Fetch returned, with what a caller needs to judge it.
type Result[T any] struct {
	Value T
	// Cached is true when the value came from the cache, false when this call (or the load it joined)
	// loaded it.
	Cached bool
	// Stale is true when the value is past its fresh TTL: served while a background refresh runs
	// (Policy.StaleWhileRevalidate) or instead of a failed or slow load (Policy.FailSafe).
	Stale bool
	// WrittenAt is when the loader produced the value, carried in the value's envelope from process to
	// process and from L2 into L1; zero when unknown (a value written by Set or by the Python bot).
	WrittenAt time.Time
	// FreshUntil is when the value stops being fresh; zero when it has no fresh TTL of its own.
	FreshUntil time.Time
	// Age is how old the value is by the Cache's clock (0 when WrittenAt is unknown).
	Age time.Duration
	// LoadErr is the load failure a fail-safe value stands in for; nil otherwise.
	LoadErr error
}

// FetchOption adjusts one Fetch call.
type FetchOption func(*fetchOptions)

type fetchOptions struct {
	policy    Policy
	hasPolicy bool
	maxAge    time.Duration
}

// MaxAge makes a Fetch never return a value older than d (by its WrittenAt), loading instead: trading
// code bounding price staleness. A value of unknown age counts as too old. If that load fails, no older
// value is served in its place: the error comes back.
func MaxAge(d time.Duration) FetchOption { return func(o *fetchOptions) { o.maxAge = d } }

// FetchPolicy replaces the key's policy (see Policy) for one call. An invalid policy makes the call fail
// with an error naming the field, as WithPolicy does.
func FetchPolicy(p Policy) FetchOption {
	return func(o *fetchOptions) { o.policy, o.hasPolicy = p, true }
}

// err reports an invalid per-call option.
func (o *fetchOptions) err() error {
	if o.hasPolicy {
		return o.policy.validate()
	}
	if o.maxAge < 0 {
		return fmt.Errorf("%w: MaxAge %v is negative", ErrInvalidTTL, o.maxAge)
	}
	return nil
}

// loadContext is the context a load and its write run under: base's values (the caller's, without its
// cancellation, so one caller giving up does not fail the others), ended when the Cache is closed.
// release must be called when the load is over.
func (c *Cache) loadContext(base context.Context) (ctx context.Context, release func()) {
	ctx, cancel := context.WithCancel(base)
	stop := context.AfterFunc(c.bg, cancel)
	return ctx, func() { stop(); cancel() }
}

// Fetch returns the value cached under the relative key or, on a miss, loads it with load, caches it and
// returns it: FetchResult without the metadata. What Fetch returns is the caller's own on every backend
// (use View for the shared, read-only form).
func Fetch[T any](ctx context.Context, c *Cache, key string, ttl time.Duration, load func(ctx context.Context) (T, error), opts ...FetchOption) (T, error) {
	r, err := FetchResult(ctx, c, key, ttl, load, opts...)
	return r.Value, err
}

// FetchResult is read-through with the key's Policy (see Policy for a value's life: fresh, stale while
// revalidating, fail-safe), returning the value with its metadata. ttl is the fresh TTL (0 = configured,
// see TTLFor); the store keeps the value for ttl plus the policy's stale window.
//
// Loads: concurrent Fetches of one key and type in this process share one load. The caller whose call
// started the load gets the loaded value itself; every other caller its own copy, decoded from the
// encoded value; Fetches of one key with different types never share a load. A load runs with the
// starting caller's context values, without its cancellation, bounded by Policy.HardTimeout; each caller
// stops waiting when its own ctx is done; loads end when the Cache is closed. The loaded value is
// returned the moment it exists: writing it to the store happens behind it, so a slow or failing store
// never delays it. Until that write lands, another Fetch of the key in this process gets the loaded
// value, but a Get, View or Exists (or another process) may still miss; Set, Delete and the Clear calls
// of this process always come after it (see Set). With Policy.Lease, loads are shared across
// processes too: the process that takes the key's lease in the store loads, the others wait for its
// value (polling, at most twice the lease) and load themselves only when the lease is free again
// without a value (the holder failed or died: at most the lease TTL later); lease.go has the protocol.
// FetchMany takes no leases.
//
// Failures: a panic in load is a *LoaderPanicError (ErrLoaderPanic). A failed load is served by a
// fail-safe value when one exists (Stale, LoadErr set) and its error returned otherwise; either way the
// loader is not called again for the key for Policy.FailBackoff. A result wrapping ErrNoValue is
// remembered for Policy.NegativeTTL. A value that cannot be encoded is an error wrapping codec.ErrEncode.
// Fetch never fails because of the store: when a store call fails for any reason but the caller's own
// (invalid key or TTL, closed Cache, ctx done), Fetch loads and serves the loaded value, counting the
// failure in Counters.StoreErrors. The store read takes at most the fetch read timeout
// (WithFetchReadTimeout, default DefaultFetchReadTimeout) and, when ctx has a deadline, a quarter of the
// time left, so the loader always has most of it. A value a tiered store serves from its L1 while L2
// fails (its fail-safe) comes back flagged Stale and counts in Counters.StaleServed. A stored value
// that does not fit T is loaded again and overwritten (Counters.TypeMismatches); a corrupt one is
// deleted and loaded.
func FetchResult[T any](ctx context.Context, c *Cache, key string, ttl time.Duration, load func(ctx context.Context) (T, error), opts ...FetchOption) (Result[T], error) {
	var zero Result[T]
	if err := c.check(ctx, "fetch", key); err != nil {
		return zero, err
	}
	ttl, err := c.resolveTTL("fetch", key, ttl)
	if err != nil {
		return zero, err
	}
	full, err := c.fullKey("fetch", key)
	if err != nil {
		return zero, err
	}
	fo := fetchOptions{policy: c.policyFor(key)}
	for _, opt := range opts {
		opt(&fo)
	}
	p := fo.policy
	if err := fo.err(); err != nil {
		return zero, opErr("fetch", key, err)
	}
	job := &loadJob[T]{c: c, key: key, full: full, ttl: ttl, p: p, load: load, ctx: context.WithoutCancel(ctx), maxAge: fo.maxAge}
	defer c.startTimer().stop(OpFetch, key)

	// 1. The cache.
	var fallback *Result[T] // a fail-safe value, if the cache holds one
	var v T
	readCtx, cancel := c.storeShare(ctx)
	job.readBudget = c.readBudget(ctx)
	job.readUntil = time.Now().Add(job.readBudget)
	m, err := c.get(store.WithStaleNote(readCtx, &job.note), OpFetch, key, &v)
	cancel()
	now := c.now()
	switch {
	case err == nil:
		r := Result[T]{Value: v, Cached: true, WrittenAt: m.WrittenAt, FreshUntil: m.SoftExpiry}
		if !m.WrittenAt.IsZero() {
			r.Age = now.Sub(m.WrittenAt)
		}
		tooOld := fo.maxAge > 0 && (m.WrittenAt.IsZero() || r.Age > fo.maxAge)
		fresh := m.SoftExpiry.IsZero() || now.Before(m.SoftExpiry)
		switch {
		case tooOld:
			c.observe(OpFetch, key, OutcomeMiss)
		case fresh && job.note.Stale():
			// A copy the store could not confirm (a tiered L1 entry served while L2 fails): as good as
			// it was a moment ago, flagged; no refresh, since writing it back would fail too.
			r.Stale = true
			c.servedStale(key, r.Age, true)
			return r, nil
		case fresh:
			if p.EarlyRefresh > 0 && earlyRefreshDue(m, now, p.EarlyRefresh) && c.failures.get(full, now) == nil {
				job.startInBackground(m)
			}
			c.observe(OpFetch, key, OutcomeHit)
			return r, nil
		default:
			r.Stale = true
			past := now.Sub(m.SoftExpiry)
			if past < p.StaleWhileRevalidate {
				if c.failures.get(full, now) == nil { // no refresh while a failure backs off
					job.startInBackground(m)
				}
				c.servedStale(key, r.Age, true)
				return r, nil
			}
			c.observe(OpFetch, key, OutcomeMiss)
			if past < p.FailSafe {
				fallback = &r
			}
		}
	case isMiss(err):
		c.observe(OpFetch, key, OutcomeMiss)
	case errors.Is(err, ErrTypeMismatch): // reported by decodeFailed
	case isCallerError(err) || ctx.Err() != nil:
		return zero, err
	default:
		c.counts.storeErrors.Add(1)
		c.observe(OpFetch, key, OutcomeError)
		job.readFailed = true
	}

	// 2. A recent failure or negative result of this key answers without calling the loader.
	if f := c.failures.get(full, now); f != nil {
		if fallback != nil && !errors.Is(f.err, ErrNoValue) {
			fallback.LoadErr = f.err
			c.servedStale(key, fallback.Age, false)
			return *fallback, nil
		}
		return zero, f.err
	}

	// 3. Load, sharing the flight of this key and type.
	fl, started := job.start()
	var soft <-chan time.Time
	if fallback != nil && p.SoftTimeout > 0 {
		t := time.NewTimer(p.SoftTimeout)
		defer t.Stop()
		soft = t.C
	}
	select {
	case <-ctx.Done():
		return zero, opErr("fetch", key, ctx.Err())
	case <-soft: // the load goes on and updates the cache when it lands
		c.servedStale(key, fallback.Age, false)
		return *fallback, nil
	case <-fl.ready:
	}
	if fl.err != nil {
		if fallback != nil && !errors.Is(fl.err, ErrNoValue) {
			fallback.LoadErr = fl.err
			c.servedStale(key, fallback.Age, false)
			return *fallback, nil
		}
		return zero, fl.err
	}
	if fo.maxAge > 0 && !fl.meta.WrittenAt.IsZero() && c.now().Sub(fl.meta.WrittenAt) > fo.maxAge {
		// The flight joined answered from a value a writer elsewhere had just stored, older than ours.
		return zero, opErr("fetch", key, fmt.Errorf("%w: no value within MaxAge %v", ErrNotFound, fo.maxAge))
	}
	r := Result[T]{WrittenAt: fl.meta.WrittenAt, FreshUntil: fl.meta.SoftExpiry}
	if !r.WrittenAt.IsZero() {
		r.Age = max(0, c.now().Sub(r.WrittenAt))
	}
	if started {
		r.Value = fl.val.(T)
		return r, nil
	}
	c.counts.coalesced.Add(1)
	if _, err := c.decode(fl.data, &r.Value, full); err != nil {
		// Cannot happen for a value that encoded, short of a type whose encoding does not decode.
		return zero, opErr("fetch", key, err)
	}
	return r, nil
}

// DefaultFetchReadTimeout is how long Fetch waits for the store before loading instead, unless
// WithFetchReadTimeout says otherwise. A healthy Redis nearby answers in well under a millisecond; a
// hung one would otherwise hold every Fetch for the store's whole budget (about a second) until its
// circuit breaker opens. The wait includes waiting for a free pool connection: with many more
// concurrent callers than pool_size, reads queued longer than this load instead (raise pool_size, or
// the timeout). 50 ms met the fault goal as well but gave up on queued reads under a burst of 100
// concurrent FetchMany callers on a loaded 2-core machine.
const DefaultFetchReadTimeout = 100 * time.Millisecond

// storeShare bounds a store read inside Fetch by readBudget, so a hung store never holds the loader
// back for long (see WithFetchReadTimeout): a deadline when ctx has one (a quarter of its time left),
// otherwise a store.WithReadBudget hint, which the stores that do I/O honour without a timer per call.
func (c *Cache) storeShare(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return context.WithTimeout(ctx, c.readBudget(ctx))
	}
	if c.fetchRead > 0 {
		return store.WithReadBudget(ctx, c.fetchRead), func() {}
	}
	return ctx, func() {}
}

// readBudget is what a store read inside Fetch may take: the Cache's fetch read timeout, and at most a
// quarter of ctx's remaining time when it has a deadline; an hour (the store's own budget then bounds
// the call) when neither applies.
func (c *Cache) readBudget(ctx context.Context) time.Duration {
	budget := time.Hour
	if c.fetchRead > 0 {
		budget = c.fetchRead
	}
	if d, ok := ctx.Deadline(); ok {
		budget = min(budget, time.Until(d)/4)
	}
	return budget
}

// earlyRefreshDue reports, at random, whether a fresh value should be refreshed before it expires: never
// before (1-f) of its fresh TTL has passed, then with a probability rising linearly to 1 at expiry.
func earlyRefreshDue(m codec.Meta, now time.Time, f float64) bool {
	if m.WrittenAt.IsZero() || m.SoftExpiry.IsZero() {
		return false
	}
	life := m.SoftExpiry.Sub(m.WrittenAt)
	if life <= 0 {
		return false
	}
	elapsed := float64(now.Sub(m.WrittenAt)) / float64(life)
	start := 1 - f
	return elapsed > start && rand.Float64() < (elapsed-start)/f
}

// loadJob is one load of a key: what it needs to run in the background and to write its result.
type loadJob[T any] struct {
	c         *Cache
	key, full string
	ttl       time.Duration // fresh TTL
	p         Policy
	load      func(context.Context) (T, error)
	ctx       context.Context // the starting caller's values, never cancelled
	maxAge    time.Duration   // the caller's MaxAge, 0 for none
	refresh   bool            // a refresh of a value still usable, written at refreshOf
	refreshOf time.Time

	note       store.StaleNote // marked when the store served an unconfirmed copy (tiered fail-safe)
	readFailed bool            // the caller's store read failed: no double-check
	readBudget time.Duration   // what a store read inside this Fetch may take
	readUntil  time.Time       // the end of the caller's store share: the double-check takes what is left
}

// start joins the flight of the job's key and type, starting the load when none runs; started says
// whether this call started it.
func (j *loadJob[T]) start() (*flight, bool) {
	fl, started := j.c.flights.join(flightKey{j.full, reflect.TypeFor[T]()}, j.usable)
	if started {
		go j.run(fl)
	}
	return fl, started
}

// usable reports whether a loaded value with meta m serves this job's caller: not past its fresh time,
// not older than MaxAge, and for a refresh newer than the value refreshed.
func (j *loadJob[T]) usable(m codec.Meta) bool {
	now := j.c.now()
	if !m.SoftExpiry.IsZero() && !now.Before(m.SoftExpiry) {
		return false
	}
	if j.refresh && !m.WrittenAt.After(j.refreshOf) {
		return false // a refresh wants a newer value than the one it refreshes
	}
	return j.maxAge <= 0 || (!m.WrittenAt.IsZero() && now.Sub(m.WrittenAt) <= j.maxAge)
}

// startInBackground starts a refresh unless one runs already; nobody waits for it.
func (j *loadJob[T]) startInBackground(of codec.Meta) {
	r := *j
	r.refresh, r.refreshOf = true, of.WrittenAt
	r.readUntil = time.Time{} // nobody waits: the double-check gets a share of its own
	r.start()
}

// run loads, releases the waiters, then writes the value to the store and ends the flight.
func (j *loadJob[T]) run(fl *flight) {
	c := j.c
	defer c.flights.end(fl)
	ctx, release := c.loadContext(j.ctx)
	defer release()
	writeCtx := ctx
	if j.p.HardTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, j.p.HardTimeout)
		defer cancel()
	}
	// Double-check: a flight that ended between this caller's read and its join has written its value;
	// use it rather than loading again (one store read, against one loader call). A refresh takes only
	// a value newer than the one it refreshes. Skipped when the caller's read failed (the store is
	// failing: the loader must not wait for it), and bounded like that read.
	if data, err := j.recheck(); err == nil && j.takeStored(fl, data) {
		return
	}
	lease, done := j.awaitLease(ctx, fl)
	if done {
		return
	}
	defer lease.release(writeCtx) // after the write below: waiters elsewhere find the value first
	val, err := callLoader(c, j.key, func() (T, error) { return j.load(ctx) })
	now := c.now()
	if err != nil {
		switch {
		case errors.Is(err, ErrNoValue) && j.p.NegativeTTL > 0:
			c.failures.put(j.full, err, now.Add(j.p.NegativeTTL))
		case !errors.Is(err, ErrNoValue) && j.p.FailBackoff > 0:
			c.failures.put(j.full, err, now.Add(j.p.FailBackoff))
		}
		fl.finish(nil, nil, codec.Meta{}, err)
		return
	}
	m, keep := c.lifetime(j.p, j.ttl, now)
	m.Version = versionOf(val)
	data, err := c.encodeMeta("fetch", j.key, val, m)
	if err != nil {
		fl.finish(nil, nil, codec.Meta{}, err)
		return
	}
	c.failures.clear(j.full)
	fl.finish(val, data, m, nil)
	// Behind the callers: the flight stays joinable (and answers at once) until the write is done, so a
	// Fetch arriving meanwhile neither loads again nor misses.
	if c.closed.Load() || !c.flights.beginWrite(fl) {
		return // closed, or invalidated or overwritten since the load began
	}
	if err := c.writeLoaded(writeCtx, j.full, data, keep); err != nil {
		c.counts.storeErrors.Add(1)
	}
}

// lifetime returns the envelope times of a value loaded now with fresh TTL ttl (shortened by the
// policy's jitter) and how long the store keeps it: the fresh TTL plus the policy's stale window, or
// only the fresh TTL for a plain value, which carries no fresh-until and must not outlive it.
func (c *Cache) lifetime(p Policy, ttl time.Duration, now time.Time) (codec.Meta, time.Duration) {
	fresh := ttl
	if p.Jitter > 0 {
		fresh -= time.Duration(rand.Float64() * p.Jitter * float64(fresh))
	}
	m := codec.Meta{WrittenAt: now, SoftExpiry: now.Add(fresh)}
	if c.plainJSON {
		return m, fresh
	}
	return m, fresh + p.window()
}

// takeStored finishes the flight with a stored value, when it is one this job's callers can use (it
// carries a fresh-until, written by a Fetch, and is usable), and reports whether it did.
func (j *loadJob[T]) takeStored(fl *flight, data []byte) bool {
	var v T
	m, err := j.c.decode(data, &v, j.full)
	if err != nil || m.SoftExpiry.IsZero() || !j.usable(m) {
		return false
	}
	fl.finish(v, data, m, nil)
	return true
}

// recheck reads the key again for run's double-check, within the caller's store share.
func (j *loadJob[T]) recheck() ([]byte, error) {
	if j.readFailed {
		return nil, ErrUnavailable
	}
	until := j.readUntil
	if until.IsZero() { // a background refresh: its own share
		until = time.Now().Add(j.readBudget)
	}
	if !time.Now().Before(until) {
		return nil, ErrUnavailable // the caller's read used its whole share: the store is slow, load
	}
	ctx, cancel := context.WithDeadline(j.ctx, until)
	defer cancel()
	return j.c.st.Get(ctx, j.full)
}

// callLoader runs a loader, counting it, and turns a panic into a *LoaderPanicError.
func callLoader[T any](c *Cache, key string, load func() (T, error)) (val T, err error) {
	c.counts.loads.Add(1)
	o := c.observer()
	var began time.Time
	if o != nil {
		began = time.Now()
	}
	defer func() {
		outcome := OutcomeOK
		if r := recover(); r != nil {
			c.counts.loaderPanics.Add(1)
			err = panicError(key, r)
			outcome = OutcomePanic
			c.log.keyEvent(slog.LevelError, "loader_panic", "cachekit: a loader panicked (recovered, returned as an error)", key, err)
		}
		if err != nil {
			c.counts.loadErrors.Add(1)
			if outcome == OutcomeOK {
				outcome = OutcomeError
			}
		}
		if o != nil {
			kind := kindOf(key)
			o.Count(OpLoad, kind, outcome, 1)
			o.Time(OpLoad, kind, time.Since(began))
		}
	}()
	return load()
}
