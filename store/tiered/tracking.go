package tiered

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/cachekit/cachekit/store"
)

// InvalidationMode selects how L1 is kept coherent across instances (Options.Invalidation).
type InvalidationMode string

// The invalidation modes.
const (
	// InvalidationAuto, also the default (""), uses server-assisted tracking when L2 is a store.Tracker
	// that can track, and otherwise the pub/sub path when L2 is a store.Broadcaster (see
	// "Server-assisted tracking" in the package documentation for when tracking is unavailable, and for
	// the caveat of a fleet that mixes releases: an instance on tracking publishes nothing).
	InvalidationAuto InvalidationMode = "auto"
	// InvalidationTracking requires L2 to be a store.Tracker; it never falls back to pub/sub.
	InvalidationTracking InvalidationMode = "tracking"
	// InvalidationPubSub uses the pub/sub path only: for a fleet in which some instance only hears
	// pub/sub (a release before tracking), or where L2 should not report every write to every
	// instance.
	InvalidationPubSub InvalidationMode = "pubsub"
)

// Values of InvalidationState.
const (
	stateOff      = "off"      // invalidation is off
	statePending  = "pending"  // auto: tracking not yet armed or refused
	stateTracking = "tracking" // server-assisted tracking
	statePubSub   = "pubsub"   // this Store's own pub/sub messages
)

// InvalidationState reports the coherence path in use: "tracking" (server-assisted, Redis client
// tracking), "pubsub" (published invalidations), "pending" (Options.Invalidation is auto, the default, and the first
// attempt to arm tracking has not yet succeeded or been refused; writes publish meanwhile) or "off".
func (s *Store) InvalidationState() string {
	if p := s.state.Load(); p != nil {
		return *p
	}
	return stateOff
}

func (s *Store) setState(v string) { s.state.Store(&v) }

// resolveInvalidation picks the coherence paths New may use (see InvalidationMode) and reports whether
// invalidation is on.
func (s *Store) resolveInvalidation() (bool, error) {
	tr, isTracker := s.l2.(store.Tracker)
	bc, isBroadcaster := s.l2.(store.Broadcaster)
	switch s.opts.Invalidation {
	case "", InvalidationAuto:
	case InvalidationTracking:
		if !isTracker && !s.opts.DisableInvalidation {
			return false, fmt.Errorf("%w: Invalidation is %q but L2 (%T) is not a store.Tracker", ErrInvalidOptions, InvalidationTracking, s.l2)
		}
		isBroadcaster = false // no fallback
	case InvalidationPubSub:
		isTracker = false
	default:
		return false, fmt.Errorf("%w: Invalidation is %q; want %q, %q or %q", ErrInvalidOptions, s.opts.Invalidation, InvalidationAuto, InvalidationTracking, InvalidationPubSub)
	}
	if s.opts.DisableInvalidation || (!isTracker && !isBroadcaster) {
		return false, nil
	}
	g := &gatedBroadcaster{tracking: &s.tracking}
	if isBroadcaster {
		g.bc = bc
	}
	s.bc = g
	switch {
	case isTracker && isBroadcaster:
		s.tracker = tr
		s.setState(statePending)
	case isTracker:
		s.tracker = tr
		s.tracking.Store(true)
		s.setState(stateTracking)
	default:
		s.setState(statePubSub)
	}
	return true, nil
}

// gatedBroadcaster is the Broadcaster the publisher and the pub/sub subscriber use: L2's, if it is one,
// except that while tracking is on a publication is dropped without I/O (Redis itself reports the write
// to every instance).
type gatedBroadcaster struct {
	bc       store.Broadcaster // nil: L2 is only a Tracker
	tracking *atomic.Bool
}

var errNoBroadcaster = fmt.Errorf("%w: L2 is not a store.Broadcaster", store.ErrTrackingUnsupported)

func (g *gatedBroadcaster) Publish(ctx context.Context, channel string, payload []byte) error {
	if g.tracking.Load() || g.bc == nil {
		return nil
	}
	return g.bc.Publish(ctx, channel, payload)
}

func (g *gatedBroadcaster) Subscribe(ctx context.Context, channel string) (store.Subscription, error) {
	if g.bc == nil {
		return nil, errNoBroadcaster
	}
	return g.bc.Subscribe(ctx, channel)
}

// canPubSub reports whether the pub/sub path is available as a fallback.
func (s *Store) canPubSub() bool {
	g, ok := s.bc.(*gatedBroadcaster)
	return ok && g.bc != nil
}

// runInvalidation keeps L1 coherent until ctx ends (Close): by tracking when L2 can track, else (auto
// mode, tracking refused) by the pub/sub path.
func (s *Store) runInvalidation(ctx context.Context) {
	defer close(s.subDone)
	if s.tracker != nil && !s.trackLoop(ctx) {
		return
	}
	s.subscribeLoop(ctx)
}

// trackLoop keeps a tracking subscription and applies its events, with the rules of subscribeLoop: L1 is
// flushed whenever tracking is (re)armed after changes may have been missed, and drops after the first
// arm are reported as SubscriptionLost then SubscriptionRestored. It returns true when it gave up for
// the pub/sub path (auto mode, before tracking was ever armed, on a server that refuses tracking) and
// false when ctx ended.
func (s *Store) trackLoop(ctx context.Context) bool {
	first, down := true, false
	wait := subscribeRetryMin
	for {
		sub, err := s.tracker.Track(ctx, []string{s.opts.TrackPrefix})
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, store.ErrClosed) {
				return false
			}
			if first && s.canPubSub() && (errors.Is(err, store.ErrTrackingUnsupported) || errors.Is(err, store.ErrDenied)) {
				s.setState(statePubSub)
				return true
			}
			if !first && !down {
				down = true
				s.subscriptionLost(err)
			}
			select {
			case <-time.After(wait):
			case <-ctx.Done():
				return false
			}
			wait = min(2*wait, subscribeRetryMax)
			continue
		}
		wait = subscribeRetryMin
		s.tracking.Store(true) // from now on the server tells every instance of this one's writes
		s.setState(stateTracking)
		s.wentLive(&first, &down)
		ended := s.consumeTracking(ctx, sub)
		s.live.Store(false)
		_ = sub.Close()
		if ended {
			return false
		}
		down = true
		s.subscriptionLost(errSubscriptionEnded)
	}
}

// consumeTracking applies sub's events until ctx ends (true) or sub ends by itself (false). Keys drop
// those keys (through the guard, as any invalidation); FlushAll and Resync flush L1.
func (s *Store) consumeTracking(ctx context.Context, sub store.TrackSubscription) bool {
	events := sub.Events()
	for {
		select {
		case <-ctx.Done():
			return true
		case ev, ok := <-events:
			if !ok {
				return ctx.Err() != nil
			}
			hook := s.testHookApplied.Load()
			switch {
			case ev.Resync:
				s.subscriptionLost(errResynced)
				s.flush()
				s.subscriptionRestored()
			case ev.FlushAll:
				s.flush()
				s.c.invReceived.Add(1)
				s.received(time.Time{}, 0, true)
				if hook != nil {
					(*hook)(kindFlush, "")
				}
			default:
				s.drop(ev.Keys...)
				s.echoed(ev.Keys) // own writes among them are refilled from L2, after the drop
				s.c.invReceived.Add(int64(len(ev.Keys)))
				s.received(time.Time{}, len(ev.Keys), false)
				if hook != nil {
					for _, k := range ev.Keys {
						(*hook)(kindKey, k)
					}
				}
			}
		}
	}
}
