// Package tiered is a two-tier store.Store: a fast L1 (usually the in-process memory backend) in front of
// a shared L2 (usually Redis), kept coherent across every instance that shares the L2. It composes any
// two Stores and never imports a concrete backend. Import it for its side effect to make the "tiered" URL
// scheme available, or call New:
//
//	tiered://?l1=memory%3A%2F%2F%3Fmax_bytes%3D64MiB&l2=redis%3A%2F%2F127.0.0.1%3A6379%2F0&l1_ttl=2s
//
// # Reads and writes
//
// Get reads L1, then L2; an L2 hit is copied into L1 ("backfill") for the key's remaining L2 lifetime,
// capped by Options.L1MaxTTL, so an L1 entry never outlives its L2 entry. GetMany asks L2 only for the L1
// misses, in one call. When L2 implements store.TTLReader the value and its lifetime come in one round
// trip; otherwise a backfill costs a TTL call per key.
//
// The Store is a store.Viewer and a store.DecodedCache: on an L1 hit, View lends L1's bytes and
// GetDecoded returns the decoded form L1 keeps (when L1 implements those interfaces, as the memory
// backend does), so a hot key costs neither a copy nor a decode; misses read L2 as Get does.
//
// Writes go through: L2 first, then L1, so the next local read sees the write (read-your-writes). An L1
// that refuses the value (store.ErrNotStored) is not an error for the caller, since L2 has it; the key is
// then removed from L1 so that no older value stays there. Delete, DeletePattern and Add apply to both
// tiers; Scan and TTL are L2's, the source of truth. DeleteIfValue (store.CompareDeleter, the release of
// a lease) is L2's atomic compare-and-delete; when it deletes, L1 drops the key and the invalidation is
// published, as Delete does.
//
// A write whose outcome is unknown — Set, SetMany, Add, Delete or DeleteIfValue failing with
// store.ErrUnavailable, typically a timeout after the command was sent, which Redis may still apply once
// it answers again — is treated as if it had landed: the keys are dropped from this Store's L1 (recorded
// through the guard like every change, so no concurrent backfill puts the older value back) and their
// invalidation is published (a publication that fails is followed by a flush broadcast once L2
// answers). This Store therefore never serves the older value afterwards; its next read of the key goes
// to L2 and sees whatever L2 ends up holding. Other instances drop their copies when that invalidation or
// flush arrives, or when their subscription resyncs; until then a copy they hold lasts at most its L1
// lifetime (L1MaxTTL). Only a refusal before any I/O (invalid key or TTL, a closed store, ErrNotStored)
// leaves L1 alone. An open circuit breaker's store.ErrCircuitOpen, which wraps store.ErrUnavailable, is
// treated as unknown too (a multi-key write may join it with another node's timeout).
//
// # Coherence across instances
//
// On the pub/sub path (Options.Invalidation InvalidationPubSub, or the default when L2 cannot track;
// see "Server-assisted tracking" for the default path over Redis), when L2 implements
// store.Broadcaster (the Redis backend does, with pub/sub) and Options.DisableInvalidation is false,
// every write, delete and pattern delete publishes an invalidation
// on Options.Channel, and every instance drops the affected L1 entries when it arrives. Instances that
// share keys must share the channel (the default, DefaultChannel, is shared by everyone on the L2);
// unrelated fleets may use separate channels to save traffic. Messages carry the sender's random 16-byte
// instance id first, so an instance recognises its own echoes by comparing that prefix, without decoding.
// Each message then carries the sender's write time (when the oldest write of its batch completed, as
// 8 bytes of Unix nanoseconds), so that receivers can report how long the old value could still be
// served (see "Invalidation events"). It travels in a leading entry shaped as a key entry that no
// keyspace key can be, not in a new message version: a receiver of the first release, which flushes its
// L1 on a version or entry kind it does not know, reads it as a key to drop, so both releases mix during
// a rolling upgrade without a flush per message, and a message of the first release (no write time)
// reads here as one without a lag. The format is described in message.go.
//
// Guarantees, and their limits:
//   - Once an invalidation has arrived at an instance, that instance never serves the older value, not
//     even briefly: an L1 insert (backfill or write-through) whose L2 call raced a change of its key is
//     refused, the check and the insert being atomic with respect to the change under a per-key-stripe
//     lock (see guard.go). Likewise a local write is visible to the next local read (read-your-writes),
//     whatever runs concurrently.
//   - A lost invalidation cannot leave an entry stale for long. When the subscription drops and is
//     re-established (store.Event.Resync), L1 is flushed: everything in it was put there by this Store
//     alone, so L1 must not be shared with anything else. A publication that fails, or a backlog that
//     overflows the publish queue, is followed by a flush broadcast once L2 answers again. In every case,
//     including a connection that dies silently, Options.L1MaxTTL bounds how long a stale entry can be
//     served. L1 is not bypassed while the subscription is down, because during an L2 outage serving L1
//     hits is the point; lower L1MaxTTL where staleness costs more than L2 round trips.
//   - Invalidations are published asynchronously, in order, by one goroutine per Store that batches what
//     accumulated while the previous publication was in flight; a write does not wait for it. Other
//     instances may therefore serve the old value for the publication delay after Set returns (about one
//     L2 round trip plus delivery; see the benchmarks). Options.SyncPublish makes writes wait until their
//     invalidation has been handed to L2, which adds that round trip to every write but still does not
//     mean other instances have processed it.
//
// # Server-assisted tracking
//
// By default (Options.Invalidation "" or InvalidationAuto; URL option invalidation=auto, or true), and
// with InvalidationTracking, when L2 is a store.Tracker (the Redis backend: client tracking in broadcast
// mode on every master, re-armed after reconnects and failovers), Redis itself reports every write,
// delete, expiry or eviction of a key under Options.TrackPrefix, by any client (redis-cli, the Python
// bot, another service), and every instance drops those keys from L1. Writes then publish nothing (the
// server tells everyone), pattern deletes included: L2 deletes the matching keys one by one and each is
// reported. A FLUSHALL/FLUSHDB, and every re-arm after a drop (store.TrackEvent Resync), flush L1, by
// the same resync-and-flush rule as the pub/sub path; InvalidationWatcher events are the same too
// (Received with the number of keys and Lag 0, since the server sends no write time; Lost then Restored
// around a re-arm). Measured over loopback (TestTrackExternalWrites*): an external SET or DEL stops
// being served by both instances at p50 about 1 ms, p99 a few ms, standalone and Cluster, also after a
// Cluster failover. An expiring key is never served past its expiry anyway: its L1 copy takes the key's
// remaining L2 lifetime; the server's report of the expiry comes later (Redis expires keys on access or
// in its active cycle, up to about 100 ms at hz 10).
//
// Own writes. The server reports this instance's own writes too, and such an echo cannot be told apart
// from an external write and skipped: Redis merges the writes of one key made in one event-loop
// iteration into one report, so an external write right after ours would be hidden. An echo is
// therefore applied like every report (the key leaves L1, through the guard), and a key this Store
// wrote through to L1 (Set, SetMany, Add) within the last couple of seconds is then refilled from L2 in
// the background: one worker goroutine per Store, batching keys into one L2 read
// (store.GetManyWithTTL), never on a caller's path. A refill is the guarded backfill of a read: its
// snapshot is taken after the drop, before the L2 read, and its copy is inserted only if no change of
// the key was recorded meanwhile, so a later report (an external write after ours) still wins, and the
// copy takes L2's remaining lifetime capped by L1MaxTTL. Between the echo and the refill, about one
// round trip after the write and another one, a read of the key goes to L2. Each own write thus costs
// L2 one GET more than on the pub/sub path, instead of a PUBLISH per batch of writes delivered to every
// subscriber (see BenchmarkTieredSetInvalidation). Stats.Extra counts "refills" and
// "refills_discarded"; at most 8192 own writes wait for their echo at a time (beyond that a write's
// copy is dropped by its echo and the next read backfills it).
//
// Tracking is unavailable, and the default (auto) uses the pub/sub path instead, when L2 is not a
// store.Tracker (not Redis: a memory L2 has neither path), or when the server refuses CLIENT TRACKING
// (Redis older than 6, the command renamed or denied by an ACL: store.ErrTrackingUnsupported or
// store.ErrDenied at the first attempt); an unreachable L2 is retried, publishing meanwhile (state
// "pending"). InvalidationState reports the path in use. Options.TrackPrefix "" tracks every key of the
// database (every instance hears of every write to the server); the root package's Open sets it to the
// Cache's keyspace prefix (such as "qrl:v1:") when a tiered URL names no track_prefix, and refuses one that
// does not cover that prefix. Keys outside
// TrackPrefix are bounded by L1MaxTTL only.
//
// Mixed fleets: an instance on the tracking path no longer publishes, and a release of this package
// before tracking only hears pub/sub. In a fleet that shares keys, upgrade every instance of such an
// older release first (a new instance hears the old ones' writes through the server's reports, but they do not hear its),
// or set the whole fleet to invalidation=pubsub (Options.Invalidation InvalidationPubSub) until then;
// otherwise the old instances keep serving what new ones overwrite until their L1MaxTTL.
//
// # L2 outage
//
// L1 hits keep being served. A miss, and every write, fails with L2's error (store.ErrUnavailable from
// the Redis backend) after L2's own timeouts, or after Options.L2Timeout when that is set; while a
// circuit breaker of the Redis backend is open, at once (store.ErrCircuitOpen). The pub/sub subscription
// does not touch L1 when it drops: L1's copies survive the outage (so the fail-safe can serve them), and
// L1 is flushed when the subscription is re-established (store.Event.Resync), as after any drop.
//
// # L1 fail-safe
//
// Options.L1FailSafe (URL option l1_fail_safe, e.g. 30s; 0, the default, is off) lets L1 serve a copy
// past its L1 lifetime while L2 fails, instead of failing the read once the short L1 lifetime is up:
//   - Every L1 copy is kept for its L1 lifetime (as above: L2's remaining lifetime capped by L1MaxTTL)
//     plus the window L1FailSafe; its logical expiry stays the L1 lifetime. Within it, an L1 hit is
//     served as without the fail-safe. Past it the copy is never served fresh: the read goes to L2, as
//     an L1 miss does, and if L2 answers the normal path applies (an L2 hit replaces the copy; an L2
//     miss removes it and is a miss). So once L2 answers again, every copy past its L1 lifetime is
//     re-validated or dropped before it is served again.
//   - Only when that L2 read fails with L2's own error (a timeout, a refused connection, an open
//     breaker, a denial; not the caller's ctx ending, an invalid key or a miss) is the copy served, stale:
//     by Get, View and GetDecoded, and by GetMany for the keys L2 could not answer (when some of them
//     has no copy left, GetMany fails as a whole, as without the fail-safe). The read's
//     store.StaleNote, if the caller attached one (store.WithStaleNote; the root Cache's Fetch does), is
//     marked, and Stats.Extra["stale_served"] counts each key so served (a stale serve is also an L1 hit).
//   - A copy is never served past its L1 lifetime plus L1FailSafe: L1 no longer holds it.
//   - Coherence window: a stale copy is served only while L2 fails, and flagged. After L2 answers again,
//     a copy still within its L1 lifetime may hide a newer value another instance wrote during the
//     outage (its invalidation was lost) until the earlier of the copy's L1 lifetime end (at most
//     L1MaxTTL) and this Store's resubscription, whose Resync flushes L1, or the writer's flush broadcast
//     arrives — exactly as without the fail-safe. The fail-safe adds no unflagged staleness.
//
// The hit path then costs one clock read more (L1 must compare the copy's remaining lifetime with the
// window); with the memory backend as L1 it is one lookup, with another L1 a TTL call and the read.
//
// # Circuit breakers
//
// The Store is a store.BreakerWatcher: WatchBreakers registers with its tiers (L2's Redis backend keeps
// one breaker per endpoint), and Stats.Breakers lists the tiers' breakers (L1's, then L2's) at the top
// level, also while L2 cannot report its other stats.
//
// # Invalidation events
//
// The Store is a store.InvalidationWatcher (when invalidation is on): WatchInvalidations reports every
// message from another instance that dropped keys from L1 (InvalidationReceived, with its lag from the
// sender's write, the number of keys and patterns, and whether L1 was flushed), and every drop of the
// subscription after the first (SubscriptionLost, then SubscriptionRestored once the resync flushed
// L1). Echoes of this Store's own messages make no event. Watchers are called from one goroutine of the
// Store, never inside a caller's call; events wait on a bounded queue, and those that do not fit are
// dropped and counted, so a slow watcher never delays invalidation. The Redis backend re-establishes a
// dropped subscription by itself and reports only the resync: the Store learns of such a drop, and
// reports its SubscriptionLost, just before the SubscriptionRestored. See WatchInvalidations.
//
// The Store is a store.Composite: Tiers returns L1 and L2, which it still owns.
//
// # Stats
//
// Stats.Backend is "tiered"; Tiers holds L1's and L2's own Stats; Hits counts lookups served by either
// tier, Misses those neither had. Keys, UsedBytes, PeakBytes, MaxBytes, Evictions, RejectedSets,
// EvictionPolicy and PolicyNote are L2's. Extra holds "l1_hits" (from L1's own Stats.Hits, so the L1 hit
// path counts nothing itself), "l2_hits", "misses", "backfills", "backfills_discarded" (skipped because a
// change of the key raced them, or L1 refused them), "refills" and "refills_discarded" (own writes
// refilled after their tracking echo, see "Server-assisted tracking"), "invalidations_sent", "invalidations_received", "echoes_ignored",
// "l1_flushes", "publish_failures", "stale_served" (keys served stale by the L1 fail-safe) and
// "invalidation_events_dropped" (events WatchInvalidations could not queue for a slow watcher).
package tiered
