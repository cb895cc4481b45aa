package redis

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/cachekit/cachekit/internal/redistest"
	"github.com/cachekit/cachekit/store"
)

// nextEvent returns the next event of sub, failing t when none arrives within d or Events is closed.
func nextEvent(t *testing.T, sub store.Subscription, d time.Duration) store.Event {
	t.Helper()
	select {
	case ev, ok := <-sub.Events():
		if !ok {
			t.Fatal("Events closed while the subscription was open")
		}
		return ev
	case <-time.After(d):
		t.Fatalf("no event within %v", d)
	}
	return store.Event{}
}

// subscribeT subscribes s to a fresh channel and closes the subscription when the test ends.
func subscribeT(t *testing.T, s *Store) (store.Subscription, string) {
	t.Helper()
	channel := "cachekit:test:" + redistest.Namespace(t)
	sub, err := s.Subscribe(t.Context(), channel)
	if err != nil {
		t.Fatalf("Subscribe: %v", err)
	}
	t.Cleanup(func() { _ = sub.Close() })
	return sub, channel
}

// publishUntilSeen publishes payload until sub delivers it (a restarted server may still be refusing the
// first attempts) and returns every event seen before it.
func publishUntilSeen(t *testing.T, s *Store, sub store.Subscription, channel string, payload []byte) []store.Event {
	t.Helper()
	var before []store.Event
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		_ = s.Publish(t.Context(), channel, payload)
		timeout := time.After(200 * time.Millisecond)
	drain:
		for {
			select {
			case ev, ok := <-sub.Events():
				if !ok {
					t.Fatal("Events closed while the subscription was open")
				}
				if bytes.Equal(ev.Payload, payload) {
					return before
				}
				before = append(before, ev)
			case <-timeout:
				break drain
			}
		}
	}
	t.Fatalf("%q never arrived within 5s; events seen: %v", payload, before)
	return nil
}

func hasResync(evs []store.Event) bool {
	for _, ev := range evs {
		if ev.Resync {
			return true
		}
	}
	return false
}

func TestPubSubDeliversInOrder(t *testing.T) {
	s := openT(t, redistest.Standalone(t).URL)
	sub, channel := subscribeT(t, s)
	payloads := [][]byte{[]byte("one"), {0, 1, 2, 255, '\r', '\n'}, {}, []byte("three")}
	for _, p := range payloads {
		if err := s.Publish(t.Context(), channel, p); err != nil {
			t.Fatalf("Publish: %v", err)
		}
	}
	for i, want := range payloads {
		ev := nextEvent(t, sub, 2*time.Second)
		if ev.Resync || !bytes.Equal(ev.Payload, want) {
			t.Fatalf("event %d = %+v, want payload %q and no Resync", i, ev, want)
		}
	}
}

func TestPubSubResyncAfterClientKill(t *testing.T) {
	srv := redistest.Dedicated(t)
	s := openT(t, srv.URL)
	sub, channel := subscribeT(t, s)
	if before := publishUntilSeen(t, s, sub, channel, []byte("before")); len(before) != 0 {
		t.Fatalf("events before the first message: %v", before)
	}
	admin := goredis.NewClient(&goredis.Options{Addr: srv.Addr})
	defer admin.Close()
	killed := time.Now()
	n, err := admin.ClientKillByFilter(t.Context(), "TYPE", "pubsub").Result()
	if err != nil || n != 1 {
		t.Fatalf("CLIENT KILL TYPE pubsub = %d, %v; want 1 connection killed", n, err)
	}
	ev := nextEvent(t, sub, 3*time.Second)
	if !ev.Resync {
		t.Fatalf("first event after CLIENT KILL = %+v, want Resync", ev)
	}
	t.Logf("Resync %v after CLIENT KILL", time.Since(killed).Round(time.Microsecond))
	if before := publishUntilSeen(t, s, sub, channel, []byte("after")); len(before) != 0 {
		t.Errorf("events between Resync and the next message: %v", before)
	}
}

func TestPubSubResyncAfterRestart(t *testing.T) {
	srv := redistest.Dedicated(t)
	s := openT(t, srv.URL)
	sub, channel := subscribeT(t, s)
	publishUntilSeen(t, s, sub, channel, []byte("before"))
	srv.Stop(t)
	time.Sleep(300 * time.Millisecond) // let the receive loop notice and start retrying
	srv.Start(t)
	seen := publishUntilSeen(t, s, sub, channel, []byte("after"))
	if !hasResync(seen) {
		t.Fatalf("no Resync before the first message after a restart; events: %v", seen)
	}
}

func TestPubSubSilentConnectionIsReplaced(t *testing.T) {
	srv := redistest.Dedicated(t)
	s := openT(t, srv.URL)
	sub, channel := subscribeT(t, s)
	publishUntilSeen(t, s, sub, channel, []byte("before"))
	admin := goredis.NewClient(&goredis.Options{Addr: srv.Addr})
	defer admin.Close()
	// Paused, the server answers nothing (not even the watchdog's PING) but keeps the connection open:
	// what a half-open connection looks like from the client.
	pause := pubsubDeadAfter + 2*pubsubPing
	if err := admin.Do(t.Context(), "CLIENT", "PAUSE", pause.Milliseconds(), "ALL").Err(); err != nil {
		t.Fatalf("CLIENT PAUSE: %v", err)
	}
	began := time.Now()
	ev := nextEvent(t, sub, pause+5*time.Second)
	if !ev.Resync {
		t.Fatalf("first event after a silent connection = %+v, want Resync", ev)
	}
	t.Logf("Resync %v after the server went silent for %v", time.Since(began).Round(time.Millisecond), pause)
	publishUntilSeen(t, s, sub, channel, []byte("after"))
}

func TestPubSubSubscribeUnavailable(t *testing.T) {
	srv := redistest.Dedicated(t)
	s := openT(t, srv.URL)
	srv.Stop(t)
	began := time.Now()
	_, err := s.Subscribe(t.Context(), "cachekit:test:down")
	if !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("Subscribe with the server down: %v, want ErrUnavailable", err)
	}
	if err := s.Publish(t.Context(), "cachekit:test:down", []byte("x")); !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("Publish with the server down: %v, want ErrUnavailable", err)
	}
	if d := time.Since(began); d > 5*time.Second {
		t.Errorf("Subscribe and Publish with the server down took %v, want well under the 5s bound", d)
	}
}

func TestPubSubClose(t *testing.T) {
	s := openT(t, redistest.Standalone(t).URL)
	sub, channel := subscribeT(t, s)
	if err := sub.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := sub.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	select {
	case _, ok := <-sub.Events():
		if ok {
			t.Error("Events delivered an event after Close")
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Events not closed after Close")
	}

	// A Store closed under a live subscription ends it.
	sub2, _ := subscribeT(t, s)
	_ = s.Close()
	select {
	case <-drained(sub2.Events()):
	case <-time.After(5 * time.Second):
		t.Fatal("Events not closed within 5s of the Store's Close")
	}
	if err := s.Publish(t.Context(), channel, []byte("x")); !errors.Is(err, store.ErrClosed) {
		t.Errorf("Publish after Close: %v, want ErrClosed", err)
	}
	if _, err := s.Subscribe(t.Context(), channel); !errors.Is(err, store.ErrClosed) {
		t.Errorf("Subscribe after Close: %v, want ErrClosed", err)
	}
}

// drained returns a channel closed once events is closed (reading and discarding what it delivers).
func drained(events <-chan store.Event) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		for range events {
		}
		close(done)
	}()
	return done
}

func TestPubSubEmptyChannel(t *testing.T) {
	s := openT(t, redistest.Standalone(t).URL)
	if _, err := s.Subscribe(t.Context(), ""); !errors.Is(err, store.ErrInvalidKey) {
		t.Errorf("Subscribe(\"\"): %v, want ErrInvalidKey", err)
	}
	if err := s.Publish(t.Context(), "", nil); !errors.Is(err, store.ErrInvalidKey) {
		t.Errorf("Publish(\"\"): %v, want ErrInvalidKey", err)
	}
}

func TestGetWithTTL(t *testing.T) {
	s := openT(t, redistest.Standalone(t).URL)
	ctx := context.Background()
	ns := redistest.Namespace(t)
	a, b, missing := ns+":a", ns+":b", ns+":missing"
	t.Cleanup(func() { _, _ = s.Delete(context.Background(), a, b) })
	if err := s.Set(ctx, a, []byte("va"), time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := s.Set(ctx, b, []byte{}, 2*time.Second); err != nil {
		t.Fatal(err)
	}
	v, ttl, err := s.GetWithTTL(ctx, a)
	if err != nil || string(v) != "va" || ttl <= 50*time.Second || ttl > time.Minute {
		t.Errorf("GetWithTTL(a) = %q, %v, %v; want va, about 1m, nil", v, ttl, err)
	}
	if _, _, err := s.GetWithTTL(ctx, missing); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetWithTTL(missing): %v, want ErrNotFound", err)
	}

	c := newCounter()
	s.Client().AddHook(c)
	m, err := s.GetManyWithTTL(ctx, []string{a, missing, b})
	if err != nil {
		t.Fatal(err)
	}
	total, _, pipelines := c.snapshot()
	if total != 0 || pipelines != 1 {
		t.Errorf("GetManyWithTTL sent %d single commands and %d pipelines, want one pipeline", total, pipelines)
	}
	if len(m) != 2 || string(m[a].Value) != "va" || m[b].Value == nil || len(m[b].Value) != 0 {
		t.Errorf("GetManyWithTTL = %v, want a=va and b=empty", m)
	}
	if m[b].TTL <= 0 || m[b].TTL > 2*time.Second || m[a].TTL <= 50*time.Second {
		t.Errorf("GetManyWithTTL lifetimes a=%v b=%v, want about 1m and at most 2s", m[a].TTL, m[b].TTL)
	}
}

// TestPubSubCluster: a plain PUBLISH reaches a subscription wherever it is connected, and
// GetManyWithTTL reads keys of several slots (several nodes) in one call.
func TestPubSubCluster(t *testing.T) {
	cs := redistest.Cluster(t, 3)
	s := openT(t, cs.URL)
	sub, channel := subscribeT(t, s)
	for _, p := range []string{"a", "b", "c"} {
		if err := s.Publish(t.Context(), channel, []byte(p)); err != nil {
			t.Fatal(err)
		}
	}
	// A Cluster publish may go through any node and the cluster bus forwards it, so publications sent
	// through different nodes may arrive in either order: check the set, not the order.
	got := map[string]bool{}
	for range 3 {
		ev := nextEvent(t, sub, 2*time.Second)
		if ev.Resync {
			t.Fatalf("unexpected resync event %+v", ev)
		}
		got[string(ev.Payload)] = true
	}
	if !got["a"] || !got["b"] || !got["c"] {
		t.Fatalf("payloads received = %v, want a, b and c", got)
	}

	ctx := context.Background()
	ns := redistest.Namespace(t)
	var keys []string
	for i := range 20 { // 20 keys spread over the three masters' slots
		k := fmt.Sprintf("%s:k%d", ns, i)
		keys = append(keys, k)
		if err := s.Set(ctx, k, []byte(k), time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { _, _ = s.Delete(context.Background(), keys...) })
	m, err := s.GetManyWithTTL(ctx, append(keys, ns+":missing"))
	if err != nil {
		t.Fatal(err)
	}
	if len(m) != len(keys) {
		t.Fatalf("GetManyWithTTL returned %d hits, want %d", len(m), len(keys))
	}
	for _, k := range keys {
		if string(m[k].Value) != k || m[k].TTL <= 50*time.Second {
			t.Errorf("GetManyWithTTL[%q] = %q, %v", k, m[k].Value, m[k].TTL)
		}
	}
}
