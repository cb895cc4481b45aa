package redis

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/cachekit/cachekit/internal/redistest"
	"github.com/cachekit/cachekit/store"
)

// TestSentinelFailover opens a Store by redis+sentinel:// URL, runs a workload, forces SENTINEL FAILOVER
// and shows the Store follows the new master: calls fail only during a bounded window, and every write
// acknowledged once the failover is complete reads back, from the Store and from the new master itself.
// With auto_pipeline the single-key calls take the auto-pipeliner's path (its own connection pool).
func TestSentinelFailover(t *testing.T) {
	t.Run("plain", func(t *testing.T) { testSentinelFailover(t, "") })
	t.Run("auto_pipeline", func(t *testing.T) { testSentinelFailover(t, "auto_pipeline=true") })
}

func testSentinelFailover(t *testing.T, opt string) {
	setup := redistest.Sentinel(t)
	u := setup.URL
	if opt != "" {
		u = withQuery(u, opt)
	}
	s := openT(t, u)
	if !strings.Contains(s.String(), "redis+sentinel://") {
		t.Errorf("String() = %q, want the sentinel URL", s.String())
	}
	ctx := context.Background()

	// Workload on the first master, replicated before the failover (WAIT) so it must survive it.
	for i := range 50 {
		if err := s.Set(ctx, fmt.Sprintf("sf:v1:pre%d", i), fmt.Appendf(nil, "p%d", i), time.Hour); err != nil {
			t.Fatalf("Set before the failover: %v", err)
		}
	}
	if n, err := s.Client().Do(ctx, "wait", 1, 2000).Int(); err != nil || n != 1 {
		t.Fatalf("WAIT for the replica = %d, %v", n, err)
	}
	if m, err := s.GetMany(ctx, []string{"sf:v1:pre0", "sf:v1:pre49"}); err != nil || len(m) != 2 {
		t.Fatalf("GetMany before the failover = %v, %v", m, err)
	}
	// One breaker, for the master, named by the master's name (it follows failovers).
	if st, err := s.Stats(ctx); err != nil || len(st.Breakers) != 1 || !strings.Contains(st.Breakers[0].Endpoint, "master "+setup.MasterName) {
		t.Errorf("Stats.Breakers on a Sentinel client = %+v, %v; want one row naming master %s", st.Breakers, err, setup.MasterName)
	}

	sentinel := goredis.NewSentinelClient(&goredis.Options{Addr: setup.SentinelAddrs[0]})
	defer sentinel.Close()
	newMaster := goredis.NewClient(&goredis.Options{Addr: setup.Replica.Addr})
	defer newMaster.Close()
	oldMaster := goredis.NewClient(&goredis.Options{Addr: setup.Master.Addr})
	defer oldMaster.Close()
	promoted := func() bool {
		addr, err := sentinel.GetMasterAddrByName(ctx, setup.MasterName).Result()
		return err == nil && len(addr) == 2 && addr[0]+":"+addr[1] == setup.Replica.Addr
	}
	// Until the sentinel has turned the old master into a replica (and killed its clients), it still
	// acknowledges writes on connections opened before the failover: those are lost with it, by design.
	demoted := func() bool {
		role, err := oldMaster.Do(ctx, "role").Slice()
		return err == nil && len(role) > 0 && role[0] == "slave"
	}

	if err := sentinel.Failover(ctx, setup.MasterName).Err(); err != nil {
		t.Fatalf("SENTINEL FAILOVER: %v", err)
	}
	// The failover window ends when the old master has been demoted and the Store's writes land on the
	// promoted replica. Until then a write may fail, or be acknowledged by the old master and lost when
	// it is demoted (asynchronous replication: Redis' own window, which no client can close; a pool or
	// the auto-pipeliner may still hold connections to it). After it, no call may fail and every
	// acknowledged write must read back.
	began := time.Now()
	const window = 30 * time.Second // the sentinel demotes the old master about 10 s after the switch
	type ack struct{ key, val string }
	var (
		acked               []ack
		failures, inWindow  int
		firstFail, lastFail time.Time
		followedAt          time.Time
	)
	for i := 0; len(acked) < 50; i++ {
		if followedAt.IsZero() && time.Since(began) > window {
			t.Fatalf("%v after SENTINEL FAILOVER the Store's writes still do not reach the new master %s (%d failures, promoted per sentinel: %v)",
				time.Since(began), setup.Replica.Addr, failures, promoted())
		}
		key, val := fmt.Sprintf("sf:v1:w%d", i), fmt.Sprintf("w%d", i)
		err := s.Set(ctx, key, []byte(val), time.Hour)
		switch {
		case err != nil && !followedAt.IsZero():
			t.Fatalf("Set after the Store followed the new master: %v", err)
		case err != nil:
			if !errors.Is(err, store.ErrUnavailable) {
				t.Errorf("a write during the failover failed with something other than ErrUnavailable: %v", err)
			}
			failures++
			if firstFail.IsZero() {
				firstFail = time.Now()
			}
			lastFail = time.Now()
		case !followedAt.IsZero():
			acked = append(acked, ack{key, val})
		default:
			if n, err := newMaster.Exists(ctx, key).Result(); err == nil && n == 1 && promoted() && demoted() {
				followedAt = time.Now()
				acked = append(acked, ack{key, val})
			} else {
				inWindow++
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Logf("failover: the old master was demoted and the Store's writes reached the new master %v after SENTINEL FAILOVER; %d writes were acknowledged before, %d failed",
		followedAt.Sub(began), inWindow, failures)
	if failures > 0 {
		t.Logf("failover: failed writes between %v and %v after SENTINEL FAILOVER", firstFail.Sub(began), lastFail.Sub(began))
	}

	for _, a := range acked {
		if v, err := s.Get(ctx, a.key); err != nil || string(v) != a.val {
			t.Errorf("write acknowledged after the failover: Get(%s) = %q, %v; want %q", a.key, v, err, a.val)
		}
		if v, err := newMaster.Get(ctx, a.key).Result(); err != nil || v != a.val {
			t.Errorf("write acknowledged after the failover is not on the new master %s: %q, %v", setup.Replica.Addr, v, err)
		}
	}
	for _, i := range []int{0, 17, 49} {
		k := fmt.Sprintf("sf:v1:pre%d", i)
		if v, err := s.Get(ctx, k); err != nil || string(v) != fmt.Sprintf("p%d", i) {
			t.Errorf("replicated write from before the failover: Get(%s) = %q, %v", k, v, err)
		}
	}
}
