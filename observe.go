package cachekit

import (
	"math/rand/v2"
	"reflect"
	"time"
)

// Op names a Cache operation in what an Observer receives.
type Op uint8

// The operations an Observer hears of. Their String forms are the Prometheus label values.
const (
	OpGet       Op = iota // Get
	OpView                // View
	OpGetMany             // GetMany, one count per key
	OpFetch               // Fetch and FetchResult's cache lookup
	OpFetchMany           // FetchMany's cache lookups, one count per key
	OpSet                 // Set and Add
	OpSetMany             // SetMany, one count per entry
	OpDelete              // Delete, DeletePattern, ClearSymbol, ClearAll: one count per call
	OpLoad                // a loader call (Fetch, FetchMany, Warm)
	NumOps                // the number of operations, for arrays indexed by Op
)

var opNames = [NumOps]string{"get", "view", "get_many", "fetch", "fetch_many", "set", "set_many", "delete", "load"}

// String returns the operation's snake_case name ("get", "get_many", ...).
func (o Op) String() string {
	if o < NumOps {
		return opNames[o]
	}
	return "unknown"
}

// Outcome is how one key's operation ended.
type Outcome uint8

// The outcomes. A corrupt entry is reported twice, as OutcomeCorrupt and as the OutcomeMiss it reads
// as, the way Counters counts it, so hit ratios are hits / (hits + misses + stale).
const (
	OutcomeHit          Outcome = iota // found and fresh
	OutcomeMiss                        // nothing usable found (absent, expired, corrupt, too old)
	OutcomeStale                       // served past its fresh TTL, or a tiered copy L2 could not confirm
	OutcomeError                       // the store failed, or the write was refused
	OutcomeTypeMismatch                // a well-formed value of another shape (kept)
	OutcomeCorrupt                     // undecodable bytes, deleted
	OutcomeOK                          // a write, delete or load that succeeded
	OutcomePanic                       // a loader that panicked (one outcome per call: not also OutcomeError)
	OutcomeRefused                     // a versioned write refused: the store held a version at least as new
	NumOutcomes                        // the number of outcomes, for arrays indexed by Outcome
)

var outcomeNames = [NumOutcomes]string{"hit", "miss", "stale", "error", "type_mismatch", "corrupt", "ok", "panic", "refused"}

// String returns the outcome's snake_case name ("hit", "type_mismatch", ...).
func (o Outcome) String() string {
	if o < NumOutcomes {
		return outcomeNames[o]
	}
	return "unknown"
}

// LatencySampleEvery is how often a cache operation is timed for Observer.Time: about one call in
// LatencySampleEvery, chosen at random. Reading the clock twice costs as much as a whole in-process hit
// on some machines (150 ns measured on this project's CI VMs), so timing every call would double the
// cost the metrics are meant to show. Loader calls are always timed.
const LatencySampleEvery = 32

// Observer receives what a Cache does, as it happens: the hook behind the Prometheus collector
// (package cachekitprom). Methods are called on the caller's goroutine, inside the operation, so they
// must be fast and must not block or call back into the Cache. kind is the key's first segment
// ("ticker" for "ticker:QRL/USDT", the whole key when it has one segment; "" for a call over several
// keys); it may
// point into the caller's key, so an Observer that keeps it must copy it. An Observer bounds the kinds
// it keeps itself: kinds come from keys, which come from users.
type Observer interface {
	// Count reports n keys of op that ended with outcome.
	Count(op Op, kind string, outcome Outcome, n int)
	// Time reports the duration of one call of op: every loader call, and about one cache call in
	// LatencySampleEvery.
	Time(op Op, kind string, d time.Duration)
	// Stale reports a value served stale by Fetch or FetchMany, with its age (since it was written).
	Stale(kind string, age time.Duration)
}

// observerBox holds an Observer in an atomic.Pointer (an interface value cannot be stored atomically).
type observerBox struct{ o Observer }

// SetObserver makes o receive this Cache's operations from now on, replacing any earlier Observer; nil
// removes it. It is safe to call at any time, concurrently with operations; one that is in flight may
// report to the Observer it started with. A Cache has at most one Observer: combine several yourself.
func (c *Cache) SetObserver(o Observer) {
	if o == nil {
		c.obs.Store(nil)
		return
	}
	c.obs.Store(&observerBox{o})
}

// RemoveObserver removes o if it is still this Cache's Observer and reports whether it did; an Observer
// installed after o stays. Use it instead of SetObserver(nil) when several parts of a program may install
// one. An o whose type is not comparable (a func or a struct holding a slice) is never removed.
func (c *Cache) RemoveObserver(o Observer) bool {
	if o == nil || !reflect.TypeOf(o).Comparable() {
		return false
	}
	for {
		b := c.obs.Load()
		if b == nil || b.o != o {
			return false
		}
		if c.obs.CompareAndSwap(b, nil) {
			return true
		}
	}
}

// observer returns the Cache's Observer, or nil.
func (c *Cache) observer() Observer {
	if b := c.obs.Load(); b != nil {
		return b.o
	}
	return nil
}

// timer is a sampled call timing: zero when the call is not timed.
type timer struct {
	o     Observer
	began time.Time
}

// startTimer starts timing one call of an operation when an Observer is set and the call is sampled.
func (c *Cache) startTimer() timer {
	o := c.observer()
	if o == nil || rand.Uint32()%LatencySampleEvery != 0 {
		return timer{}
	}
	return timer{o: o, began: time.Now()}
}

// stop reports the call's duration if it was sampled.
func (t timer) stop(op Op, key string) {
	if t.o != nil {
		t.o.Time(op, kindOf(key), time.Since(t.began))
	}
}

// observe reports one key's outcome to the Observer, if any.
func (c *Cache) observe(op Op, key string, outcome Outcome) {
	if o := c.observer(); o != nil {
		o.Count(op, kindOf(key), outcome, 1)
	}
}

// opOf maps the operation names used in errors to an Op (Warm's read of what it would load: OpLoad;
// the delete family: OpDelete).
func opOf(name string) Op {
	switch name {
	case "get":
		return OpGet
	case "view":
		return OpView
	case "get_many":
		return OpGetMany
	case "fetch":
		return OpFetch
	case "fetch_many":
		return OpFetchMany
	case "set", "add":
		return OpSet
	case "set_many":
		return OpSetMany
	case "warm":
		return OpLoad
	}
	return OpDelete
}

// servedStale counts a stale value Fetch serves: always for Counters.StaleServed and the Observer's
// age histogram; as the lookup's outcome too when lookup says the cache read itself was judged stale
// (not a fallback served after a failed load, whose lookup was already reported).
func (c *Cache) servedStale(key string, age time.Duration, lookup bool) {
	c.counts.staleServed.Add(1)
	if o := c.observer(); o != nil {
		kind := kindOf(key)
		if lookup {
			o.Count(OpFetch, kind, OutcomeStale, 1)
		}
		o.Stale(kind, age)
	}
}
