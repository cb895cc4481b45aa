package conformance

import (
	"bytes"
	"testing"
	"time"

	"github.com/cachekit/cachekit/store"
)

// eventWait bounds the wait for one Subscription event: delivery on loopback takes milliseconds, a
// re-subscription after a dropped connection (with backoff) well under a second.
const eventWait = 5 * time.Second

// broadcasterRules check store.Broadcaster. Unlike the other optional interfaces it has no fallback built
// from Store methods, so on a Store that is not a Broadcaster these rules skip, saying so.
func broadcasterRules() []rule {
	return []rule{
		{
			name: "Broadcaster/ReachesSecondSubscriber",
			says: "a payload published on a channel reaches every subscriber of it byte for byte, a second subscription (on a second Store, when shared) as well as the publisher's own, with no Resync before it",
			run: func(t testing.TB, e *env) {
				b1 := e.broadcaster(t, e.s)
				ch := e.prefix + "broadcast"
				b2, second := b1, "the same Store"
				if e.caps.Shared {
					b2, second = e.broadcaster(t, e.open()), "a second Store"
				}
				sub1 := subscribe(t, e, b1, ch)
				defer sub1.Close()
				sub2 := subscribe(t, e, b2, ch)
				defer sub2.Close()
				for i, pub := range []store.Broadcaster{b1, b2} {
					payload := append(allBytes(), []byte(e.tag)...)
					payload[0] = byte(i)
					if err := pub.Publish(e.ctx, ch, payload); err != nil {
						t.Fatalf("Publish #%d: %v", i+1, err)
					}
					for j, sub := range []store.Subscription{sub1, sub2} {
						ev, ok := nextEvent(sub, eventWait)
						switch {
						case !ok:
							t.Fatalf("publication #%d: subscriber #%d (%s) received nothing within %v", i+1, j+1, []string{"the publisher's Store", second}[j], eventWait)
						case ev.Resync || !bytes.Equal(ev.Payload, payload):
							t.Errorf("publication #%d: subscriber #%d received %+v, want the payload %s and no Resync", i+1, j+1, ev, show(payload))
						}
					}
				}
			},
		},
		{
			name: "Broadcaster/ResyncAnnounced",
			says: "after the subscription's connection is dropped (Harness SubscriptionBreaker), its next event is a Resync, Events stays open, and payloads published afterwards arrive",
			run: func(t testing.TB, e *env) {
				b := e.broadcaster(t, e.s)
				br, ok := e.h.(SubscriptionBreaker)
				if !ok {
					t.Skipf("the Harness (%T) does not implement conformance.SubscriptionBreaker, which this rule needs to drop a subscription's connection", e.h)
				}
				ch := e.prefix + "resync"
				sub := subscribe(t, e, b, ch)
				defer sub.Close()
				if err := b.Publish(e.ctx, ch, []byte("before")); err != nil {
					t.Fatalf("Publish: %v", err)
				}
				if ev, ok := nextEvent(sub, eventWait); !ok || ev.Resync || string(ev.Payload) != "before" {
					t.Fatalf("first event = %+v (received: %v), want the payload %q", ev, ok, "before")
				}
				br.BreakSubscriptions(e.ctx, t, e.s)
				ev, ok := nextEvent(sub, eventWait)
				if !ok || !ev.Resync {
					t.Fatalf("first event after the connection was dropped = %+v (received: %v), want Resync", ev, ok)
				}
				// The payload is published until it arrives: the Resync says the subscription is back, but a
				// Broadcaster may announce it before its new connection can receive.
				deadline := time.Now().Add(eventWait)
				for {
					if err := b.Publish(e.ctx, ch, []byte("after")); err != nil {
						t.Logf("Publish after the Resync: %v (retrying)", err)
					}
					ev, ok := nextEvent(sub, 200*time.Millisecond)
					if ok && string(ev.Payload) == "after" && !ev.Resync {
						return
					}
					if ok && !ev.Resync {
						t.Fatalf("after the Resync: event %+v, want the payload %q (or another Resync)", ev, "after")
					}
					if time.Now().After(deadline) {
						t.Fatalf("a payload published after the Resync did not arrive within %v", eventWait)
					}
				}
			},
		},
	}
}

// broadcaster returns s as a store.Broadcaster, or skips the rule when it is not one.
func (e *env) broadcaster(t testing.TB, s store.Store) store.Broadcaster {
	t.Helper()
	b, ok := s.(store.Broadcaster)
	if !ok {
		t.Skipf("%T is not a store.Broadcaster, and Broadcaster has no fallback to check", s)
	}
	return b
}

// subscribe subscribes b to ch, failing the rule on an error.
func subscribe(t testing.TB, e *env, b store.Broadcaster, ch string) store.Subscription {
	t.Helper()
	sub, err := b.Subscribe(e.ctx, ch)
	if err != nil {
		t.Fatalf("Subscribe(%q): %v", ch, err)
	}
	return sub
}

// nextEvent returns sub's next event, or false when none arrives within d or Events is closed.
func nextEvent(sub store.Subscription, d time.Duration) (store.Event, bool) {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case ev, ok := <-sub.Events():
		return ev, ok
	case <-timer.C:
		return store.Event{}, false
	}
}
