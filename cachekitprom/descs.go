package cachekitprom

import "github.com/prometheus/client_golang/prometheus"

// descs are the descriptors of the metrics exported as const metrics at scrape.
type descs struct {
	dOperations *prometheus.Desc

	// From Cache.Counters.
	dCoalesced, dFetchStoreErrors, dLeasesTaken, dLeaseWaits, dEncodeErrors *prometheus.Desc
	dWritesSkipped                                                          *prometheus.Desc

	// From Cache.Stats.
	dStoreUp, dNamespaceKeys                                            *prometheus.Desc
	dKeys, dBytes, dMaxBytes, dEvictions, dRejected, dHits, dMiss       *prometheus.Desc
	dPolicy                                                             *prometheus.Desc
	dBreakerState, dBreakerOpens, dBreakerRejected                      *prometheus.Desc
	dInvSent, dInvReceived, dInvDropped, dFlushes, dBackfills, dL1Stale *prometheus.Desc
}

func newDescs(constLabels prometheus.Labels) descs {
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc(name, help, labels, constLabels)
	}
	return descs{
		dOperations: d("cachekit_operations_total",
			"Cache operations by key: op, the key's kind (first segment, bounded) and outcome.", "op", "kind", "outcome"),

		dCoalesced:        d("cachekit_fetch_coalesced_total", "Fetch callers that shared another caller's load."),
		dFetchStoreErrors: d("cachekit_fetch_store_errors_total", "Store failures Fetch worked around (the value was loaded and returned anyway)."),
		dLeasesTaken:      d("cachekit_leases_taken_total", "Cross-process leases this Cache took to load a key."),
		dLeaseWaits:       d("cachekit_lease_waits_total", "Loads skipped because another process's load, awaited, wrote the value."),
		dWritesSkipped:    d("cachekit_writes_skipped_total", "Values not written because the store's circuit breaker was open (not sent, not applied)."),
		dEncodeErrors:     d("cachekit_encode_errors_total", "Values that could not be encoded."),

		dStoreUp:       d("cachekit_store_up", "1 when the store reported its Stats within the scrape timeout, else 0 (the namespace key count is not waited for)."),
		dNamespaceKeys: d("cachekit_namespace_keys", "Keys in this Cache's namespace (a SCAN count refreshed every 10 s, at most 1,000,000)."),
		dKeys:          d("cachekit_store_keys", "Keys held by the store tier, all namespaces.", "tier"),
		dBytes:         d("cachekit_store_memory_bytes", "Memory the store tier uses.", "tier"),
		dMaxBytes:      d("cachekit_store_memory_max_bytes", "Memory budget of the store tier; 0 means unlimited.", "tier"),
		dEvictions:     d("cachekit_store_evictions_total", "Entries the store tier evicted to make room.", "tier"),
		dRejected:      d("cachekit_store_rejected_sets_total", "Sets the store tier's admission refused.", "tier"),
		dHits:          d("cachekit_store_hits_total", "Lookups the store tier answered with a value (this client's).", "tier"),
		dMiss:          d("cachekit_store_misses_total", "Lookups that found nothing in the store tier (this client's).", "tier"),
		dPolicy:        d("cachekit_store_eviction_policy_info", "The store tier's eviction policy, as the policy label (value 1).", "tier", "policy"),

		dBreakerState:    d("cachekit_breaker_state", "Circuit breaker state per endpoint: 1 for the current state, 0 for the others.", "endpoint", "state"),
		dBreakerOpens:    d("cachekit_breaker_opens_total", "Times the endpoint's circuit breaker opened.", "endpoint"),
		dBreakerRejected: d("cachekit_breaker_rejected_total", "Calls the endpoint's open circuit breaker failed at once.", "endpoint"),

		dInvSent:     d("cachekit_invalidations_sent_total", "Keys this tiered store published invalidations of (pub/sub path; nothing on client tracking)."),
		dInvReceived: d("cachekit_invalidations_received_total", "Key invalidations this tiered store applied to its L1: other instances' writes on pub/sub; on client tracking, Redis's reports, which include the echoes of its own writes."),
		dInvDropped:  d("cachekit_invalidations_dropped_total", "Invalidation publishes this tiered store failed (each may carry several keys; L1s elsewhere then expire by l1_ttl)."),
		dFlushes:     d("cachekit_l1_flushes_total", "Whole-L1 flushes (a flush message, an undecodable one, or a resync after a lost subscription)."),
		dBackfills:   d("cachekit_backfills_total", "L2 hits copied into L1."),
		dL1Stale:     d("cachekit_l1_stale_served_total", "Keys L1 served stale because L2 could not confirm them (L1 fail-safe)."),
	}
}

// all returns every descriptor.
func (d *descs) all() []*prometheus.Desc {
	return []*prometheus.Desc{d.dOperations,
		d.dCoalesced, d.dFetchStoreErrors, d.dLeasesTaken, d.dLeaseWaits, d.dEncodeErrors, d.dWritesSkipped,
		d.dStoreUp, d.dNamespaceKeys, d.dKeys, d.dBytes, d.dMaxBytes, d.dEvictions, d.dRejected, d.dHits, d.dMiss,
		d.dPolicy, d.dBreakerState, d.dBreakerOpens, d.dBreakerRejected,
		d.dInvSent, d.dInvReceived, d.dInvDropped, d.dFlushes, d.dBackfills, d.dL1Stale}
}
