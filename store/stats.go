package store

// Stats is a snapshot of a store's counters and gauges. Counters count since the store was opened.
// A field the backend cannot know is -1 (numbers) or "" (strings).
type Stats struct {
	Backend string // "memory", "redis", "tiered", ...

	Hits   int64 // Get/GetMany lookups that found a value, as seen by this store value (this client)
	Misses int64 // lookups that found nothing

	Keys      int64 // keys held by the backend in total (all namespaces: DBSIZE on Redis)
	UsedBytes int64 // memory in use (value bytes in-process; used_memory on Redis)
	PeakBytes int64 // peak memory (used_memory_peak on Redis)
	MaxBytes  int64 // memory budget; 0 means unlimited

	Evictions    int64 // entries removed to make room (evicted_keys on Redis)
	RejectedSets int64 // Sets refused by admission (ErrNotStored)

	EvictionPolicy string // "tinylfu" in-process; maxmemory-policy on Redis
	PolicyNote     string // why the policy is not the requested one, e.g. CONFIG SET refused

	// Breakers is the state of the store's circuit breakers, one per endpoint (one per master of a
	// Cluster), in a stable order; empty when the store has none.
	Breakers []BreakerStats

	// Extra holds backend-specific counters under documented snake_case names (e.g. the tiered store's
	// "l1_hits", "backfills", "invalidations_received").
	Extra map[string]int64

	// Tiers holds the stats of the underlying stores of a composite store, outermost first (L1, L2).
	Tiers []Stats
}
