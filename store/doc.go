// Package store defines the contract every cachekit backend implements: bytes in, bytes out, under full
// keys that the layers above (keyspace, codec, the root Cache) have already built and validated.
//
// A backend package implements Store, registers a URL scheme with Register in its init function (as
// database/sql drivers do), and proves its behaviour with the conformance suite in package conformance.
// The helpers CheckCall, CheckKey, CheckKeys, CheckItems, CheckTTL and CheckDecoder are the argument and
// state rules every backend applies first, written once; Match is the Redis glob an in-process backend
// selects keys with.
//
// # Optional interfaces
//
// A Store may also implement the interfaces below. A consumer detects each one with a type assertion,
// and every consumer has a fallback for a Store that lacks it, so an optional interface makes a Store
// faster, never more correct. Package conformance checks each one against the base path it accelerates
// (rule groups Viewer, DecodedCache, TTLReader, Broadcaster and Pinger); the functions View, GetDecoded,
// GetWithTTL, GetManyWithTTL and Ping run the interface when the Store has it and the fallback when it
// does not, so a consumer need not write either branch itself.
//
//   - Viewer (View: zero-copy read). Consumed by the root Cache (Get decodes straight from the lent
//     bytes) and by store/tiered (an L1 hit is lent, not copied). Fallback: Get, then fn on the copy:
//     one allocation per read. Implemented by store/memory and store/tiered.
//   - DecodedCache (GetDecoded: a decoded form kept beside each entry). Consumed by the root package's
//     View and Fetch hits (decode once per write) and by store/tiered (L1's form on an L1 hit).
//     Fallback: Get and decode on every call. Implemented by store/memory and store/tiered.
//   - TTLReader (GetWithTTL, GetManyWithTTL: value and lifetime in one round trip). Consumed by
//     store/tiered, to backfill L1 for L2's remaining lifetime. Fallback: Get, then TTL: a second round
//     trip per key. Implemented by store/redis.
//   - Broadcaster (Publish, Subscribe: messages between the processes sharing the backend). Consumed by
//     store/tiered, for cross-instance L1 invalidation. Fallback: none can be built from Store; without
//     it tiered does not invalidate across instances, and L1 entries are bounded by its L1MaxTTL only.
//     Implemented by store/redis.
//   - Pinger (Ping: the backend answers, touching no key). Consumed by the root Cache's Ping and by
//     store/tiered's Ping (for each tier). Fallback: a Get of a never-written key, whose miss counts as
//     an answer (and as a miss in Stats). Implemented by store/memory, store/redis and store/tiered.
//
// The zero-copy and key-lending rules of Viewer and DecodedCache let the root Cache pass a key that
// aliases a reused buffer: an implementation must not retain the key after the call returns (see
// Viewer), and conformance proves it by overwriting the buffer afterwards.
//
// # Wrapping a Store
//
// A type assertion sees only the methods of the value it is given: a Store that wraps another (for
// metrics, tracing, fault injection, key rewriting) hides every optional interface of the wrapped Store
// unless it implements the interface itself. A wrapper must therefore forward each optional interface
// the wrapped Store implements, by implementing it with the helpers above (View(ctx, inner, key, fn)
// and so on, which pick the inner Store's method or its fallback), or say in its documentation which it
// drops and what that costs (for instance: no Viewer means one copy per Cache read; no Broadcaster means
// a tiered store over it cannot invalidate other instances). A forwarding wrapper must keep the
// interface's rules, not just its signature: conformance runs them on it.
//
// store/tiered is a composite, not a wrapper, and says what it does with each: it implements Viewer,
// DecodedCache and Pinger over its two tiers (with the fallbacks when a tier lacks them), and uses L2's
// TTLReader and Broadcaster itself without offering them: it is neither a TTLReader nor a Broadcaster.
package store
