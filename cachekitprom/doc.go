// Package cachekitprom exports a cachekit Cache's metrics to Prometheus with the official client
// (client_golang). It is a package of its own so that a program that does not import it links no
// Prometheus code.
//
//	c, err := cachekit.Open(ctx, url)
//	...
//	prometheus.MustRegister(cachekitprom.New(c))
//	http.Handle("/metrics", promhttp.Handler())
//
// New makes the Collector the Cache's Observer (cachekit.Cache.SetObserver) and watches the store's
// invalidation events when it has them (the tiered store). Two Caches in one registry need
// WithConstLabels to tell them apart, else the second Register fails.
//
// # Metrics
//
// From the Cache's operations, as they happen:
//
//	cachekit_operations_total{op,kind,outcome}       counter: keys of each operation by outcome
//	cachekit_operation_duration_seconds{op}          histogram: call durations, sampled (see below)
//	cachekit_load_duration_seconds{kind}             histogram: every loader call
//	cachekit_stale_age_seconds{kind}                 histogram: age of every value Fetch served stale
//
// op is get, view, get_many, fetch, fetch_many, set (Set and Add), set_many, delete (Delete,
// DeletePattern, ClearSymbol, ClearAll: one per call) or load (a loader call). outcome is hit, miss,
// stale, error (the store failed or refused), type_mismatch, corrupt (also counted as the miss it reads
// as, so a hit ratio is hit / (hit + miss + stale)), ok (a write, delete or load) or panic (a loader
// that panicked, not also counted as error). A series appears once its count is non-zero.
//
// From the Cache's Counters, without I/O: cachekit_fetch_coalesced_total,
// cachekit_fetch_store_errors_total, cachekit_leases_taken_total, cachekit_lease_waits_total,
// cachekit_encode_errors_total, cachekit_writes_skipped_total (values not written while a breaker was open).
//
// From Cache.Stats, read at each scrape within WithScrapeTimeout (default 1 s):
//
//	cachekit_store_up                                gauge: 1 when the store reported its Stats, else 0
//	cachekit_namespace_keys                          gauge: keys of this namespace (a SCAN count, ≤ 10 s old)
//	cachekit_store_keys{tier}                        gauge: keys of the tier, all namespaces
//	cachekit_store_memory_bytes{tier}                gauge
//	cachekit_store_memory_max_bytes{tier}            gauge: 0 means unlimited
//	cachekit_store_evictions_total{tier}             counter
//	cachekit_store_rejected_sets_total{tier}         counter: Sets refused by admission
//	cachekit_store_hits_total{tier}                  counter: this client's lookups that found a value
//	cachekit_store_misses_total{tier}                counter
//	cachekit_store_eviction_policy_info{tier,policy} gauge: 1, the policy in the label
//	cachekit_breaker_state{endpoint,state}           gauge: 1 for the state in force (closed, half_open, open), 0 for the others
//	cachekit_breaker_opens_total{endpoint}           counter
//	cachekit_breaker_rejected_total{endpoint}        counter: calls failed at once while open
//
// tier is "l1" for an in-process store (the memory backend) and "l2" for a remote one (Redis); a
// tiered store reports its L1 and L2 as "l1" and "l2". A figure a store does not know is left out.
// When the store cannot report (Redis down, the scrape timeout passed, the Cache closed), the store
// gauges are left out and cachekit_store_up is 0, but the breakers are still shown: during an outage
// they matter most.
//
// A tiered store adds, from its Stats: cachekit_invalidations_sent_total,
// cachekit_invalidations_received_total, cachekit_invalidations_dropped_total (messages it failed to
// publish), cachekit_l1_flushes_total, cachekit_backfills_total and cachekit_l1_stale_served_total; and,
// from its invalidation events, cachekit_invalidation_lag_seconds (histogram: from another instance's
// write to this instance's L1 drop; only pub/sub messages (invalidation=pubsub) carry the write time,
// so on the default client-tracking path, whose reports from Redis carry none, it stays empty) and
// cachekit_invalidation_subscription_losses_total.
//
// # The kind bound
//
// kind is a key's first segment ("ticker" for "ticker:QRL/USDT"). Kinds come from keys, and keys from
// users, so the label set is bounded: the first WithMaxKinds kinds seen (default 32) get a label of their
// own, every later one is counted as kind="other" (as is a kind that is not valid UTF-8, and a real kind
// named "other"). A call over several keys at once (Delete, DeletePattern, ClearAll) has kind "".
//
// # Cost and sampling
//
// Counting is a lock-free map lookup and an atomic add per key: no allocation, no mutex once a kind is
// known (BenchmarkCount: about 20 ns on the project's CI VMs). Cache calls are timed for
// cachekit_operation_duration_seconds only about one call in cachekit.LatencySampleEvery (32), chosen at
// random: time.Now costs about 75 ns per call on those VMs, so timing every call would add two clock
// reads, 150 ns, to a memory hit that takes a few hundred: more than the rest of the metrics together.
// A sampled histogram still gives the latency distribution; its _count is about 1/32 of the calls, so
// rates come from cachekit_operations_total. Loader calls (which wait on an exchange or a database) are
// timed every time.
//
// Close removes the Observer; metrics counted so far stay exported.
package cachekitprom
