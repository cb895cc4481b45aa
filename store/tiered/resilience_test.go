package tiered

import (
	"context"
	"errors"
	"net/url"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/cachekit/cachekit/internal/redistest"
	"github.com/cachekit/cachekit/store"
)

// rawClient is a plain go-redis client on addr: writes through it bypass every cachekit instance and
// publish nothing.
func rawClient(t *testing.T, addr string) *goredis.Client {
	t.Helper()
	c := goredis.NewClient(&goredis.Options{Addr: addr})
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// TestResyncFlushesL1AfterClientKill kills B's pub/sub connection, changes a key behind B's back
// (nothing is published), and checks that B flushed its L1 on re-subscribing instead of serving its copy
// for the remaining hour of L1MaxTTL.
func TestResyncFlushesL1AfterClientKill(t *testing.T) {
	srv := redistest.Dedicated(t) // CLIENT KILL TYPE pubsub must not hit other tests' connections
	b := openRedisTiered(t, srv.URL, Options{L1MaxTTL: time.Hour})
	raw := rawClient(t, srv.Addr)
	ctx := t.Context()
	k := "ns:v1:k"
	if err := b.Set(ctx, k, []byte("old"), time.Hour); err != nil {
		t.Fatal(err)
	}
	settle(t, b)
	mustL1Hit(t, b, k, "old")
	flushes := extra(t, b, "l1_flushes")

	if n, err := raw.ClientKillByFilter(ctx, "TYPE", "pubsub").Result(); err != nil || n != 1 {
		t.Fatalf("CLIENT KILL TYPE pubsub = %d, %v; want B's one subscription killed", n, err)
	}
	if err := raw.Set(ctx, k, "new", time.Hour).Err(); err != nil {
		t.Fatal(err)
	}
	d := waitFor(t, 2*time.Second, "B flushes L1 after re-subscribing", func() bool { return extra(t, b, "l1_flushes") > flushes })
	t.Logf("L1 flushed %v after the kill", d.Round(time.Microsecond))
	mustGet(t, b, k, "new")
}

// TestResyncFlushesL1AfterRestart is the same through a server restart: B keeps serving its L1 while the
// server is down, and after the restart (an empty server, then a write behind B's back) reads the new
// value instead of its copy.
func TestResyncFlushesL1AfterRestart(t *testing.T) {
	srv := redistest.Dedicated(t)
	b := openRedisTiered(t, srv.URL, Options{L1MaxTTL: time.Hour})
	ctx := t.Context()
	k := "ns:v1:k"
	if err := b.Set(ctx, k, []byte("old"), time.Hour); err != nil {
		t.Fatal(err)
	}
	settle(t, b) // on the tracking path: the echo dropped the copy and the refill put it back
	flushes := extra(t, b, "l1_flushes")
	srv.Stop(t)
	mustL1Hit(t, b, k, "old") // served during the outage
	srv.Start(t)
	if err := rawClient(t, srv.Addr).Set(ctx, k, "new", time.Hour).Err(); err != nil {
		t.Fatal(err)
	}
	d := waitFor(t, 5*time.Second, "B flushes L1 after the restart", func() bool { return extra(t, b, "l1_flushes") > flushes })
	t.Logf("L1 flushed %v after the server was back", d.Round(time.Millisecond))
	mustGet(t, b, k, "new")
}

// TestL2Outage stops Redis under a Store: L1 hits are still served, a miss or a write fails with
// ErrUnavailable within the configured bounds, a failed write leaves no old copy in L1, and once Redis
// is back the lost invalidation is made up for by a flush (A's broadcast, or B's Resync).
// It runs on both coherence paths (on the tracking path nothing is published, and B's Resync flush
// makes up for the lost reports).
func TestL2Outage(t *testing.T) {
	for _, mode := range []InvalidationMode{InvalidationPubSub, InvalidationTracking} {
		t.Run(string(mode), func(t *testing.T) { testL2Outage(t, mode) })
	}
}

func testL2Outage(t *testing.T, mode InvalidationMode) {
	srv := redistest.Dedicated(t)
	// The URL's dial/read timeouts and L2Timeout together bound a call to Redis while it is down.
	u := srv.URL + "?dial_timeout=200ms&read_timeout=200ms&max_retries=1"
	a := openRedisTiered(t, u, Options{L1MaxTTL: time.Hour, L2Timeout: time.Second, Invalidation: mode})
	b := openRedisTiered(t, u, Options{L1MaxTTL: time.Hour, Invalidation: mode})
	ctx := t.Context()
	hot, written, cold := "ns:v1:hot", "ns:v1:written", "ns:v1:cold"
	for _, k := range []string{hot, written} {
		if err := a.Set(ctx, k, []byte("v1"), time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	settle(t, a)

	srv.Stop(t)
	const bound = 2 * time.Second // L2Timeout 1s plus scheduling slack
	timed := func(what string, call func() error) {
		t.Helper()
		began := time.Now()
		err := call()
		took := time.Since(began)
		if !errors.Is(err, store.ErrUnavailable) {
			t.Errorf("%s during the outage: %v, want ErrUnavailable", what, err)
		}
		if took > bound {
			t.Errorf("%s during the outage took %v, want at most %v", what, took, bound)
		}
		t.Logf("%s failed after %v: %v", what, took.Round(time.Millisecond), err)
	}
	for range 3 {
		mustL1Hit(t, a, hot, "v1")
	}
	timed("Get of a key L1 does not hold", func() error { _, err := a.Get(ctx, cold); return err })
	timed("GetMany with an L1 miss", func() error { _, err := a.GetMany(ctx, []string{hot, cold}); return err })
	timed("Set", func() error { return a.Set(ctx, written, []byte("v2"), time.Hour) })
	// The failed Set may have landed: A must not serve its older copy any more.
	timed("Get of the key whose Set failed", func() error { _, err := a.Get(ctx, written); return err })
	if st, err := a.Stats(ctx); !errors.Is(err, store.ErrUnavailable) || st.Backend != backendName || st.Tiers[1].Keys != -1 {
		t.Errorf("Stats during the outage = %+v, %v; want partial stats (L2's -1) and ErrUnavailable", st, err)
	}
	if mode == InvalidationPubSub {
		// The publisher attempts the invalidation in the background: when the breaker is already open
		// (background calls may have opened it before the Set), the Set returns at once, before that.
		waitFor(t, 5*time.Second, "publish_failures counts the invalidation the Set could not send", func() bool {
			return extra(t, a, "publish_failures") > 0
		})
	}

	received, flushed := extra(t, b, "invalidations_received"), extra(t, b, "l1_flushes")
	srv.Start(t)
	// A publishes a flush for the invalidation it could not send; B, which sent nothing, receives it —
	// unless A's flush goes out before B's resubscription is confirmed (with circuit breakers both
	// recover within a probe interval of each other): then B's own Resync flush covers it.
	waitFor(t, 5*time.Second, "B applies A's flush broadcast or flushes on its Resync", func() bool {
		return extra(t, b, "invalidations_received") > received || extra(t, b, "l1_flushes") > flushed
	})
	// The restarted server is empty: neither instance may still serve its copy.
	waitFor(t, 5*time.Second, "A drops its copies", func() bool {
		_, err := a.Get(ctx, hot)
		return errors.Is(err, store.ErrNotFound)
	})
	mustMiss(t, b, hot)
}

// TestL1NeverOutlivesL2 stores keys for 1s with an L1MaxTTL of 10s, by write-through and by backfill,
// and checks they are gone from both tiers 1.5s later.
func TestL1NeverOutlivesL2(t *testing.T) {
	srv := redistest.Standalone(t)
	s := openRedisTiered(t, srv.URL, Options{L1MaxTTL: 10 * time.Second})
	raw := rawClient(t, srv.Addr)
	ctx := t.Context()
	ns := redistest.Namespace(t)
	through, backfilled := ns+":v1:through", ns+":v1:backfilled"
	t.Cleanup(func() { _, _ = s.Delete(context.Background(), through, backfilled) })

	if err := s.Set(ctx, through, []byte("v"), time.Second); err != nil {
		t.Fatal(err)
	}
	if err := raw.Set(ctx, backfilled, "v", time.Second).Err(); err != nil {
		t.Fatal(err)
	}
	settle(t, s)                   // tracking: the reports of both writes are in (through refilled)
	mustGet(t, s, backfilled, "v") // L2 hit, copied into L1
	for _, k := range []string{through, backfilled} {
		l2, err := s.l2.TTL(ctx, k) // first: the later reading of L1 can only be smaller
		if err != nil {
			t.Fatal(err)
		}
		l1, err := s.l1.TTL(ctx, k)
		if err != nil {
			t.Fatalf("L1 does not hold %q: %v", k, err)
		}
		if l1 > l2 {
			t.Errorf("%q: L1 TTL %v exceeds L2 TTL %v", k, l1, l2)
		}
	}
	time.Sleep(1500 * time.Millisecond)
	for _, k := range []string{through, backfilled} {
		mustMiss(t, s, k)
		if _, err := s.l1.Get(ctx, k); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("L1 still holds %q 1.5s after its 1s L2 TTL: %v", k, err)
		}
	}
}

// TestBackfillTTLFromTTLlessL2 checks the fallback for an L2 without TTLReader (memory): the backfill
// still takes L2's remaining lifetime.
func TestBackfillTTLFromTTLlessL2(t *testing.T) {
	l2 := newMemory(t)
	s, err := New(newMemory(t), l2, Options{L1MaxTTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := t.Context()
	if err := l2.Set(ctx, "k", []byte("v"), 30*time.Second); err != nil {
		t.Fatal(err)
	}
	mustGet(t, s, "k", "v")
	if _, err := s.GetMany(ctx, []string{"k"}); err != nil {
		t.Fatal(err)
	}
	l1TTL, err := s.l1.TTL(ctx, "k")
	if err != nil {
		t.Fatalf("L1 did not take the L2 hit: %v", err)
	}
	if l1TTL > 30*time.Second || l1TTL < 25*time.Second {
		t.Errorf("L1 TTL after backfill = %v, want L2's remaining ~30s (not L1MaxTTL 1h)", l1TTL)
	}
	if got := extra(t, s, "backfills"); got != 1 {
		t.Errorf("backfills = %d, want 1", got)
	}
}

// TestGetManyFetchesOnlyMissesInOneCall counts the commands L2 receives: one pipeline for the L1
// misses, none once they are in L1.
func TestGetManyFetchesOnlyMissesInOneCall(t *testing.T) {
	srv := redistest.Standalone(t)
	s := openRedisTiered(t, srv.URL, Options{})
	l2 := s.l2.(interface {
		Client() goredis.UniversalClient
	})
	c := &cmdCounter{}
	l2.Client().AddHook(c)
	ns := redistest.Namespace(t)
	a, b, cc, missing := ns+":a", ns+":b", ns+":c", ns+":missing"
	t.Cleanup(func() { _, _ = s.Delete(context.Background(), a, b, cc) })
	ctx := t.Context()
	if err := s.Set(ctx, a, []byte("va"), time.Hour); err != nil { // in L1 too
		t.Fatal(err)
	}
	raw := rawClient(t, srv.Addr)
	for k, v := range map[string]string{b: "vb", cc: "vc"} { // only in L2
		if err := raw.Set(ctx, k, v, time.Hour).Err(); err != nil {
			t.Fatal(err)
		}
	}
	settle(t, s) // tracking: every report is in and a is refilled, so no refill runs during the counts
	c.reset()
	m, err := s.GetMany(ctx, []string{a, b, missing, cc, b})
	if err != nil {
		t.Fatal(err)
	}
	if len(m) != 3 || string(m[a]) != "va" || string(m[b]) != "vb" || string(m[cc]) != "vc" {
		t.Errorf("GetMany = %q", m)
	}
	if single, pipes, piped := c.get(); single != 0 || pipes != 1 || piped != 6 {
		t.Errorf("GetMany sent %d single commands and %d pipelines of %d commands; want one pipeline of GET+PTTL for b, missing and c", single, pipes, piped)
	}
	c.reset()
	if m, err := s.GetMany(ctx, []string{a, b, cc}); err != nil || len(m) != 3 {
		t.Fatalf("second GetMany = %q, %v", m, err)
	}
	if single, pipes, _ := c.get(); single != 0 || pipes != 0 {
		t.Errorf("second GetMany sent %d commands and %d pipelines to L2; want none (all in L1)", single, pipes)
	}
}

// TestL1RefusalIsHidden uses an L1 too small for the value: Set succeeds (the value is in L2), no older
// L1 copy survives, and reads come from L2.
func TestL1RefusalIsHidden(t *testing.T) {
	for _, name := range []string{"l2=memory", "l2=redis"} {
		t.Run(name, func(t *testing.T) {
			tiny := "memory://?max_bytes=1KiB"
			l2 := "memory://"
			if name == "l2=redis" {
				l2 = redistest.Standalone(t).URL
			}
			st, err := store.Open(t.Context(), tieredURL(tiny, l2, url.Values{"l1_ttl": {"1h"}}))
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			s := st.(*Store)
			ctx := t.Context()
			if err := s.Ready(ctx); err != nil { // else the first subscription may flush L1 mid-test
				t.Fatal(err)
			}
			k := redistest.Namespace(t) + ":k"
			defer s.Delete(context.Background(), k)
			if err := s.Set(ctx, k, []byte("small"), time.Hour); err != nil {
				t.Fatal(err)
			}
			settle(t, s)
			mustL1Hit(t, s, k, "small")
			big := make([]byte, 4096)
			for i := range big {
				big[i] = 'b'
			}
			if err := s.Set(ctx, k, big, time.Hour); err != nil {
				t.Fatalf("Set of a value L1 refuses: %v, want nil (L2 has it)", err)
			}
			settle(t, s) // a refill L1 refuses leaves no copy either
			mustGet(t, s, k, string(big))
			if _, err := s.l1.Get(ctx, k); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("L1 after a refused write-through: %v, want no entry (the old copy removed)", err)
			}
		})
	}
}
