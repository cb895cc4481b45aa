package tiered

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cachekit/cachekit/internal/redistest"
	"github.com/cachekit/cachekit/store"
	"github.com/cachekit/cachekit/store/redis"
)

// eventLog records the invalidation events a watcher hears.
type eventLog struct {
	mu   sync.Mutex
	evs  []store.InvalidationEvent
	wake chan struct{}
}

func newEventLog() *eventLog { return &eventLog{wake: make(chan struct{}, 1)} }

func (l *eventLog) record(ev store.InvalidationEvent) {
	l.mu.Lock()
	l.evs = append(l.evs, ev)
	l.mu.Unlock()
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

func (l *eventLog) events() []store.InvalidationEvent {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]store.InvalidationEvent(nil), l.evs...)
}

// waitFor returns the first recorded event, from index from on, that satisfies match, failing t after d.
func (l *eventLog) waitFor(t *testing.T, from int, d time.Duration, what string, match func(store.InvalidationEvent) bool) (store.InvalidationEvent, int) {
	t.Helper()
	deadline := time.After(d)
	for {
		evs := l.events()
		for i := from; i < len(evs); i++ {
			if match(evs[i]) {
				return evs[i], i
			}
		}
		select {
		case <-l.wake:
		case <-deadline:
			t.Fatalf("%s: no such event within %v; got %+v", what, d, evs)
		}
	}
}

// openWatched opens a tiered(memory, redis) Store on channel with w registered before Ready.
func openWatched(t *testing.T, redisURL, channel string, w *eventLog) *Store {
	t.Helper()
	l2, err := redis.Open(context.Background(), redisURL)
	if err != nil {
		t.Fatalf("redis.Open: %v", err)
	}
	s, err := New(newMemory(t), l2, Options{L1MaxTTL: time.Hour, Channel: channel, Invalidation: InvalidationPubSub})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	s.WatchInvalidations(w.record)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.Ready(ctx); err != nil {
		t.Fatalf("Ready: %v", err)
	}
	return s
}

func isReceived(ev store.InvalidationEvent) bool { return ev.Kind == store.InvalidationReceived }

// TestInvalidationEvents checks what a watcher of B hears of A's writes, of raw messages in the format of
// older senders (no write time) and of malformed ones, and that A hears nothing of its own echoes.
func TestInvalidationEvents(t *testing.T) {
	srv := redistest.Standalone(t)
	ns := redistest.Namespace(t)
	channel := ns + ":invalidate"
	aLog, bLog, bLate := newEventLog(), newEventLog(), newEventLog()
	a := openWatched(t, srv.URL, channel, aLog)
	b := openWatched(t, srv.URL, channel, bLog)
	b.WatchInvalidations(bLate.record) // after Ready
	raw := rawClient(t, srv.Addr)
	ctx := t.Context()
	k := ns + ":v1:k"
	t.Cleanup(func() { _, _ = a.Delete(context.Background(), k) })

	if err := a.Set(ctx, k, []byte("v"), time.Hour); err != nil {
		t.Fatal(err)
	}
	ev, _ := bLog.waitFor(t, 0, 5*time.Second, "B hears A's write", isReceived)
	if ev.Lag <= 0 || ev.Lag > 2*time.Second || ev.Keys != 1 || ev.Flush || ev.Err != nil {
		t.Errorf("B's event of A's Set = %+v; want 0 < Lag < 2s, Keys 1, no flush, no error", ev)
	}
	if ev.At.IsZero() || time.Since(ev.At) > time.Minute {
		t.Errorf("event At = %v, want about now", ev.At)
	}
	t.Logf("A's Set reached B's L1 after %v", ev.Lag)
	late, _ := bLate.waitFor(t, 0, 5*time.Second, "the watcher registered after Ready hears it too", isReceived)
	if late != ev {
		t.Errorf("the second watcher heard %+v, want %+v", late, ev)
	}

	// A pattern delete through A: one entry, a pattern.
	if _, err := a.DeletePattern(ctx, ns+":v1:*"); err != nil {
		t.Fatal(err)
	}
	ev, i := bLog.waitFor(t, 1, 5*time.Second, "B hears A's pattern delete", isReceived)
	if ev.Keys != 1 || ev.Flush || ev.Lag <= 0 {
		t.Errorf("B's event of A's DeletePattern = %+v; want Keys 1, no flush, Lag > 0", ev)
	}

	// An older sender's message: no write time, so Lag is 0.
	foreign := [idLen]byte{0xfe}
	v1 := encode(nil, &foreign, time.Time{}, []entry{{kindKey, k}, {kindKey, k + "2"}})[0]
	if err := raw.Publish(ctx, channel, v1).Err(); err != nil {
		t.Fatal(err)
	}
	ev, i = bLog.waitFor(t, i+1, 5*time.Second, "B hears the older sender's message", isReceived)
	if ev.Lag != 0 || ev.Keys != 2 || ev.Flush {
		t.Errorf("B's event of a message without write time = %+v; want Lag 0, Keys 2, no flush", ev)
	}

	// A write time a second in the past shows as a lag of at least a second.
	old := encode(nil, &foreign, time.Now().Add(-time.Second), []entry{{kindFlush, ""}})[0]
	if err := raw.Publish(ctx, channel, old).Err(); err != nil {
		t.Fatal(err)
	}
	ev, i = bLog.waitFor(t, i+1, 5*time.Second, "B hears the flush", isReceived)
	if ev.Lag < time.Second || ev.Lag > time.Minute || ev.Keys != 0 || !ev.Flush {
		t.Errorf("B's event of a flush written 1s ago = %+v; want Lag >= 1s, Keys 0, Flush", ev)
	}

	// A malformed message flushes L1 and says so.
	if err := raw.Publish(ctx, channel, []byte{9, 9, 9}).Err(); err != nil {
		t.Fatal(err)
	}
	ev, _ = bLog.waitFor(t, i+1, 5*time.Second, "B hears the malformed message", isReceived)
	if !ev.Flush {
		t.Errorf("B's event of a malformed message = %+v; want Flush", ev)
	}

	// A heard the foreign messages, in order after its own echoes: so it has processed every echo, and
	// none made an event.
	aLog.waitFor(t, 0, 5*time.Second, "A hears the malformed message", func(ev store.InvalidationEvent) bool { return ev.Flush && ev.Lag == 0 })
	if got := extra(t, a, "echoes_ignored"); got < 2 {
		t.Errorf("A ignored %d echoes, want >= 2", got)
	}
	for _, ev := range aLog.events() {
		if ev.Kind == store.InvalidationReceived && ev.Lag > 0 && ev.Lag < time.Second {
			t.Errorf("A made an event %+v of what looks like its own echo", ev)
		}
	}
	if n := len(aLog.events()); n != 3 {
		t.Errorf("A heard %d events, want 3 (the foreign messages only): %+v", n, aLog.events())
	}
}

// TestInvalidationEventsSubscriptionDrop kills B's pub/sub connection: B's watcher hears
// SubscriptionLost, then SubscriptionRestored once L1 was flushed.
func TestInvalidationEventsSubscriptionDrop(t *testing.T) {
	srv := redistest.Dedicated(t) // CLIENT KILL TYPE pubsub must not hit other tests' connections
	log := newEventLog()
	var flushedAtRestore atomic.Int64
	flushedAtRestore.Store(-1)
	b := openWatched(t, srv.URL, DefaultChannel, log)
	b.WatchInvalidations(func(ev store.InvalidationEvent) {
		if ev.Kind == store.SubscriptionRestored {
			flushedAtRestore.Store(b.c.flushes.Load())
		}
	})
	raw := rawClient(t, srv.Addr)
	ctx := t.Context()
	flushes := b.c.flushes.Load()
	if n, err := raw.ClientKillByFilter(ctx, "TYPE", "pubsub").Result(); err != nil || n != 1 {
		t.Fatalf("CLIENT KILL TYPE pubsub = %d, %v; want B's one subscription killed", n, err)
	}
	lost, i := log.waitFor(t, 0, 5*time.Second, "SubscriptionLost", func(ev store.InvalidationEvent) bool { return ev.Kind == store.SubscriptionLost })
	if !errors.Is(lost.Err, store.ErrUnavailable) {
		t.Errorf("SubscriptionLost.Err = %v, want one wrapping store.ErrUnavailable", lost.Err)
	}
	restored, j := log.waitFor(t, 0, 5*time.Second, "SubscriptionRestored", func(ev store.InvalidationEvent) bool { return ev.Kind == store.SubscriptionRestored })
	if j < i || restored.At.Before(lost.At) {
		t.Errorf("SubscriptionRestored (#%d at %v) came before SubscriptionLost (#%d at %v)", j, restored.At, i, lost.At)
	}
	if restored.Err != nil {
		t.Errorf("SubscriptionRestored.Err = %v, want nil", restored.Err)
	}
	waitFor(t, 5*time.Second, "the second watcher hears SubscriptionRestored", func() bool { return flushedAtRestore.Load() >= 0 })
	if got := flushedAtRestore.Load(); got <= flushes {
		t.Errorf("at SubscriptionRestored L1 had been flushed %d times, want more than %d (the resync flush comes first)", got, flushes)
	}
	if n := len(log.events()); n != 2 {
		t.Errorf("B heard %d events, want 2: %+v", n, log.events())
	}
}

// TestInvalidationEventsSlowWatcher blocks B's watcher: invalidations are still applied, and the events
// beyond the queue are dropped and counted.
func TestInvalidationEventsSlowWatcher(t *testing.T) {
	srv := redistest.Standalone(t)
	ns := redistest.Namespace(t)
	channel := ns + ":invalidate"
	release := make(chan struct{})
	var calls sync.WaitGroup
	calls.Add(1)
	var once sync.Once
	heard := newEventLog()
	b := openWatched(t, srv.URL, channel, heard)
	b.WatchInvalidations(func(store.InvalidationEvent) {
		once.Do(calls.Done)
		<-release
	})
	t.Cleanup(func() {
		select {
		case <-release:
		default:
			close(release)
		}
	})
	raw := rawClient(t, srv.Addr)
	ctx := t.Context()
	foreign := [idLen]byte{0xfd}
	msg := encode(nil, &foreign, time.Now(), []entry{{kindKey, ns + ":v1:k"}})[0]
	const n = eventQueue + 500
	pipe := raw.Pipeline()
	for range n {
		pipe.Publish(ctx, channel, msg)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	calls.Wait() // the blocking watcher holds the first event
	waitFor(t, 10*time.Second, "B applies every message while its watcher is stuck", func() bool {
		return extra(t, b, "invalidations_received") == n
	})
	dropped := extra(t, b, "invalidation_events_dropped")
	if dropped < n-eventQueue-1 || dropped > n-eventQueue {
		t.Errorf("invalidation_events_dropped = %d, want %d or %d (all beyond the queue of %d and the one in delivery)", dropped, n-eventQueue-1, n-eventQueue, eventQueue)
	}
	close(release)
	waitFor(t, 10*time.Second, "the watchers catch up", func() bool { return int64(len(heard.events())) == n-dropped })
}

func TestWatchersHearOnlyLaterEvents(t *testing.T) {
	var w watchers
	block := make(chan struct{})
	first, second := newEventLog(), newEventLog()
	w.add(func(ev store.InvalidationEvent) {
		if ev.Keys == 1 {
			<-block
		}
		first.record(ev)
	})
	w.emit(store.InvalidationEvent{Kind: store.InvalidationReceived, Keys: 1})
	w.add(second.record)
	w.emit(store.InvalidationEvent{Kind: store.SubscriptionLost})
	close(block)
	first.waitFor(t, 0, 5*time.Second, "the first watcher hears both", func(ev store.InvalidationEvent) bool { return ev.Kind == store.SubscriptionLost })
	second.waitFor(t, 0, 5*time.Second, "the second watcher hears the later event", func(ev store.InvalidationEvent) bool { return ev.Kind == store.SubscriptionLost })
	if got := first.events(); len(got) != 2 || got[0].Keys != 1 {
		t.Errorf("the first watcher heard %+v, want both events in order", got)
	}
	if got := second.events(); len(got) != 1 {
		t.Errorf("the second watcher heard %+v, want only the event after it was registered", got)
	}
	w.close()
	w.emit(store.InvalidationEvent{Kind: store.SubscriptionRestored})
	w.add(second.record) // ignored after close
	time.Sleep(20 * time.Millisecond)
	if got := len(first.events()) + len(second.events()); got != 3 {
		t.Errorf("watchers heard %d events in all after close, want 3 (nothing after close)", got)
	}
}

func TestTiers(t *testing.T) {
	l1, l2 := newMemory(t), newMemory(t)
	s, err := New(l1, l2, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var c store.Composite = s
	tiers := c.Tiers()
	if len(tiers) != 2 || tiers[0] != store.Store(l1) || tiers[1] != store.Store(l2) {
		t.Fatalf("Tiers() = %v, want [l1 l2]", tiers)
	}
	tiers[0] = nil // the slice is the caller's
	if s.Tiers()[0] != store.Store(l1) {
		t.Error("changing the returned slice changed the Store's tiers")
	}
	var called bool
	s.WatchInvalidations(func(store.InvalidationEvent) { called = true }) // no invalidation: nothing registered
	if s.w.on.Load() || called {
		t.Error("WatchInvalidations registered a watcher on a Store without invalidation")
	}
}
