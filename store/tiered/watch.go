package tiered

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cachekit/cachekit/store"
)

var _ store.InvalidationWatcher = (*Store)(nil)

// Invalidation event queue bounds.
const (
	// eventQueue is the number of undelivered events beyond which InvalidationReceived events are
	// dropped (and counted in Stats.Extra["invalidation_events_dropped"]).
	eventQueue = 4096
	// eventQueueStateRoom is the room kept beyond eventQueue for SubscriptionLost and SubscriptionRestored
	// events, so that a watcher that falls behind still hears of every loss and restoration unless it
	// stays stuck through that many of them.
	eventQueueStateRoom = 256
)

// errResynced is the Err of a SubscriptionLost that this Store learns of only once L2 has re-established
// the subscription by itself: store.Subscription reports the resync, not the cause of the drop.
var errResynced = fmt.Errorf("%w: the invalidation subscription's connection dropped (L2 reconnected it; the cause is not reported)", store.ErrUnavailable)

// errSubscriptionEnded is the Err of a SubscriptionLost when L2 ended the subscription by itself.
var errSubscriptionEnded = fmt.Errorf("%w: L2 ended the invalidation subscription", store.ErrUnavailable)

// WatchInvalidations registers fn for this Store's invalidation events (store.InvalidationWatcher), with
// these guarantees:
//   - InvalidationReceived for every message from another instance (or any other publisher on
//     Options.Channel) that dropped something from L1, after the drop: Keys counts its keys and
//     patterns, Flush is set when it asked for a flush or could not be decoded (L1 was flushed), and Lag
//     is At minus the write time the sender put in the message (the time its oldest write in the batch
//     completed). Lag is 0 for a message from a sender of the first release (no write time). Across
//     machines it includes their clock difference, and may then be negative. This Store's own echoes
//     make no event.
//   - SubscriptionLost, then SubscriptionRestored, for every drop of the subscription after the first
//     one was confirmed (see Ready): Restored follows the flush of L1 that the resync requires. When L2
//     re-establishes the connection by itself (the Redis backend does), this Store learns of the drop only
//     then: both events come together, and Lost's Err, wrapping store.ErrUnavailable, says the cause is
//     not known. When a new subscription has to be made and fails, Lost comes at once with its error
//     (L2's error, which names no credentials). Events never come before the first subscription.
//   - fn is called from one goroutine of the Store, one event at a time, for every event after
//     registration, in order, each watcher in the order registered; never inside a caller's call.
//     Watchers may be registered at any time, before or after Ready.
//   - fn must not block: events wait on a queue while it runs, and once eventQueue events wait,
//     further InvalidationReceived events are dropped and counted in
//     Stats.Extra["invalidation_events_dropped"] (subscription events have eventQueueStateRoom more),
//     so a slow fn never delays invalidation itself.
//   - Close stops delivery: events not yet delivered are discarded, and Close does not wait for a call
//     of fn in progress.
//
// A nil fn, or a Store with invalidation off (see Invalidating), registers nothing: there are no
// events.
func (s *Store) WatchInvalidations(fn func(store.InvalidationEvent)) {
	if fn == nil || s.bc == nil {
		return
	}
	s.w.add(fn)
}

// watchers delivers invalidation events from a goroutine of its own, started with the first watcher.
type watchers struct {
	on      atomic.Bool // a watcher is registered: the message path builds events only then
	dropped atomic.Int64

	mu     sync.Mutex
	fns    []func(store.InvalidationEvent)
	queue  []queuedEvent
	closed bool
	wake   chan struct{} // capacity 1; made by the first add
}

// queuedEvent is an event and the number of watchers registered when it happened: only those hear it.
type queuedEvent struct {
	ev store.InvalidationEvent
	n  int
}

func (w *watchers) add(fn func(store.InvalidationEvent)) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return
	}
	w.fns = append(w.fns, fn)
	if w.wake == nil {
		w.wake = make(chan struct{}, 1)
		go w.dispatch(w.wake)
	}
	w.on.Store(true)
}

// emit queues ev for the watchers registered now, or drops it (counted) when the queue is full.
func (w *watchers) emit(ev store.InvalidationEvent) {
	if !w.on.Load() {
		return
	}
	limit := eventQueue
	if ev.Kind != store.InvalidationReceived {
		limit += eventQueueStateRoom
	}
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return
	}
	if len(w.queue) >= limit {
		w.mu.Unlock()
		w.dropped.Add(1)
		return
	}
	w.queue = append(w.queue, queuedEvent{ev: ev, n: len(w.fns)})
	select { // under mu: close closes wake under mu
	case w.wake <- struct{}{}:
	default:
	}
	w.mu.Unlock()
}

// dispatch delivers queued events until close.
func (w *watchers) dispatch(wake <-chan struct{}) {
	for range wake {
		for {
			w.mu.Lock()
			if w.closed || len(w.queue) == 0 {
				closed := w.closed
				w.mu.Unlock()
				if closed {
					return
				}
				break
			}
			q := w.queue[0]
			w.queue[0] = queuedEvent{}
			w.queue = w.queue[1:]
			if len(w.queue) == 0 {
				w.queue = nil // let a grown backing array go
			}
			fns := w.fns[:q.n]
			w.mu.Unlock()
			for _, fn := range fns {
				fn(q.ev)
			}
		}
	}
}

// close discards undelivered events and ends the dispatcher (after a call of fn in progress).
func (w *watchers) close() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return
	}
	w.closed = true
	w.queue = nil
	w.on.Store(false)
	if w.wake != nil {
		close(w.wake)
	}
}

// received reports one applied message from another instance.
func (s *Store) received(sent time.Time, keys int, flush bool) {
	if !s.w.on.Load() || (keys == 0 && !flush) {
		return
	}
	ev := store.InvalidationEvent{Kind: store.InvalidationReceived, At: time.Now(), Keys: keys, Flush: flush}
	if !sent.IsZero() {
		ev.Lag = ev.At.Sub(sent)
	}
	s.w.emit(ev)
}

// subscriptionLost reports a drop of the subscription, once per drop.
func (s *Store) subscriptionLost(err error) {
	s.w.emit(store.InvalidationEvent{Kind: store.SubscriptionLost, At: time.Now(), Err: err})
}

// subscriptionRestored reports a subscription re-established after a drop, once L1 was flushed.
func (s *Store) subscriptionRestored() {
	s.w.emit(store.InvalidationEvent{Kind: store.SubscriptionRestored, At: time.Now()})
}
