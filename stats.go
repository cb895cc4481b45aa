package cachekit

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/cachekit/cachekit/store"
)

// Namespace key counts are bounded and briefly cached so that Stats stays cheap on a large Redis.
const (
	nsKeyCountLimit = 1_000_000
	nsKeyCountTTL   = 2 * time.Second
)

// counters are the Cache's own counters. hits and misses are single atomics: striping them (tried with
// a random and a per-goroutine cell) measured no faster under b.RunParallel on a 2-core machine, where
// a hot key's readers share ristretto's shard lock and the memory backend's stripe anyway.
type counters struct {
	hits, misses, corrupt, encodeErrors atomic.Int64
	loads, loadErrors, coalesced        atomic.Int64
	storeErrors                         atomic.Int64
}

type nsKeyCount struct {
	n     int64
	exact bool
	at    time.Time
}

// Stats is a snapshot of the Cache's own counters plus its store's stats.
type Stats struct {
	Store store.Stats // the backend's view (all namespaces)

	Namespace     string // "qrl:v1:"
	NamespaceKeys int64  // keys of this keyspace (SCAN count, approximate on a rehashing Redis, at most 1,000,000, cached 2 s)
	KeysCapped    bool   // NamespaceKeys stopped at the limit

	Hits         int64 // Get/GetMany/Fetch lookups answered from the cache by this Cache value
	Misses       int64 // lookups that found nothing (corrupt entries included)
	Corrupt      int64 // undecodable entries found, deleted and reported as misses
	EncodeErrors int64 // values Set could not encode
	Loads        int64 // Fetch loader calls
	LoadErrors   int64 // Fetch loader calls that failed
	Coalesced    int64 // Fetch callers that shared another caller's load
	StoreErrors  int64 // Fetch results that could not be cached (returned anyway)
}

// HitRatio returns Hits / (Hits + Misses), or 0 before any lookup.
func (s Stats) HitRatio() float64 {
	if total := s.Hits + s.Misses; total > 0 {
		return float64(s.Hits) / float64(total)
	}
	return 0
}

// Stats returns the Cache's counters, the store's stats and the number of keys in this keyspace.
func (c *Cache) Stats(ctx context.Context) (Stats, error) {
	if err := c.check(ctx, "stats", ""); err != nil {
		return Stats{}, err
	}
	st, err := c.st.Stats(ctx)
	if err != nil {
		return Stats{}, err
	}
	n, capped, err := c.namespaceKeys(ctx)
	if err != nil {
		return Stats{}, err
	}
	return Stats{
		Store:         st,
		Namespace:     c.ks.Prefix(),
		NamespaceKeys: n,
		KeysCapped:    capped,
		Hits:          c.counts.hits.Load(),
		Misses:        c.counts.misses.Load(),
		Corrupt:       c.counts.corrupt.Load(),
		EncodeErrors:  c.counts.encodeErrors.Load(),
		Loads:         c.counts.loads.Load(),
		LoadErrors:    c.counts.loadErrors.Load(),
		Coalesced:     c.counts.coalesced.Load(),
		StoreErrors:   c.counts.storeErrors.Load(),
	}, nil
}

func (c *Cache) namespaceKeys(ctx context.Context) (int64, bool, error) {
	c.nsKeysMu.Lock()
	defer c.nsKeysMu.Unlock()
	if !c.nsKeys.at.IsZero() && time.Since(c.nsKeys.at) < nsKeyCountTTL {
		return c.nsKeys.n, !c.nsKeys.exact, nil
	}
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
	if err != nil {
		return 0, false, err
	}
	c.nsKeys = nsKeyCount{n: n, exact: !capped, at: time.Now()}
	return c.nsKeys.n, capped, nil
}

// invalidateKeyCount forgets the cached namespace key count (after a write that changes it a lot).
func (c *Cache) invalidateKeyCount() {
	c.nsKeysMu.Lock()
	c.nsKeys = nsKeyCount{}
	c.nsKeysMu.Unlock()
}
