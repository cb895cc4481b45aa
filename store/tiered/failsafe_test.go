package tiered

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/cachekit/cachekit/internal/redistest"
	"github.com/cachekit/cachekit/store"
	"github.com/cachekit/cachekit/store/redis"
)

// fastFail is a URL suffix for a dedicated server's L2 that gives up quickly on a paused server.
const fastFail = "?dial_timeout=150ms&read_timeout=150ms&write_timeout=150ms&max_retries=0"

// openFailSafe opens tiered(l1, redis at redisURL) with opts, where l1 is the memory backend
// (l1Kind "memory": its fresh reads) or the same behind plainStore ("plain": the TTL-first fallback).
func openFailSafe(t *testing.T, redisURL, l1Kind string, opts Options) *Store {
	t.Helper()
	l2, err := redis.Open(context.Background(), redisURL)
	if err != nil {
		t.Fatalf("redis.Open: %v", err)
	}
	var l1 store.Store = newMemory(t)
	if l1Kind == "plain" {
		l1 = plainStore{l1}
	}
	s, err := New(l1, l2, opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.Ready(ctx); err != nil {
		t.Fatalf("Ready: %v", err)
	}
	if (s.fresh != nil) != (l1Kind == "memory") {
		t.Fatalf("l1=%s: fresh reader %v", l1Kind, s.fresh != nil)
	}
	return s
}

// noted runs read with a StaleNote attached and reports whether the store marked it.
func noted(ctx context.Context, read func(ctx context.Context) error) (bool, error) {
	var n store.StaleNote
	err := read(store.WithStaleNote(ctx, &n))
	return n.Stale(), err
}

// strDecoder decodes to a string, for GetDecoded.
type strDecoder struct{}

func (strDecoder) DecodeValue(v []byte) (any, error) { return string(v), nil }

// TestFailSafeDuringPause pauses Redis under a Store with the L1 fail-safe and checks, through every
// read path and both L1 kinds: an L1 copy past its L1 lifetime is served stale (flagged, counted) while
// L2 fails; a copy within it is an ordinary hit; a key without a copy, the caller's own deadline, and a
// Store without the fail-safe fail as before; after Resume the first read re-validates (a value changed
// behind the Store's back is read, not the copy), an L2 miss removes the copy for good, and no copy is
// served past its L1 lifetime plus the window.
func TestFailSafeDuringPause(t *testing.T) {
	for _, l1Kind := range []string{"memory", "plain"} {
		t.Run("l1="+l1Kind, func(t *testing.T) {
			srv := redistest.Dedicated(t)
			const life, window, l2Timeout = 300 * time.Millisecond, 3 * time.Second, 200 * time.Millisecond
			s := openFailSafe(t, srv.URL+fastFail, l1Kind, Options{L1MaxTTL: life, L1FailSafe: window, L2Timeout: l2Timeout})
			off := openRedisTiered(t, srv.URL+fastFail, Options{L1MaxTTL: life, L2Timeout: l2Timeout})
			// own checks the caller's deadline on its first failing L2 call: the Redis backend's breaker
			// (one per Store) is still closed then, so the call waits for the deadline.
			own := openFailSafe(t, srv.URL+fastFail, l1Kind, Options{L1MaxTTL: life, L1FailSafe: window, L2Timeout: l2Timeout})
			raw := rawClient(t, srv.Addr)
			ctx := t.Context()
			a, b, d, f, cold := "ns:v1:a", "ns:v1:b", "ns:v1:d", "ns:v1:f", "ns:v1:cold"
			for _, k := range []string{a, b, d} {
				if err := s.Set(ctx, k, []byte("old-"+k), time.Hour); err != nil {
					t.Fatal(err)
				}
			}
			settle(t, s)                 // tracking: the copies are the refills, made after the echoes
			written := time.Now()        // no copy of s is younger
			mustGet(t, off, a, "old-"+a) // off's and own's L1 copies
			mustGet(t, own, a, "old-"+a)
			time.Sleep(life + 50*time.Millisecond)
			if err := s.Set(ctx, f, []byte("fresh"), time.Hour); err != nil {
				t.Fatal(err)
			}
			settle(t, s)
			stale0 := extra(t, s, "stale_served")
			srv.Pause(t)

			// First (before own's subscription health check can count failures on its breaker): own's
			// L2 call waits for the caller's deadline, which is the caller's error, not L2's.
			short, cancel := context.WithTimeout(ctx, l2Timeout/4)
			stale, err := noted(short, func(ctx context.Context) error { _, err := own.Get(ctx, a); return err })
			cancel()
			if !errors.Is(err, context.DeadlineExceeded) || stale {
				t.Errorf("Get whose own deadline ends first = %v, stale %v; want the caller's DeadlineExceeded, no stale copy", err, stale)
			}

			// GetMany: f is a fresh L1 hit, a is past its L1 lifetime and L2 cannot answer for it.
			var m map[string][]byte
			stale, err = noted(ctx, func(ctx context.Context) (err error) { m, err = s.GetMany(ctx, []string{f, a}); return })
			if err != nil || string(m[f]) != "fresh" || string(m[a]) != "old-"+a || !stale {
				t.Errorf("GetMany(fresh, past lifetime) during the pause = %q, %v, stale %v; want both values, flagged stale", m, err, stale)
			}
			var v []byte
			stale, err = noted(ctx, func(ctx context.Context) (err error) { v, err = s.Get(ctx, a); return })
			if err != nil || string(v) != "old-"+a || !stale {
				t.Errorf("Get during the pause = %q, %v, stale %v; want the L1 copy, flagged stale", v, err, stale)
			}
			stale, err = noted(ctx, func(ctx context.Context) error {
				return s.View(ctx, b, func(val []byte) error { v = append(v[:0], val...); return nil })
			})
			if err != nil || string(v) != "old-"+b || !stale {
				t.Errorf("View during the pause = %q, %v, stale %v; want the L1 copy, flagged stale", v, err, stale)
			}
			var form any
			stale, err = noted(ctx, func(ctx context.Context) (err error) { form, err = s.GetDecoded(ctx, b, strDecoder{}); return })
			if err != nil || form != "old-"+b || !stale {
				t.Errorf("GetDecoded during the pause = %v, %v, stale %v; want the L1 copy's form, flagged stale", form, err, stale)
			}
			if got := extra(t, s, "stale_served") - stale0; got != 4 {
				t.Errorf("stale_served rose by %d, want 4 (GetMany's a, Get, View, GetDecoded)", got)
			}

			// What the fail-safe does not cover.
			if m, err := s.GetMany(ctx, []string{a, cold}); !errors.Is(err, store.ErrUnavailable) {
				t.Errorf("GetMany with a key L1 has no copy of = %q, %v; want the whole call's ErrUnavailable", m, err)
			}
			stale, err = noted(ctx, func(ctx context.Context) error { _, err := s.Get(ctx, cold); return err })
			if !errors.Is(err, store.ErrUnavailable) || stale {
				t.Errorf("Get of a key without a copy = %v, stale %v; want ErrUnavailable, unflagged", err, stale)
			}
			if _, err := off.Get(ctx, a); !errors.Is(err, store.ErrUnavailable) {
				t.Errorf("Get past the L1 lifetime without the fail-safe = %v; want ErrUnavailable", err)
			}
			if since := time.Since(written); since > life+window {
				t.Fatalf("the reads above took until %v after the writes, past the window; the test needs a longer window", since)
			}

			// Recovery: L2 answers, so copies past their lifetime are re-validated or dropped.
			srv.Resume(t)
			if err := raw.Set(ctx, b, "new-"+b, time.Hour).Err(); err != nil { // publishes nothing
				t.Fatal(err)
			}
			if err := raw.Del(ctx, a).Err(); err != nil {
				t.Fatal(err)
			}
			if v, err := afterRecovery(t, s, b, "old-"+b); err != nil || string(v) != "new-"+b {
				t.Errorf("first unflagged Get after Resume = %q, %v; want Redis's new value", v, err)
			}
			if v, err := afterRecovery(t, s, a, "old-"+a); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("first unflagged Get after Resume of a key deleted behind the Store's back = %q, %v; want a miss", v, err)
			}
			srv.Pause(t)
			if v, err := s.Get(ctx, a); !errors.Is(err, store.ErrUnavailable) {
				t.Errorf("Get during a second pause of a key L2 reported missing = %q, %v; want ErrUnavailable (its copy removed)", v, err)
			}
			if time.Since(written) < life+window-100*time.Millisecond {
				mustGet(t, s, d, "old-"+d) // still within the window
			}
			time.Sleep(time.Until(written.Add(life + window + 50*time.Millisecond)))
			stale, err = noted(ctx, func(ctx context.Context) (err error) { v, err = s.Get(ctx, d); return })
			if !errors.Is(err, store.ErrUnavailable) || stale {
				t.Errorf("Get past the L1 lifetime plus the window = %q, %v, stale %v; want ErrUnavailable, never the copy", v, err, stale)
			}
			srv.Resume(t)
		})
	}
}

// TestFailSafeDuringRestart stops Redis (its pub/sub connection drops) and checks that L1's copies
// survive the dropped subscription and are served stale, flagged, while the server is down; once it is
// back (empty, then written behind the Store's back), every unflagged read returns Redis's value, the
// resubscription flushes L1, and a key the restarted server lacks is a miss.
func TestFailSafeDuringRestart(t *testing.T) {
	srv := redistest.Dedicated(t)
	const life = 200 * time.Millisecond
	s := openFailSafe(t, srv.URL+fastFail, "memory", Options{L1MaxTTL: life, L1FailSafe: time.Minute, L2Timeout: 300 * time.Millisecond})
	ctx := t.Context()
	k, gone := "ns:v1:k", "ns:v1:gone"
	for _, key := range []string{k, gone} {
		if err := s.Set(ctx, key, []byte("old"), time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(life + 50*time.Millisecond)
	flushes := extra(t, s, "l1_flushes")
	srv.Stop(t)
	for _, key := range []string{k, gone} {
		var v []byte
		stale, err := noted(ctx, func(ctx context.Context) (err error) { v, err = s.Get(ctx, key); return })
		if err != nil || string(v) != "old" || !stale {
			t.Fatalf("Get(%q) while Redis is down = %q, %v, stale %v; want the L1 copy, flagged stale", key, v, err, stale)
		}
	}
	time.Sleep(300 * time.Millisecond) // the subscription notices the drop meanwhile
	mustStale(t, s, k, "old")
	if got := extra(t, s, "l1_flushes"); got != flushes {
		t.Errorf("l1_flushes %d -> %d while Redis was down; want L1 kept until the resubscription", flushes, got)
	}

	srv.Start(t)
	if err := rawClient(t, srv.Addr).Set(ctx, k, "new", time.Hour).Err(); err != nil {
		t.Fatal(err)
	}
	began := time.Now()
	if v, err := afterRecovery(t, s, k, "old"); err != nil || string(v) != "new" {
		t.Errorf("first unflagged Get after the restart = %q, %v; want Redis's new value", v, err)
	}
	t.Logf("Redis's value read %v after the restart", time.Since(began).Round(time.Millisecond))
	mustMiss(t, s, gone)
	waitFor(t, 5*time.Second, "the resubscription flushes L1", func() bool { return extra(t, s, "l1_flushes") > flushes })
}

// afterRecovery reads key through s until an answer comes that is not flagged stale and is not
// store.ErrUnavailable (L2 may fail for a while after the server is back: a reconnect, an open breaker's
// probe), and returns it. A flagged answer in between must be the stale copy old.
func afterRecovery(t *testing.T, s *Store, key, old string) ([]byte, error) {
	t.Helper()
	var v []byte
	var err error
	flagged := 0
	waitFor(t, 10*time.Second, "an unflagged answer for "+key, func() bool {
		var stale bool
		stale, err = noted(t.Context(), func(ctx context.Context) (e error) { v, e = s.Get(ctx, key); return })
		switch {
		case stale && err == nil && string(v) == old:
			flagged++
			return false
		case stale:
			t.Fatalf("Get(%q) = %q, %v, flagged stale; a flagged answer must be the copy %q", key, v, err, old)
		}
		return !errors.Is(err, store.ErrUnavailable)
	})
	if flagged > 0 {
		t.Logf("Get(%q): %d reads flagged stale before L2 answered", key, flagged)
	}
	return v, err
}

// mustStale reads key through s and fails t unless it is the L1 copy want, flagged stale.
func mustStale(t *testing.T, s *Store, key, want string) {
	t.Helper()
	var v []byte
	stale, err := noted(t.Context(), func(ctx context.Context) (err error) { v, err = s.Get(ctx, key); return })
	if err != nil || string(v) != want || !stale {
		t.Fatalf("Get(%q) = %q, %v, stale %v; want %q flagged stale", key, v, err, stale, want)
	}
}

// TestOutcomeUnknownWrites times out a Set, a SetMany, a Delete and a DeleteIfValue on a paused Redis:
// the writer's L1 drops the keys at once (not even the fail-safe serves the older value), and after
// Resume, when Redis applies the writes it had buffered, the Store reads what Redis holds, never the
// older value. Each write goes through its own Store, so that it is that Store's first failure (sent,
// then timed out) rather than one an open circuit breaker refuses without sending.
func TestOutcomeUnknownWrites(t *testing.T) {
	srv := redistest.Dedicated(t)
	raw := rawClient(t, srv.Addr)
	ctx := t.Context()
	type write struct {
		keys []string
		want string // what Redis holds once it applied the write; "" for nothing
		call func(s *Store, keys []string) error
	}
	writes := map[string]write{
		"Set": {[]string{"ns:v1:set"}, "new", func(s *Store, k []string) error { return s.Set(ctx, k[0], []byte("new"), time.Hour) }},
		"SetMany": {[]string{"ns:v1:many1", "ns:v1:many2"}, "new", func(s *Store, k []string) error {
			return s.SetMany(ctx, []store.Item{{Key: k[0], Value: []byte("new"), TTL: time.Hour}, {Key: k[1], Value: []byte("new"), TTL: time.Hour}})
		}},
		"Delete": {[]string{"ns:v1:del"}, "", func(s *Store, k []string) error { _, err := s.Delete(ctx, k...); return err }},
		"DeleteIfValue": {[]string{"ns:v1:cas"}, "", func(s *Store, k []string) error {
			_, err := s.DeleteIfValue(ctx, k[0], []byte("old"))
			return err
		}},
	}
	stores := map[string]*Store{}
	for name, w := range writes {
		s := openFailSafe(t, srv.URL+fastFail, "memory", Options{L1MaxTTL: time.Hour, L1FailSafe: time.Hour, L2Timeout: 300 * time.Millisecond})
		stores[name] = s
		for _, k := range w.keys {
			if err := s.Set(ctx, k, []byte("old"), time.Hour); err != nil {
				t.Fatal(err)
			}
		}
		settle(t, s)
		for _, k := range w.keys {
			mustL1Hit(t, s, k, "old")
		}
		// Load the compare-and-delete script, so the timed-out call is one EVALSHA Redis can apply later.
		if _, err := s.DeleteIfValue(ctx, "ns:v1:never", []byte("x")); err != nil {
			t.Fatal(err)
		}
	}

	srv.Pause(t)
	for name, w := range writes {
		s := stores[name]
		err := w.call(s, w.keys)
		if !errors.Is(err, store.ErrUnavailable) || errors.Is(err, store.ErrCircuitOpen) {
			t.Fatalf("%s on a paused Redis = %v; want ErrUnavailable after a timeout (the command sent)", name, err)
		}
		for _, k := range w.keys {
			var v []byte
			stale, err := noted(ctx, func(ctx context.Context) (err error) { v, err = s.Get(ctx, k); return })
			if !errors.Is(err, store.ErrUnavailable) || stale {
				t.Errorf("%s: Get(%q) after the write timed out = %q, %v, stale %v; want ErrUnavailable (the L1 copy dropped)", name, k, v, err, stale)
			}
		}
	}
	srv.Resume(t)

	for name, w := range writes {
		s := stores[name]
		for _, k := range w.keys {
			waitFor(t, 10*time.Second, name+": "+k+" reads as Redis holds it", func() bool {
				v, err := s.Get(ctx, k)
				switch {
				case err == nil && string(v) == "old":
					t.Fatalf("%s: Get(%q) after Resume = %q: the value the timed-out write replaced", name, k, v)
				case errors.Is(err, store.ErrUnavailable):
					return false // L2 not answering this Store yet
				case w.want == "":
					return errors.Is(err, store.ErrNotFound)
				}
				return err == nil && string(v) == w.want
			})
			inRedis, err := raw.Get(ctx, k).Result()
			if err != nil && !errors.Is(err, goredis.Nil) {
				t.Fatal(err)
			}
			if inRedis != w.want {
				t.Errorf("%s: Redis holds %q = %q after Resume, want %q (the timed-out write applied)", name, k, inRedis, w.want)
			}
		}
	}
}

// TestDeleteIfValue checks tiered's compare-and-delete over Redis: another value leaves both tiers and
// other instances alone; the holder's value deletes from L2 and L1 and invalidates other instances'
// copies. Over an L2 without it, the call reports errors.ErrUnsupported and changes nothing.
func TestDeleteIfValue(t *testing.T) {
	srv := redistest.Standalone(t)
	a := openRedisTiered(t, srv.URL, Options{L1MaxTTL: time.Hour})
	b := openRedisTiered(t, srv.URL, Options{L1MaxTTL: time.Hour})
	ctx := t.Context()
	k := redistest.Namespace(t) + ":lease"
	t.Cleanup(func() { _, _ = a.Delete(context.Background(), k) })
	if err := a.Set(ctx, k, []byte("token-A"), time.Hour); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 2*time.Second, "b holds a's value in L1", func() bool {
		v, err := b.Get(ctx, k) // a backfill racing a's invalidation is discarded: read again
		_, l1err := b.l1.Get(ctx, k)
		return err == nil && string(v) == "token-A" && l1err == nil
	})
	if ok, err := a.DeleteIfValue(ctx, k, []byte("token-B")); ok || err != nil {
		t.Fatalf("DeleteIfValue with another value = %v, %v; want false, nil", ok, err)
	}
	mustL1Hit(t, a, k, "token-A")
	if ok, err := a.DeleteIfValue(ctx, k, []byte("token-A")); !ok || err != nil {
		t.Fatalf("DeleteIfValue with the holder's value = %v, %v; want true, nil", ok, err)
	}
	if _, err := a.l1.Get(ctx, k); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a's L1 after DeleteIfValue: %v; want the key dropped", err)
	}
	mustMiss(t, a, k)
	waitFor(t, 2*time.Second, "b drops its copy on a's invalidation", func() bool {
		_, err := b.Get(ctx, k)
		return errors.Is(err, store.ErrNotFound)
	})

	m := newMemoryTiered(t)
	if err := m.Set(ctx, "k", []byte("v"), time.Hour); err != nil {
		t.Fatal(err)
	}
	if ok, err := store.DeleteIfValue(ctx, m, "k", []byte("v")); ok || !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("DeleteIfValue over a memory L2 = %v, %v; want errors.ErrUnsupported", ok, err)
	}
	mustL1Hit(t, m, "k", "v")
}

// breakerStore is an L2 with circuit breakers as far as tiered can tell: it reports fixed breaker stats
// and hands registered watchers to the test, which plays the changes.
type breakerStore struct {
	store.Store
	watchers []func(store.BreakerChange)
	stats    []store.BreakerStats
	statsErr error
}

func (b *breakerStore) WatchBreakers(fn func(store.BreakerChange)) {
	b.watchers = append(b.watchers, fn)
}

func (b *breakerStore) Stats(ctx context.Context) (store.Stats, error) {
	st, err := b.Store.Stats(ctx)
	st.Breakers = b.stats
	if b.statsErr != nil {
		return st, b.statsErr
	}
	return st, err
}

// TestBreakersForwarded checks that WatchBreakers registers with L2 (a nil fn registers nothing) and
// that Stats lists L2's breakers at the top level, also when L2's Stats fails.
func TestBreakersForwarded(t *testing.T) {
	l2 := &breakerStore{Store: newMemory(t), stats: []store.BreakerStats{{Endpoint: "127.0.0.1:1", State: store.BreakerOpen, Opens: 2}}}
	s, err := New(newMemory(t), l2, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var got atomic.Int64
	s.WatchBreakers(func(c store.BreakerChange) {
		if c.Endpoint == "127.0.0.1:1" && c.To == store.BreakerOpen {
			got.Add(1)
		}
	})
	s.WatchBreakers(nil)
	if len(l2.watchers) != 1 {
		t.Fatalf("L2 has %d watchers, want 1", len(l2.watchers))
	}
	l2.watchers[0](store.BreakerChange{Endpoint: "127.0.0.1:1", From: store.BreakerClosed, To: store.BreakerOpen})
	if got.Load() != 1 {
		t.Error("the watcher did not see L2's change")
	}
	st, err := s.Stats(t.Context())
	if err != nil || len(st.Breakers) != 1 || st.Breakers[0] != l2.stats[0] {
		t.Errorf("Stats.Breakers = %+v, %v; want L2's %+v", st.Breakers, err, l2.stats)
	}
	l2.statsErr = fmt.Errorf("down: %w", store.ErrUnavailable)
	st, err = s.Stats(t.Context())
	if !errors.Is(err, store.ErrUnavailable) || len(st.Breakers) != 1 || st.Breakers[0] != l2.stats[0] {
		t.Errorf("Stats.Breakers while L2's Stats fails = %+v, %v; want L2's breakers and its error", st.Breakers, err)
	}
}

// TestFailSafeL2MissDropsCopy uses memory tiers (no Redis: an L2 miss is the point): a copy past its L1
// lifetime whose key L2 no longer holds is removed from L1 on the read that finds the miss.
func TestFailSafeL2MissDropsCopy(t *testing.T) {
	l1, l2 := newMemory(t), newMemory(t)
	s, err := New(l1, l2, Options{L1MaxTTL: 50 * time.Millisecond, L1FailSafe: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := t.Context()
	for _, k := range []string{"a", "b"} {
		if err := s.Set(ctx, k, []byte("v"), time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	if ttl, err := l1.TTL(ctx, "a"); err != nil || ttl < time.Hour {
		t.Fatalf("L1 keeps the copy for %v, %v; want its L1 lifetime plus the 1h window", ttl, err)
	}
	mustL1Hit(t, s, "a", "v")
	time.Sleep(60 * time.Millisecond)
	if _, err := l2.Delete(ctx, "a", "b"); err != nil {
		t.Fatal(err)
	}
	mustMiss(t, s, "a")
	if m, err := s.GetMany(ctx, []string{"b"}); err != nil || len(m) != 0 {
		t.Fatalf("GetMany = %q, %v; want no hits", m, err)
	}
	for _, k := range []string{"a", "b"} {
		if _, err := l1.Get(ctx, k); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("L1 still keeps %q after L2 reported it missing: %v", k, err)
		}
	}
}

// TestFailSafeWithOpenBreaker stops Redis under tiered(memory, redis) until the Redis backend's circuit
// breaker opens, and checks: tiered's WatchBreakers reports L2's changes (open, then closed after the
// restart); Stats.Breakers lists L2's breaker at the top level, also while L2 is down; and while the
// breaker is open the fail-safe serves a copy past its L1 lifetime at once (the L2 call fails fast with
// store.ErrCircuitOpen), flagged stale.
func TestFailSafeWithOpenBreaker(t *testing.T) {
	srv := redistest.Dedicated(t)
	const life = 100 * time.Millisecond
	s := openFailSafe(t, srv.URL+fastFail, "memory", Options{L1MaxTTL: life, L1FailSafe: time.Minute, L2Timeout: 300 * time.Millisecond})
	if _, ok := s.l2.(store.BreakerWatcher); !ok {
		t.Fatalf("L2 %T is not a store.BreakerWatcher", s.l2)
	}
	changes := make(chan store.BreakerChange, 64)
	s.WatchBreakers(func(c store.BreakerChange) {
		select {
		case changes <- c:
		default:
		}
	})
	ctx := t.Context()
	k, cold := "ns:v1:k", "ns:v1:cold"
	if err := s.Set(ctx, k, []byte("old"), time.Hour); err != nil {
		t.Fatal(err)
	}
	time.Sleep(life + 20*time.Millisecond)

	srv.Stop(t)
	waitChange := func(to store.BreakerState) store.BreakerChange {
		t.Helper()
		deadline := time.After(10 * time.Second)
		for {
			select {
			case c := <-changes:
				if c.To == to {
					return c
				}
			case <-deadline:
				t.Fatalf("no breaker change to %v reported through tiered within 10s", to)
			case <-time.After(20 * time.Millisecond):
				_, _ = s.Get(ctx, cold) // failures that open the breaker
			}
		}
	}
	opened := waitChange(store.BreakerOpen)
	t.Logf("breaker %s opened: %v", opened.Endpoint, opened.Cause)
	if _, err := s.Get(ctx, cold); !errors.Is(err, store.ErrCircuitOpen) {
		t.Fatalf("Get with the breaker open = %v; want ErrCircuitOpen", err)
	}
	began := time.Now()
	mustStale(t, s, k, "old")
	took := time.Since(began)
	t.Logf("stale serve with the breaker open took %v", took)
	if took > 100*time.Millisecond { // no L2 wait: a fast failure (generous margin for a loaded machine)
		t.Errorf("stale serve with the breaker open took %v, want < 100ms", took)
	}
	st, err := s.Stats(ctx)
	if len(st.Breakers) != 1 || st.Breakers[0].State != store.BreakerOpen || st.Breakers[0].Endpoint != opened.Endpoint {
		t.Errorf("Stats.Breakers with L2 down = %+v (%v); want L2's one breaker, open", st.Breakers, err)
	}

	srv.Start(t)
	waitChange(store.BreakerClosed)
	// The restarted server is empty: the copy must not outlive the recovery.
	if v, err := afterRecovery(t, s, k, "old"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("first unflagged Get after the restart = %q, %v; want a miss (the server restarted empty)", v, err)
	}
	st, err = s.Stats(ctx)
	if err != nil || len(st.Breakers) != 1 || st.Breakers[0].State != store.BreakerClosed || len(st.Tiers[1].Breakers) != 1 || st.Breakers[0] != st.Tiers[1].Breakers[0] {
		t.Errorf("Stats.Breakers after recovery = %+v, %v; want L2's one breaker, closed, as in Tiers[1]", st.Breakers, err)
	}
}
