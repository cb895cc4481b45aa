package tiered

import (
	"context"
	"errors"
	"time"

	"github.com/cachekit/cachekit/store"
)

// Subscription retry bounds, while L2 cannot be subscribed to at all.
const (
	subscribeRetryMin = 50 * time.Millisecond
	subscribeRetryMax = 2 * time.Second
)

// subscribeLoop (run by runInvalidation) keeps a subscription to the invalidation channel and applies what arrives, until ctx
// ends (Close). Whenever a subscription is (re)established after invalidations may have been missed,
// L1 is flushed. After the first subscription, every drop is reported to the watchers (SubscriptionLost,
// once per drop) and so is the flushed resubscription that ends it (SubscriptionRestored).
func (s *Store) subscribeLoop(ctx context.Context) {
	first := true
	down := false // a drop was reported and no subscription was made since
	wait := subscribeRetryMin
	for {
		sub, err := s.bc.Subscribe(ctx, s.opts.Channel)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, store.ErrClosed) {
				return
			}
			if !first && !down {
				down = true
				s.subscriptionLost(err)
			}
			select {
			case <-time.After(wait):
			case <-ctx.Done():
				return
			}
			wait = min(2*wait, subscribeRetryMax)
			continue
		}
		wait = subscribeRetryMin
		s.wentLive(&first, &down)
		ended := s.consume(ctx, sub)
		s.live.Store(false)
		_ = sub.Close()
		if ended {
			return
		}
		down = true
		s.subscriptionLost(errSubscriptionEnded)
	}
}

// consume applies sub's events until ctx ends (reporting true) or sub ends by itself (reporting false).
func (s *Store) consume(ctx context.Context, sub store.Subscription) bool {
	events := sub.Events()
	for {
		select {
		case <-ctx.Done():
			return true
		case ev, ok := <-events:
			if !ok {
				return ctx.Err() != nil
			}
			if ev.Resync {
				// L2 reconnected by itself; the drop is learnt only now.
				s.subscriptionLost(errResynced)
				s.flush()
				s.subscriptionRestored()
				continue
			}
			s.apply(ev.Payload)
		}
	}
}

// apply drops from L1 what one invalidation message names, unless this instance sent it, and reports it
// to the watchers. See guard for why an insert racing a drop cannot bring an older value back.
// A malformed message flushes L1: it may have named anything. The time entry is dropped as the key it
// looks like (see message.go), so that recognising it never matters for correctness.
func (s *Store) apply(payload []byte) {
	if isEcho(payload, &s.id) {
		s.c.echoes.Add(1)
		return
	}
	hook := s.testHookApplied.Load()
	n, keys, flush := 0, 0, false
	sent, err := decode(payload, func(kind entryKind, text string) {
		switch kind {
		case kindTime:
			s.drop(text)
			return
		case kindKey:
			s.drop(text)
			keys++
		case kindPattern:
			s.dropPattern(text)
			keys++
		case kindFlush:
			s.flush()
			flush = true
		}
		n++
		if hook != nil {
			(*hook)(kind, text)
		}
	})
	if err != nil {
		s.flush()
		flush = true
	}
	s.c.invReceived.Add(int64(n))
	s.received(sent, keys, flush)
}

// wentLive is what both coherence paths (pub/sub and tracking) do once their stream is confirmed:
// L1 is flushed when the stream was down before, or when L1 took values in while no stream was live
// (they may have missed their invalidation); a return after a loss is reported; Ready is released the
// first time.
func (s *Store) wentLive(first, down *bool) {
	s.live.Store(true)
	if !*first || s.dirty.Swap(false) {
		s.flush()
	}
	if *down {
		*down = false
		s.subscriptionRestored()
	}
	if *first {
		*first = false
		close(s.ready)
	}
}
