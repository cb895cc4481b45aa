package store

import "time"

// InvalidationEventKind says what happened to a store's invalidation stream.
type InvalidationEventKind int

const (
	// InvalidationReceived: a message from another instance (or the server) dropped keys from this
	// instance's in-process tier.
	InvalidationReceived InvalidationEventKind = iota + 1
	// SubscriptionLost: the stream broke (connection lost, server down); invalidations sent meanwhile
	// are missed until SubscriptionRestored.
	SubscriptionLost
	// SubscriptionRestored: the stream is back; the in-process tier was flushed (resync) because
	// messages may have been missed while it was down.
	SubscriptionRestored
)

// String returns "received", "subscription_lost" or "subscription_restored".
func (k InvalidationEventKind) String() string {
	switch k {
	case InvalidationReceived:
		return "received"
	case SubscriptionLost:
		return "subscription_lost"
	case SubscriptionRestored:
		return "subscription_restored"
	}
	return "unknown"
}

// InvalidationEvent is one event of a store's invalidation stream, as an InvalidationWatcher reports it.
type InvalidationEvent struct {
	Kind InvalidationEventKind
	At   time.Time // when this instance observed it
	// Lag (InvalidationReceived) is At minus the write time the sender put in the message: how long the
	// old value could still be served here after the write. Zero when the message carries no write time
	// (an older sender). Across machines it includes their clock difference.
	Lag time.Duration
	// Keys (InvalidationReceived) is the number of keys and patterns the message named; Flush is set
	// when it asked for the whole in-process tier to be dropped.
	Keys  int
	Flush bool
	// Err (SubscriptionLost) is why the stream broke; it never contains credentials.
	Err error
}

// InvalidationWatcher is an optional interface of a Store that keeps an in-process tier coherent
// through an invalidation stream (the tiered store). WatchInvalidations registers fn, which is then
// called once for every later event, in order, from a goroutine of the store (never inside a caller's
// call); fn must not block. Consumed by the root Cache's logger and metrics hooks.
type InvalidationWatcher interface {
	WatchInvalidations(fn func(InvalidationEvent))
}
