package cachekit

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cachekit/cachekit/store"
)

// DefaultStatsTimeout bounds the server part of Stats unless WithStatsTimeout says otherwise.
const DefaultStatsTimeout = time.Second

// Namespace key counts are bounded, kept for a while and refreshed in the background, so that Stats
// never SCANs a large Redis on every call.
const (
	nsKeyCountLimit   = 1_000_000
	nsKeyCountMaxAge  = 10 * time.Second
	nsKeyCountTimeout = time.Minute // a background count of a huge namespace may take a while
)

// counters are the Cache's own counters. hits and misses are single atomics: striping them (tried with
// a random and a per-goroutine cell) measured no faster under b.RunParallel on a 2-core machine, where
// a hot key's readers share ristretto's shard lock and the memory backend's stripe anyway.
type counters struct {
	hits, misses, corrupt, typeMismatches, encodeErrors atomic.Int64
	loads, loadErrors, loaderPanics, coalesced          atomic.Int64
	storeErrors, staleServed                            atomic.Int64
	leasesTaken, leaseWaits                             atomic.Int64
	versionsRefused                                     atomic.Int64
	writesSkipped                                       atomic.Int64
}

// Counters are this Cache value's own counts since it was created. Reading them does no I/O and
// never fails, so they stay visible while the store is down.
type Counters struct {
	Hits           int64 // Get/GetMany/View/Fetch lookups answered from the cache
	Misses         int64 // lookups that found nothing (corrupt entries included)
	Corrupt        int64 // undecodable entries found, deleted and reported as misses
	TypeMismatches int64 // well-formed entries that did not fit the reader's type (kept)
	EncodeErrors   int64 // values that could not be encoded
	Loads          int64 // loader calls (Fetch, Warm)
	LoadErrors     int64 // loader calls that failed or panicked
	LoaderPanics   int64 // loader calls that panicked (recovered)
	Coalesced      int64 // Fetch callers that shared another caller's load
	StoreErrors    int64 // store failures Fetch worked around (value loaded and returned anyway)
	StaleServed    int64 // Fetch results flagged stale (past their fresh TTL, or a tiered fail-safe copy)
	LeasesTaken    int64 // cross-process leases this Cache took to load a key (Policy.Lease)
	LeaseWaits     int64 // loads skipped because another process's load, awaited, wrote the value
	// VersionsRefused counts versioned writes (SetVersioned, and Fetch writes of Versioned values) the
	// store refused because it held a version at least as new.
	VersionsRefused int64
	// WritesSkipped counts values not written because the store's circuit breaker was open
	// (store.ErrCircuitOpen: the write was not sent, so it was not applied): Set, Add, SetMany (each
	// entry), SetVersioned and Fetch's and FetchMany's writes of what they loaded.
	WritesSkipped int64
}

// HitRatio returns Hits / (Hits + Misses), or 0 before any lookup.
func (s Counters) HitRatio() float64 {
	if total := s.Hits + s.Misses; total > 0 {
		return float64(s.Hits) / float64(total)
	}
	return 0
}

// Counters returns the Cache's own counters, without I/O. It works after Close too.
func (c *Cache) Counters() Counters {
	return Counters{
		Hits:           c.counts.hits.Load(),
		Misses:         c.counts.misses.Load(),
		Corrupt:        c.counts.corrupt.Load(),
		TypeMismatches: c.counts.typeMismatches.Load(),
		EncodeErrors:   c.counts.encodeErrors.Load(),
		Loads:          c.counts.loads.Load(),
		LoadErrors:     c.counts.loadErrors.Load(),
		LoaderPanics:   c.counts.loaderPanics.Load(),
		Coalesced:      c.counts.coalesced.Load(),
		StoreErrors:    c.counts.storeErrors.Load(),
		StaleServed:    c.counts.staleServed.Load(),
		LeasesTaken:    c.counts.leasesTaken.Load(),
		LeaseWaits:     c.counts.leaseWaits.Load(),

		VersionsRefused: c.counts.versionsRefused.Load(),
		WritesSkipped:   c.counts.writesSkipped.Load(),
	}
}

// Stats is a snapshot of the Cache's counters plus its store's figures.
type Stats struct {
	Counters // always present, whatever the store does

	Store store.Stats // the backend's view (all namespaces); zero when StoreErr is set

	Namespace       string    // "qrl:v1:"
	NamespaceKeys   int64     // keys of this keyspace as of NamespaceKeysAt (SCAN count, at most 1,000,000)
	NamespaceKeysAt time.Time // when NamespaceKeys was counted; zero when no count exists yet
	KeysCapped      bool      // NamespaceKeys stopped at the limit
}

// Stats returns the Cache's counters, the store's stats and the number of keys in this keyspace. The
// server part is bounded by WithStatsTimeout (default 1 s) and by ctx. The namespace key count is a SCAN
// kept up to 10 s and then recounted in the background: Stats returns the last count with its time and
// waits for a count only when there is none yet.
//
// Stats always returns the counters. A non-nil error means some server figure could not be read (the
// store is down, ctx ended, the Cache is closed); the fields it concerns are then zero or stale.
func (c *Cache) Stats(ctx context.Context) (Stats, error) {
	s := Stats{Counters: c.Counters(), Namespace: c.ks.Prefix()}
	if err := c.check(ctx, "stats", ""); err != nil {
		return s, err
	}
	ctx, cancel := context.WithTimeout(ctx, c.stats)
	defer cancel()
	st, storeErr := c.st.Stats(ctx)
	if storeErr == nil {
		s.Store = st
	}
	n, countErr := c.nsKeys.get(ctx, c)
	s.NamespaceKeys, s.NamespaceKeysAt, s.KeysCapped = n.n, n.at, n.capped
	if errors.Is(storeErr, store.ErrUnavailable) && countErr != nil && (errors.Is(countErr, store.ErrUnavailable) || ctx.Err() != nil) {
		countErr = nil // the count failed for the same reason (unreachable, or out of the same time): one error says it
	}
	return s, errors.Join(storeErr, countErr)
}

// nsKeyCounter keeps the namespace key count and refreshes it in the background.
type nsKeyCounter struct {
	mu       sync.Mutex
	last     nsKeyCount
	lastErr  error
	counting chan struct{} // closed when the running count ends; nil when none runs
	gen      uint64        // bumped by forget, so a count that started before it is not kept
}

type nsKeyCount struct {
	n      int64
	capped bool
	at     time.Time
}

// get returns the last count, starting a recount when it is older than nsKeyCountMaxAge; with no count
// yet it waits for one until ctx ends.
func (k *nsKeyCounter) get(ctx context.Context, c *Cache) (nsKeyCount, error) {
	k.mu.Lock()
	last, done := k.last, k.counting
	if done == nil && (last.at.IsZero() || time.Since(last.at) > nsKeyCountMaxAge) {
		done = make(chan struct{})
		k.counting = done
		go k.count(c, done, k.gen)
	}
	k.mu.Unlock()
	if !last.at.IsZero() {
		return last, nil
	}
	select {
	case <-done:
		k.mu.Lock()
		defer k.mu.Unlock()
		return k.last, k.lastErr
	case <-ctx.Done():
		return last, opErr("stats", "", ctx.Err())
	}
}

// count SCANs the namespace, bounded by nsKeyCountTimeout and by the Cache's life.
func (k *nsKeyCounter) count(c *Cache, done chan struct{}, gen uint64) {
	ctx, cancel := context.WithTimeout(c.bg, nsKeyCountTimeout)
	defer cancel()
	// Counted without deduplication: SCAN reports a key twice only while Redis rehashes, and a set of a
	// million keys would cost more memory than the count is worth.
	var n int64
	capped := false
	err := c.st.Scan(ctx, c.ks.All(), func(string) bool {
		n++
		if n >= nsKeyCountLimit {
			capped = true
			return false
		}
		return true
	})
	k.mu.Lock()
	if err == nil && gen == k.gen {
		k.last = nsKeyCount{n: n, capped: capped, at: time.Now()}
	}
	k.lastErr = err
	k.counting = nil
	k.mu.Unlock()
	close(done)
}

// forget drops the kept count (after a write that changes it a lot): the next Stats counts again.
func (k *nsKeyCounter) forget() {
	k.mu.Lock()
	k.last = nsKeyCount{}
	k.gen++
	k.mu.Unlock()
}
