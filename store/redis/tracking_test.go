package redis

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/cachekit/cachekit/internal/redistest"
	"github.com/cachekit/cachekit/store"
)

// trackT starts tracking prefix on s and closes the subscription when the test ends.
func trackT(t *testing.T, s *Store, prefix string) store.TrackSubscription {
	t.Helper()
	sub, err := s.Track(t.Context(), []string{prefix})
	if err != nil {
		t.Fatalf("Track(%q): %v", prefix, err)
	}
	t.Cleanup(func() { _ = sub.Close() })
	return sub
}

// awaitTrack waits up to d for an event that satisfies ok and returns the events seen before it.
func awaitTrack(t *testing.T, sub store.TrackSubscription, d time.Duration, what string, ok func(store.TrackEvent) bool) []store.TrackEvent {
	t.Helper()
	var seen []store.TrackEvent
	timeout := time.After(d)
	for {
		select {
		case ev, open := <-sub.Events():
			if !open {
				t.Fatalf("Events closed while waiting for %s", what)
			}
			if ok(ev) {
				return seen
			}
			seen = append(seen, ev)
		case <-timeout:
			t.Fatalf("no %s within %v; events seen: %+v", what, d, seen)
		}
	}
}

func keyEvent(key string) func(store.TrackEvent) bool {
	return func(ev store.TrackEvent) bool { return slices.Contains(ev.Keys, key) }
}

func isResync(ev store.TrackEvent) bool { return ev.Resync }

// TestTrackStandalone: a bare go-redis client's SET, DEL and an expiry of a key under the prefix are
// reported; a key outside the prefix is not; a killed connection re-arms and delivers a Resync.
func TestTrackStandalone(t *testing.T) {
	srv := redistest.Standalone(t)
	name := "trk-" + redistest.Namespace(t)
	s := openT(t, withQuery(srv.URL, "client_name="+name))
	prefix := redistest.Namespace(t) + ":"
	sub := trackT(t, s, prefix)
	ext := goredis.NewClient(&goredis.Options{Addr: srv.Addr})
	defer ext.Close()
	ctx := t.Context()

	if err := ext.Set(ctx, "outside:"+prefix, "v", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	ext.Set(ctx, prefix+"a", "v", time.Minute)
	if seen := awaitTrack(t, sub, 2*time.Second, "SET "+prefix+"a", keyEvent(prefix+"a")); len(seen) > 0 {
		t.Errorf("events before the SET's: %+v (a key outside the prefix must not be reported)", seen)
	}
	ext.Del(ctx, prefix+"a")
	awaitTrack(t, sub, 2*time.Second, "DEL", keyEvent(prefix+"a"))
	ext.Set(ctx, prefix+"exp", "v", 50*time.Millisecond)
	awaitTrack(t, sub, 2*time.Second, "SET of the expiring key", keyEvent(prefix+"exp"))
	awaitTrack(t, sub, 3*time.Second, "the expiry", keyEvent(prefix+"exp")) // active expire cycle, no access
	ext.Del(ctx, "outside:"+prefix)

	if n := redistest.KillPubSub(t, name, srv.Addr); n != 1 {
		t.Fatalf("KillPubSub closed %d connections; want 1 (the tracker's)", n)
	}
	awaitTrack(t, sub, 5*time.Second, "Resync after the killed connection", isResync)
	ext.Set(ctx, prefix+"b", "v", time.Minute)
	awaitTrack(t, sub, 2*time.Second, "SET after the re-arm", keyEvent(prefix+"b"))
	ext.Del(ctx, prefix+"b")
}

// TestTrackFlushAll: FLUSHALL reaches the subscription as FlushAll, and tracking goes on.
func TestTrackFlushAll(t *testing.T) {
	srv := redistest.Dedicated(t)
	s := openT(t, srv.URL)
	sub := trackT(t, s, "p:")
	ext := goredis.NewClient(&goredis.Options{Addr: srv.Addr})
	defer ext.Close()
	ext.FlushAll(t.Context())
	seen := awaitTrack(t, sub, 2*time.Second, "FlushAll", func(ev store.TrackEvent) bool { return ev.FlushAll })
	if len(seen) > 0 {
		t.Errorf("events before FlushAll: %+v", seen)
	}
	ext.Set(t.Context(), "p:x", "v", time.Minute)
	seen = awaitTrack(t, sub, 2*time.Second, "SET after FLUSHALL", keyEvent("p:x"))
	if slices.ContainsFunc(seen, isResync) {
		t.Errorf("FLUSHALL cost a reconnect (Resync): %+v", seen)
	}
}

// TestTrackPrefixes: overlapping prefixes are refused with ErrInvalidKey before any I/O.
func TestTrackPrefixes(t *testing.T) {
	srv := redistest.Standalone(t)
	s := openT(t, srv.URL)
	for _, ps := range [][]string{{"a:", "a:b"}, {"", "x"}} {
		if _, err := s.Track(t.Context(), ps); !errors.Is(err, store.ErrInvalidKey) {
			t.Errorf("Track(%q) = %v; want ErrInvalidKey", ps, err)
		}
	}
	got, err := trackPrefixes([]string{"b:", "a:", "b:"})
	if err != nil || !slices.Equal(got, []string{"a:", "b:"}) {
		t.Errorf("trackPrefixes = %q, %v; want [a: b:]", got, err)
	}
}

// TestTrackUnsupported: a server whose ACL denies CLIENT TRACKING fails Track with
// ErrTrackingUnsupported (and ErrDenied), not ErrUnavailable.
func TestTrackUnsupported(t *testing.T) {
	srv := redistest.Dedicated(t)
	admin := goredis.NewClient(&goredis.Options{Addr: srv.Addr})
	defer admin.Close()
	if err := admin.Do(t.Context(), "ACL", "SETUSER", "notrack", "on", ">pw", "~*", "&*", "+@all", "-client|tracking").Err(); err != nil {
		t.Fatal(err)
	}
	s := openT(t, fmt.Sprintf("redis://notrack:pw@%s/0", srv.Addr))
	_, err := s.Track(t.Context(), []string{"p:"})
	if !errors.Is(err, store.ErrTrackingUnsupported) || !errors.Is(err, store.ErrDenied) || errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("Track = %v; want ErrTrackingUnsupported and ErrDenied", err)
	}
}

// clusterKeys returns one key under prefix per master of c (found by CLUSTER KEYSLOT routing).
func clusterKeys(t *testing.T, ext *goredis.ClusterClient, prefix string, masters int) []string {
	t.Helper()
	byNode := map[string]string{}
	for i := 0; len(byNode) < masters && i < 10000; i++ {
		k := fmt.Sprintf("%sk%d", prefix, i)
		c, err := ext.MasterForKey(t.Context(), k)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := byNode[c.Options().Addr]; !ok {
			byNode[c.Options().Addr] = k
		}
	}
	var keys []string
	for _, k := range byNode {
		keys = append(keys, k)
	}
	if len(keys) < masters {
		t.Fatalf("found keys on %d masters; want %d", len(keys), masters)
	}
	return keys
}

// TestTrackCluster: writes to keys on every master are reported.
func TestTrackCluster(t *testing.T) {
	cs := redistest.Cluster(t, 3)
	s := openT(t, cs.URL)
	prefix := redistest.Namespace(t) + ":"
	sub := trackT(t, s, prefix)
	ext := goredis.NewClusterClient(&goredis.ClusterOptions{Addrs: cs.Addrs})
	defer ext.Close()
	for _, k := range clusterKeys(t, ext, prefix, 3) {
		if err := ext.Set(t.Context(), k, "v", time.Minute).Err(); err != nil {
			t.Fatal(err)
		}
		awaitTrack(t, sub, 2*time.Second, "SET "+k, keyEvent(k))
		ext.Del(t.Context(), k)
		awaitTrack(t, sub, 2*time.Second, "DEL "+k, keyEvent(k))
	}
}

// TestTrackClusterFailover: after a failover a Resync is delivered and writes on the new master are
// reported.
func TestTrackClusterFailover(t *testing.T) {
	rc := redistest.ClusterWithReplicas(t, 3, 1)
	masters := rc.Masters(t)
	url := "redis+cluster://" + masters[0]
	for _, a := range masters[1:] {
		url += map[bool]string{true: "?", false: "&"}[url == "redis+cluster://"+masters[0]] + "addr=" + a
	}
	s := openT(t, url)
	prefix := "fo:"
	sub := trackT(t, s, prefix)
	ext := goredis.NewClusterClient(&goredis.ClusterOptions{Addrs: masters})
	defer ext.Close()
	key := clusterKeys(t, ext, prefix, 3)[0]
	old := rc.MasterOf(t, key)
	promoted := rc.Failover(t, old)
	awaitTrack(t, sub, 10*time.Second, "Resync after the failover", isResync)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := ext.Set(ctx, key, "v", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	awaitTrack(t, sub, 3*time.Second, "SET on the promoted master "+promoted, keyEvent(key))
}
