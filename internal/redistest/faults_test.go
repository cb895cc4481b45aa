package redistest

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// quick is dial with context deadlines honoured (go-redis ignores them by default and waits out its
// 3 s read timeout), for probing a frozen server.
func quick(t *testing.T, addr string) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, DialerRetries: 1, DialTimeout: time.Second, ContextTimeoutEnabled: true})
	t.Cleanup(func() { c.Close() })
	return c
}

// TestClusterWithReplicasFailsOverAndPauses checks the replicated cluster: every master has a replica,
// Failover swaps a master with its replica without losing a key, and a paused node answers nothing
// until Resume while the other masters go on serving.
func TestClusterWithReplicasFailsOverAndPauses(t *testing.T) {
	c := ClusterWithReplicas(t, 3, 1)
	masters := c.Masters(t)
	if len(masters) != 3 {
		t.Fatalf("Masters = %v, want 3", masters)
	}
	for _, a := range masters {
		loopbackHost(t, a)
	}
	ctx := context.Background()
	key := "{k}x"
	old := c.MasterOf(t, key)
	cl := dial(t, old)
	if err := cl.Set(ctx, key, "v", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	// WAIT: the replica has the key before the failover, as CLUSTER FAILOVER itself guarantees.
	if n, err := cl.Wait(ctx, 1, time.Second).Result(); err != nil || n != 1 {
		t.Fatalf("WAIT 1 = %d, %v", n, err)
	}
	began := time.Now()
	now := c.Failover(t, old)
	t.Logf("failover %s → %s took %v", old, now, time.Since(began).Round(time.Millisecond))
	if now == old || c.MasterOf(t, key) != now {
		t.Fatalf("after Failover(%s) = %s, MasterOf(%q) = %s", old, now, key, c.MasterOf(t, key))
	}
	if got, err := dial(t, now).Get(ctx, key).Result(); err != nil || got != "v" {
		t.Fatalf("GET on the new master = %q, %v; want v", got, err)
	}
	if err := dial(t, old).Get(ctx, key).Err(); err == nil {
		t.Fatalf("the old master %s still serves %q (want MOVED)", old, key)
	}

	c.Pause(t, now)
	short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	err := quick(t, now).Ping(short).Err()
	cancel()
	if err == nil {
		t.Fatal("a paused node answered PING")
	}
	for _, a := range c.Masters(t) {
		if a != now {
			if err := dial(t, a).Ping(ctx).Err(); err != nil {
				t.Errorf("master %s does not answer while %s is paused: %v", a, now, err)
			}
		}
	}
	c.Resume(t, now)
	if err := dial(t, now).Ping(ctx).Err(); err != nil {
		t.Fatalf("after Resume: %v", err)
	}
}

// TestSentinelFailoverAndPause checks that Failover makes the replica the master the sentinel names,
// the old master its replica, and that Pause freezes a data server.
func TestSentinelFailoverAndPause(t *testing.T) {
	s := Sentinel(t)
	if got := s.CurrentMaster(t); got != s.Master.Addr {
		t.Fatalf("CurrentMaster = %s, want %s", got, s.Master.Addr)
	}
	began := time.Now()
	now := s.Failover(t)
	t.Logf("sentinel failover took %v", time.Since(began).Round(time.Millisecond))
	if now != s.Replica.Addr || s.CurrentMaster(t) != now {
		t.Fatalf("after Failover the master is %s (sentinel: %s), want the replica %s", now, s.CurrentMaster(t), s.Replica.Addr)
	}
	ctx := context.Background()
	if err := dial(t, now).Set(ctx, "k", "v", time.Minute).Err(); err != nil {
		t.Fatalf("SET on the new master: %v", err)
	}
	s.Pause(t, now)
	short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	err := quick(t, now).Ping(short).Err()
	cancel()
	if err == nil {
		t.Fatal("a paused master answered PING")
	}
	s.Resume(t, now)
	if err := dial(t, now).Ping(ctx).Err(); err != nil {
		t.Fatalf("after Resume: %v", err)
	}
}

// TestNetNamespaceLossAndDelay checks the server in a namespace answers over its veth address, Drop of
// 100% cuts it off and Heal restores it; Impair is tried last, since it skips where the kernel has no
// netem.
func TestNetNamespaceLossAndDelay(t *testing.T) {
	if os.Geteuid() != 0 {
		if required() {
			t.Fatalf("redistest: network namespaces need root; this test runs as uid %d, and %s=1 forbids skipping", os.Geteuid(), EnvRequire)
		}
		t.Skip("redistest: network namespaces need root here; this test runs as uid", os.Geteuid())
	}
	s := NetNamespace(t)
	ctx := context.Background()
	cl := quick(t, s.Addr)
	if err := cl.Set(ctx, "k", "v", time.Minute).Err(); err != nil {
		t.Fatalf("SET over the veth: %v", err)
	}
	s.Drop(t, 100)
	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	err := cl.Get(short, "k").Err()
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) && err == nil {
		t.Fatal("GET answered with 100% loss")
	}
	s.Heal(t)
	if got, err := dial(t, s.Addr).Get(ctx, "k").Result(); err != nil || got != "v" {
		t.Fatalf("after Heal: GET = %q, %v", got, err)
	}
	s.Impair(t, 30*time.Millisecond, 0)
	began := time.Now()
	if err := dial(t, s.Addr).Ping(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(began); took < 60*time.Millisecond { // a new connection: handshake + PING, 30 ms each way
		t.Errorf("PING over a 30 ms netem path took %v", took)
	}
	s.Heal(t)
}
