package store

import (
	"context"
	"errors"
)

// ErrTrackingUnsupported is wrapped by the error of Tracker.Track when the server refuses key tracking
// itself (Redis older than 6 has no CLIENT TRACKING; a managed Redis or an ACL may rename or deny it),
// as opposed to being unreachable (ErrUnavailable). A caller that can keep coherent another way (the
// tiered store's pub/sub path) falls back to it on this error, and keeps retrying on the others.
var ErrTrackingUnsupported = errors.New("cachekit: key tracking not supported by the backend")

// Tracker is an optional interface of a Store shared between processes whose server itself reports
// changes of keys (Redis client tracking in broadcast mode): every write, delete, expiry or eviction of
// a key under the tracked prefixes, by any client of the server, cachekit or not, is reported to every
// TrackSubscription. A composite store detects it with a type assertion.
type Tracker interface {
	// Track starts tracking the keys that start with one of prefixes ("" or no prefixes: every key) and
	// returns once tracking is armed on every node holding data: a change made after Track returned is
	// reported. Prefixes must not overlap (one may not start with another); an overlap is an error
	// wrapping ErrInvalidKey. A server that cannot track fails with an error wrapping
	// ErrTrackingUnsupported; an unreachable one with ErrUnavailable.
	Track(ctx context.Context, prefixes []string) (TrackSubscription, error)
}

// TrackSubscription is a live Tracker subscription.
type TrackSubscription interface {
	// Events delivers, in order per node, what changed. Its first event is not a Resync. After any
	// re-arm (a reconnect, a failover, a node joining the set of masters) a Resync is delivered before
	// any further event, because changes made while tracking was down are not reported. The channel
	// is closed after Close; once the Store is closed no further event arrives.
	Events() <-chan TrackEvent
	// Close ends tracking. It is idempotent.
	Close() error
}

// TrackEvent is one report of a TrackSubscription; exactly one of its fields is set.
type TrackEvent struct {
	// Keys changed (written, deleted, expired or evicted); a reader must treat its copies as stale.
	Keys []string
	// FlushAll: the server dropped every key of a database (FLUSHALL, FLUSHDB): every copy is stale.
	FlushAll bool
	// Resync: tracking was re-armed after a drop, and changes in between are lost: every copy read
	// before it must be treated as stale (the resync-and-flush rule of Subscription's Resync).
	Resync bool
}
