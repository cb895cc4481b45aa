package tiered

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/cachekit/cachekit/internal/redistest"
	"github.com/cachekit/cachekit/store"
)

// trackGoal is the target: every instance stops serving the old value within it. Logged
// against the measured p99, never asserted (timing on a shared machine); the assertion is that the old
// value stops being served at all within trackBound.
const (
	trackGoal  = 50 * time.Millisecond
	trackBound = 2 * time.Second
	trackRuns  = 200
)

// trackingPair opens two tiered instances over redisURL on the tracking path, with L1 copies that only
// an invalidation can remove within a test (L1MaxTTL of a minute).
func trackingPair(t *testing.T, redisURL, prefix string) []*Store {
	t.Helper()
	var out []*Store
	for range 2 {
		s := openRedisTiered(t, redisURL, Options{L1MaxTTL: time.Minute, TrackPrefix: prefix, Invalidation: InvalidationAuto})
		if got := s.InvalidationState(); got != stateTracking {
			t.Fatalf("InvalidationState = %q; want %q (Redis 7 supports tracking)", got, stateTracking)
		}
		out = append(out, s)
	}
	return out
}

// warm reads key on every instance until each serves want (from L1 after the first read).
func warm(t *testing.T, stores []*Store, key, want string) {
	t.Helper()
	for i, s := range stores {
		waitFor(t, trackBound, fmt.Sprintf("instance %d reading %s=%s", i, key, want), func() bool {
			v, err := s.Get(context.Background(), key)
			return err == nil && string(v) == want
		})
	}
}

// stopsServing polls every instance concurrently (every 100µs) from ack until it no longer serves old
// for key, and returns how long each took; it fails t when one still serves it after trackBound.
func stopsServing(t *testing.T, stores []*Store, key, old string, ack time.Time) []time.Duration {
	t.Helper()
	took := make([]time.Duration, len(stores))
	var wg sync.WaitGroup
	var failed atomic.Int32
	for i, s := range stores {
		wg.Go(func() {
			for {
				v, err := s.Get(context.Background(), key)
				if !(err == nil && string(v) == old) {
					took[i] = time.Since(ack)
					return
				}
				if time.Since(ack) > trackBound {
					failed.Store(int32(i) + 1)
					return
				}
				time.Sleep(100 * time.Microsecond)
			}
		})
	}
	wg.Wait()
	if i := failed.Load(); i != 0 {
		t.Fatalf("instance %d still serves %s=%s %v after the external write", i-1, key, old, trackBound)
	}
	return took
}

// latencies collects durations and logs their percentiles.
type latencies []time.Duration

func (l latencies) pct(p float64) time.Duration {
	s := slices.Clone(l)
	slices.Sort(s)
	return s[min(len(s)-1, int(float64(len(s))*p))]
}

func (l latencies) log(t *testing.T, scenario string) {
	t.Helper()
	t.Logf("%s: %d observations (writes × instances): p50 %v, p99 %v, max %v (goal: p99 under %v)",
		scenario, len(l), l.pct(0.50), l.pct(0.99), l.pct(1), trackGoal)
}

// runExternalWrites SETs and DELs, with ext (a bare go-redis client), keys under prefix (keys(i) names
// the i-th), after every instance holds the old value in L1, and measures when each stops serving it.
func runExternalWrites(t *testing.T, stores []*Store, ext goredis.UniversalClient, key func(i int) string, runs int) (set, del latencies) {
	t.Helper()
	ctx := t.Context()
	for i := range runs {
		k := key(i)
		if err := ext.Set(ctx, k, "old", time.Minute).Err(); err != nil {
			t.Fatal(err)
		}
		warm(t, stores, k, "old")
		if err := ext.Set(ctx, k, "new", time.Minute).Err(); err != nil {
			t.Fatal(err)
		}
		set = append(set, stopsServing(t, stores, k, "old", time.Now())...)
		warm(t, stores, k, "new")
		if err := ext.Del(ctx, k).Err(); err != nil {
			t.Fatal(err)
		}
		del = append(del, stopsServing(t, stores, k, "new", time.Now())...)
	}
	return set, del
}

// runExternalExpiry sets keys with PX 50, lets every instance read them, and measures when each
// stops serving the value relative to the key's expiry (negative: before it). L1 copies take the key's
// remaining L2 lifetime, so they lapse by themselves no later than Redis's; the invalidation Redis sends
// when it actually expires the key (on access or by its active expire cycle) comes later and finds
// nothing left to drop.
func runExternalExpiry(t *testing.T, stores []*Store, ext goredis.UniversalClient, key func(i int) string, runs int) latencies {
	t.Helper()
	var out latencies
	for i, tries := 0, 0; i < runs; tries++ {
		k := key(i) // a retry sets it again: the copies of the try before lapsed with it
		if err := ext.Set(t.Context(), k, "short", 50*time.Millisecond).Err(); err != nil {
			t.Fatal(err)
		}
		expiry := time.Now().Add(50 * time.Millisecond)
		if !warmBefore(stores, k, "short", expiry) {
			// A stall on a loaded machine outlasted the key: this run measures nothing, try it again.
			if tries > 3*runs {
				t.Fatalf("%d of %d runs could not read a PX 50 key before it expired", tries-i, tries)
			}
			continue
		}
		for _, d := range stopsServing(t, stores, k, "short", expiry) {
			out = append(out, d)
		}
		i++
	}
	return out
}

// warmBefore is warm for a key that expires at expiry: it reports whether every instance read want
// before then.
func warmBefore(stores []*Store, key, want string, expiry time.Time) bool {
	for _, s := range stores {
		for {
			if time.Now().After(expiry) {
				return false
			}
			if v, err := s.Get(context.Background(), key); err == nil && string(v) == want {
				break
			}
			time.Sleep(100 * time.Microsecond)
		}
	}
	return true
}

// TestTrackExternalWritesStandalone: a bare go-redis client SETs, DELs and lets expire keys under the
// prefix; both tiered instances stop serving the old value (latency percentiles logged).
func TestTrackExternalWritesStandalone(t *testing.T) {
	srv := redistest.Standalone(t)
	prefix := redistest.Namespace(t) + ":"
	stores := trackingPair(t, srv.URL, prefix)
	ext := goredis.NewClient(&goredis.Options{Addr: srv.Addr})
	defer ext.Close()
	set, del := runExternalWrites(t, stores, ext, func(i int) string { return fmt.Sprintf("%sk%d", prefix, i) }, trackRuns)
	set.log(t, "standalone SET")
	del.log(t, "standalone DEL")
	exp := runExternalExpiry(t, stores, ext, func(i int) string { return fmt.Sprintf("%sx%d", prefix, i) }, 50)
	exp.log(t, "standalone PX 50 expiry (time after the expiry instant)")
	if sent := extra(t, stores[0], "invalidations_sent"); sent != 0 {
		t.Logf("note: invalidations_sent=%d counts entries the publisher dropped without I/O", sent)
	}
}

// TestTrackOwnWritesNoPublish: on the tracking path, one instance's Set and Delete reach the other
// through Redis alone: no PUBLISH is sent.
func TestTrackOwnWritesNoPublish(t *testing.T) {
	srv := redistest.Dedicated(t)
	stores := trackingPair(t, srv.URL, "p:")
	a, b := stores[0], stores[1]
	ctx := t.Context()
	if err := a.Set(ctx, "p:k", []byte("old"), time.Minute); err != nil {
		t.Fatal(err)
	}
	warm(t, stores, "p:k", "old")
	if err := a.Set(ctx, "p:k", []byte("new"), time.Minute); err != nil {
		t.Fatal(err)
	}
	stopsServing(t, []*Store{b}, "p:k", "old", time.Now())
	if _, err := a.DeletePattern(ctx, "p:*"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, trackBound, "b dropping p:k after a's DeletePattern", func() bool {
		_, err := b.Get(ctx, "p:k")
		return errors.Is(err, store.ErrNotFound)
	})
	admin := goredis.NewClient(&goredis.Options{Addr: srv.Addr})
	defer admin.Close()
	info, err := admin.Info(ctx, "commandstats").Result()
	if err != nil {
		t.Fatal(err)
	}
	if n := commandCalls(info, "publish"); n != 0 {
		t.Errorf("the server saw %d PUBLISH calls; want 0 on the tracking path", n)
	}
}

// TestTrackWatchEvents: tracking events reach InvalidationWatcher as Received (Keys counted, Lag 0),
// and a killed tracking connection as Lost then Restored, after which L1 was flushed.
func TestTrackWatchEvents(t *testing.T) {
	srv := redistest.Standalone(t)
	name := "trk-" + redistest.Namespace(t)
	prefix := redistest.Namespace(t) + ":"
	s := openRedisTiered(t, withClientName(srv.URL, name), Options{L1MaxTTL: time.Minute, TrackPrefix: prefix, Invalidation: InvalidationAuto})
	evs := make(chan store.InvalidationEvent, 64)
	s.WatchInvalidations(func(ev store.InvalidationEvent) { evs <- ev })
	ext := goredis.NewClient(&goredis.Options{Addr: srv.Addr})
	defer ext.Close()
	ext.Set(t.Context(), prefix+"a", "v", time.Minute)
	ev := nextInvEvent(t, evs)
	if ev.Kind != store.InvalidationReceived || ev.Keys != 1 || ev.Lag != 0 || ev.Flush {
		t.Fatalf("event = %+v; want Received of 1 key, Lag 0", ev)
	}
	warm(t, []*Store{s}, prefix+"a", "v")
	flushes := extra(t, s, "l1_flushes")
	if n := redistest.KillPubSub(t, name, srv.Addr); n < 1 {
		t.Fatalf("KillPubSub closed %d connections; want the tracker's", n)
	}
	if ev := nextInvEvent(t, evs); ev.Kind != store.SubscriptionLost || !errors.Is(ev.Err, store.ErrUnavailable) {
		t.Fatalf("event = %+v; want SubscriptionLost", ev)
	}
	if ev := nextInvEvent(t, evs); ev.Kind != store.SubscriptionRestored {
		t.Fatalf("event = %+v; want SubscriptionRestored", ev)
	}
	if got := extra(t, s, "l1_flushes"); got <= flushes {
		t.Errorf("l1_flushes = %d after the re-arm; want > %d (resync flushes L1)", got, flushes)
	}
	ext.Del(t.Context(), prefix+"a")
}

func nextInvEvent(t *testing.T, evs <-chan store.InvalidationEvent) store.InvalidationEvent {
	t.Helper()
	select {
	case ev := <-evs:
		return ev
	case <-time.After(5 * time.Second):
		t.Fatal("no invalidation event within 5s")
	}
	return store.InvalidationEvent{}
}

// TestTrackModes: the option picks the path; tracking on a non-Tracker L2 is an error, an unknown mode
// too; the default ("") is auto, which tracks on Redis 7; pubsub keeps the old path.
func TestTrackModes(t *testing.T) {
	if _, err := New(newMemory(t), newMemory(t), Options{Invalidation: InvalidationTracking}); !errors.Is(err, ErrInvalidOptions) {
		t.Errorf("tracking over memory: %v; want ErrInvalidOptions", err)
	}
	if _, err := New(newMemory(t), newMemory(t), Options{Invalidation: "bogus"}); !errors.Is(err, ErrInvalidOptions) {
		t.Errorf("bogus mode: %v; want ErrInvalidOptions", err)
	}
	srv := redistest.Standalone(t)
	for m, want := range map[InvalidationMode]string{"": stateTracking, InvalidationAuto: stateTracking, InvalidationPubSub: statePubSub} {
		if s := openRedisTiered(t, srv.URL, Options{Invalidation: m}); s.InvalidationState() != want {
			t.Errorf("mode %q: state %q; want %q", m, s.InvalidationState(), want)
		}
	}
	if s := openRedisTiered(t, srv.URL, Options{}); s.opts.TrackPrefix != "" {
		t.Errorf("default TrackPrefix = %q; want \"\" (every key)", s.opts.TrackPrefix)
	}
}

// TestTrackFallbackToPubSub: auto mode on a Redis whose ACL denies CLIENT TRACKING uses pub/sub, and
// instances still hear each other.
func TestTrackFallbackToPubSub(t *testing.T) {
	srv := redistest.Dedicated(t)
	admin := goredis.NewClient(&goredis.Options{Addr: srv.Addr})
	defer admin.Close()
	if err := admin.Do(t.Context(), "ACL", "SETUSER", "notrack", "on", ">pw", "~*", "&*", "+@all", "-client|tracking").Err(); err != nil {
		t.Fatal(err)
	}
	u := fmt.Sprintf("redis://notrack:pw@%s/0", srv.Addr)
	a := openRedisTiered(t, u, Options{L1MaxTTL: time.Minute, Invalidation: InvalidationAuto})
	b := openRedisTiered(t, u, Options{L1MaxTTL: time.Minute, Invalidation: InvalidationAuto})
	for _, s := range []*Store{a, b} {
		if s.InvalidationState() != statePubSub {
			t.Fatalf("state = %q; want pubsub after the refusal", s.InvalidationState())
		}
	}
	if err := a.Set(t.Context(), "k", []byte("old"), time.Minute); err != nil {
		t.Fatal(err)
	}
	warm(t, []*Store{a, b}, "k", "old")
	if err := a.Set(t.Context(), "k", []byte("new"), time.Minute); err != nil {
		t.Fatal(err)
	}
	stopsServing(t, []*Store{b}, "k", "old", time.Now())
}

// clusterKey returns keys under prefix spread over every master: key(i) lands on master i%masters.
func clusterKeyFunc(t *testing.T, ext *goredis.ClusterClient, prefix string, masters, runs int) func(int) string {
	t.Helper()
	byNode := map[string][]string{}
	var order []string
	for i := 0; i < 100000; i++ {
		k := fmt.Sprintf("%sk%d", prefix, i)
		c, err := ext.MasterForKey(t.Context(), k)
		if err != nil {
			t.Fatal(err)
		}
		addr := c.Options().Addr
		if _, ok := byNode[addr]; !ok {
			order = append(order, addr)
		}
		byNode[addr] = append(byNode[addr], k)
		if len(order) == masters && slices.IndexFunc(order, func(a string) bool { return len(byNode[a]) < runs/masters+1 }) < 0 {
			break
		}
	}
	if len(order) < masters {
		t.Fatalf("keys landed on %d masters; want %d", len(order), masters)
	}
	return func(i int) string { return byNode[order[i%masters]][i/masters] }
}

// TestTrackExternalWritesCluster: the same on a 3-master Cluster, keys on every master.
func TestTrackExternalWritesCluster(t *testing.T) {
	cs := redistest.Cluster(t, 3)
	prefix := redistest.Namespace(t) + ":"
	stores := trackingPair(t, cs.URL, prefix)
	ext := goredis.NewClusterClient(&goredis.ClusterOptions{Addrs: cs.Addrs})
	defer ext.Close()
	key := clusterKeyFunc(t, ext, prefix, 3, trackRuns)
	set, del := runExternalWrites(t, stores, ext, key, trackRuns)
	set.log(t, "cluster SET")
	del.log(t, "cluster DEL")
	xkey := clusterKeyFunc(t, ext, prefix+"x:", 3, 30)
	exp := runExternalExpiry(t, stores, ext, xkey, 30)
	exp.log(t, "cluster PX 50 expiry (time after the expiry instant)")
}

// TestTrackClusterFailover: after a Cluster failover, external writes on the promoted master still
// make every instance stop serving the old value.
func TestTrackClusterFailover(t *testing.T) {
	rc := redistest.ClusterWithReplicas(t, 3, 1)
	masters := rc.Masters(t)
	u := "redis+cluster://" + masters[0] + "?addr=" + masters[1] + "&addr=" + masters[2]
	prefix := "fo:"
	stores := trackingPair(t, u, prefix)
	restored := make([]atomic.Int32, len(stores))
	for i, s := range stores {
		s.WatchInvalidations(func(ev store.InvalidationEvent) {
			if ev.Kind == store.SubscriptionRestored {
				restored[i].Add(1)
			}
		})
	}
	ext := goredis.NewClusterClient(&goredis.ClusterOptions{Addrs: masters})
	defer ext.Close()
	key := clusterKeyFunc(t, ext, prefix, 3, 60)
	old := rc.MasterOf(t, key(0))
	promoted := rc.Failover(t, old)
	t.Logf("failover: %s -> %s", old, promoted)
	for i := range stores {
		waitFor(t, 10*time.Second, fmt.Sprintf("instance %d re-arming after the failover", i), func() bool { return restored[i].Load() > 0 })
	}
	// Keys 0, 3, 6, ... live on the promoted master.
	set, del := runExternalWrites(t, stores, ext, func(i int) string { return key(3 * i) }, 20)
	set.log(t, "cluster after failover, SET on the promoted master")
	del.log(t, "cluster after failover, DEL on the promoted master")
}

// commandCalls returns calls=N of cmdstat_<name> in INFO commandstats output (0 when absent).
func commandCalls(info, name string) int64 {
	var n int64
	for line := range strings.SplitSeq(info, "\n") {
		if _, err := fmt.Sscanf(strings.TrimSpace(line), "cmdstat_"+name+":calls=%d", &n); err == nil {
			return n
		}
	}
	return 0
}

// withClientName adds client_name to a redis:// URL (which has no query).
func withClientName(u, name string) string { return u + "?client_name=" + name }

// TestTrackURL: invalidation takes a mode or a boolean, track_prefix maps to TrackPrefix.
func TestTrackURL(t *testing.T) {
	srv := redistest.Standalone(t)
	l1, l2 := "memory://", srv.URL
	s, err := store.Open(t.Context(), tieredURL(l1, l2, map[string][]string{"invalidation": {"tracking"}, "track_prefix": {"qrl:"}}))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if o := s.(*Store).opts; o.Invalidation != InvalidationTracking || o.TrackPrefix != "qrl:" || o.DisableInvalidation {
		t.Errorf("options = %+v; want tracking on qrl:", o)
	}
	if _, err := store.Open(t.Context(), tieredURL(l1, l2, map[string][]string{"invalidation": {"sometimes"}})); !errors.Is(err, store.ErrInvalidURL) {
		t.Errorf("invalidation=sometimes: %v; want ErrInvalidURL", err)
	}
}
