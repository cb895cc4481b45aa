package tiered

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/cachekit/cachekit/internal/redistest"
	"github.com/cachekit/cachekit/store"
)

// l1Holds reports what s's L1 holds for key: its value, or "" and false.
func l1Holds(s *Store, key string) (string, bool) {
	v, err := s.l1.Get(bg, key)
	return string(v), err == nil
}

// TestTrackOwnWriteRefilled: on the tracking path (the default over Redis 7), the echo of A's own Set
// drops its copy and the refill puts it back, so A's L1 serves the value again without a caller's L2
// read; and an external write made right after A's Set still replaces A's copy (its report wins over
// the refill). Times are logged, never asserted.
func TestTrackOwnWriteRefilled(t *testing.T) {
	srv := redistest.Standalone(t)
	prefix := redistest.Namespace(t) + ":"
	a := openRedisTiered(t, srv.URL, Options{L1MaxTTL: time.Minute, TrackPrefix: prefix})
	if got := a.InvalidationState(); got != stateTracking {
		t.Fatalf("default InvalidationState = %q; want %q", got, stateTracking)
	}
	ext := goredis.NewClient(&goredis.Options{Addr: srv.Addr})
	defer ext.Close()
	ctx := t.Context()

	var refilled latencies
	for i := range trackRuns {
		k := fmt.Sprintf("%sown%d", prefix, i)
		l2Hits, refills := extra(t, a, "l2_hits"), extra(t, a, "refills")
		if err := a.Set(ctx, k, []byte("mine"), time.Minute); err != nil {
			t.Fatal(err)
		}
		refilled = append(refilled, waitFor(t, trackBound, "A refilling "+k, func() bool {
			v, ok := l1Holds(a, k)
			return ok && v == "mine" && extra(t, a, "refills") > refills
		}))
		settle(t, a)
		mustL1Hit(t, a, k, "mine")
		if got := extra(t, a, "l2_hits"); got != l2Hits {
			t.Fatalf("l2_hits %d -> %d: a caller's read went to L2", l2Hits, got)
		}
	}
	refilled.log(t, "own Set until its copy is back in L1 after the echo")

	var replaced latencies
	for i := range trackRuns {
		k := fmt.Sprintf("%sext%d", prefix, i)
		if err := a.Set(ctx, k, []byte("mine"), time.Minute); err != nil {
			t.Fatal(err)
		}
		if err := ext.Set(ctx, k, "ext", time.Minute).Err(); err != nil {
			t.Fatal(err)
		}
		replaced = append(replaced, stopsServing(t, []*Store{a}, k, "mine", time.Now())...)
		settle(t, a)
		if v, ok := l1Holds(a, k); ok && v != "ext" {
			t.Fatalf("A's L1 holds %s=%q after every report; want %q or nothing", k, v, "ext")
		}
		mustGet(t, a, k, "ext")
	}
	replaced.log(t, "external SET right after A's Set, until A stops serving A's value")
	t.Logf("refills %d, refills_discarded %d", extra(t, a, "refills"), extra(t, a, "refills_discarded"))
}

// TestTrackOwnAndExternalWritersRace: A writes one key over and over while a bare go-redis client
// writes it too, interleaved; once both stop, A converges to Redis's final value (time logged against
// trackGoal) and from then on neither its L1 nor its reads ever show anything else.
func TestTrackOwnAndExternalWritersRace(t *testing.T) {
	srv := redistest.Standalone(t)
	prefix := redistest.Namespace(t) + ":"
	a := openRedisTiered(t, srv.URL, Options{L1MaxTTL: time.Minute, TrackPrefix: prefix})
	ext := goredis.NewClient(&goredis.Options{Addr: srv.Addr})
	defer ext.Close()
	ctx := t.Context()
	const rounds, writes = 20, 100
	var converged latencies
	for r := range rounds {
		k := fmt.Sprintf("%srace%d", prefix, r)
		var wg sync.WaitGroup
		wg.Go(func() {
			for i := range writes {
				if err := a.Set(ctx, k, fmt.Appendf(nil, "a-%d", i), time.Minute); err != nil {
					t.Error(err)
					return
				}
			}
		})
		wg.Go(func() {
			for i := range writes {
				if err := ext.Set(ctx, k, fmt.Sprintf("e-%d", i), time.Minute).Err(); err != nil {
					t.Error(err)
					return
				}
			}
		})
		wg.Wait()
		stopped := time.Now()
		final, err := ext.Get(ctx, k).Result()
		if err != nil {
			t.Fatal(err)
		}
		ok := func() bool {
			if v, in := l1Holds(a, k); in && v != final {
				return false
			}
			v, err := a.Get(ctx, k)
			return err == nil && string(v) == final
		}
		waitFor(t, trackBound, fmt.Sprintf("round %d: A serving the final %s=%s", r, k, final), ok)
		converged = append(converged, time.Since(stopped))
		// From now on nothing else, whatever refills or reports are still in flight.
		for until := time.Now().Add(100 * time.Millisecond); time.Now().Before(until); time.Sleep(200 * time.Microsecond) {
			if v, in := l1Holds(a, k); in && v != final {
				t.Fatalf("round %d: A's L1 holds %q after serving the final %q", r, v, final)
			}
			if v, err := a.Get(ctx, k); err != nil || string(v) != final {
				t.Fatalf("round %d: A.Get = %q, %v after serving the final %q", r, v, err, final)
			}
		}
	}
	t.Logf("after the writers stopped, A served only the final value after: p50 %v, p99 %v, max %v (goal %v)",
		converged.pct(0.5), converged.pct(0.99), converged.pct(1), trackGoal)
	t.Logf("refills %d, refills_discarded %d", extra(t, a, "refills"), extra(t, a, "refills_discarded"))
}

// TestTrackOwnWritesBounded: own writes outside TrackPrefix are not remembered (no echo comes), and
// the memory of own writes never exceeds ownMax.
func TestTrackOwnWritesBounded(t *testing.T) {
	srv := redistest.Standalone(t)
	prefix := redistest.Namespace(t) + ":"
	a := openRedisTiered(t, srv.URL, Options{L1MaxTTL: time.Minute, TrackPrefix: prefix})
	ctx := t.Context()
	if err := a.Set(ctx, "outside:"+prefix, []byte("v"), time.Minute); err != nil {
		t.Fatal(err)
	}
	a.rf.mu.Lock()
	n := len(a.rf.own)
	a.rf.mu.Unlock()
	if n != 0 {
		t.Errorf("%d own writes remembered after a Set outside TrackPrefix; want 0", n)
	}
	keys := make([]string, ownMax+10)
	for i := range keys {
		keys[i] = fmt.Sprintf("%sb%d", prefix, i)
	}
	a.recordOwn(keys...)
	a.rf.mu.Lock()
	n = len(a.rf.own)
	a.rf.mu.Unlock()
	if n > ownMax {
		t.Errorf("%d own writes remembered; want at most %d", n, ownMax)
	}
	_, _ = a.Delete(ctx, "outside:"+prefix)
	if _, err := a.Get(ctx, keys[0]); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Get of a key never written = %v; want ErrNotFound", err)
	}
}
