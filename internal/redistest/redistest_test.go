package redistest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

func TestMain(m *testing.M) { Main(m) }

// dial returns a client for addr that fails fast instead of retrying, closed at the end of the test.
func dial(t *testing.T, addr string) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, DialerRetries: 1, DialTimeout: time.Second})
	t.Cleanup(func() { c.Close() })
	return c
}

// loopbackHost fails the test unless addr is "127.0.0.1:port".
func loopbackHost(t *testing.T, addr string) {
	t.Helper()
	host, port, err := net.SplitHostPort(addr)
	if err != nil || host != "127.0.0.1" || port == "" {
		t.Fatalf("address %q is not 127.0.0.1:port (%v)", addr, err)
	}
}

func TestStandaloneAnswersAndIsShared(t *testing.T) {
	began := time.Now()
	s := Standalone(t)
	t.Logf("Standalone: source %s, %s, first call took %v", s.Source, s.Addr, time.Since(began).Round(time.Millisecond))
	if s.Source == SourceProcess || s.Source == SourceContainer {
		loopbackHost(t, s.Addr)
	}
	if !slices.Contains([]string{SourceEnv, SourceContainer, SourceProcess}, s.Source) {
		t.Fatalf("Source = %q", s.Source)
	}
	opt, err := redis.ParseURL(s.URL)
	if err != nil || opt.Addr != s.Addr {
		t.Fatalf("URL %q does not name Addr %q (parsed: %v, %v)", s.URL, s.Addr, opt, err)
	}

	ctx := context.Background()
	c := dial(t, s.Addr)
	if got, err := c.Ping(ctx).Result(); err != nil || got != "PONG" {
		t.Fatalf("PING = %q, %v", got, err)
	}
	key := Namespace(t) + ":greeting"
	if err := c.Set(ctx, key, "hello", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	if got, err := c.Get(ctx, key).Result(); err != nil || got != "hello" {
		t.Fatalf("GET %s = %q, %v; want hello", key, got, err)
	}

	// Under Main, a second call hands out the same server, and it is a copy the caller may edit.
	again := Standalone(t)
	if again.Addr != s.Addr || again == s {
		t.Fatalf("second Standalone = %p %+v, first = %p %+v: want the same server in a new value", again, again, s, s)
	}
}

func TestDedicatedStopRefusesAndStartServesSameAddress(t *testing.T) {
	began := time.Now()
	d := Dedicated(t)
	t.Logf("Dedicated: source %s, %s, took %v", d.Source, d.Addr, time.Since(began).Round(time.Millisecond))
	loopbackHost(t, d.Addr)
	if std := Standalone(t); std.Addr == d.Addr {
		t.Fatalf("Dedicated handed out the shared server %s", d.Addr)
	}
	ctx := context.Background()
	c := dial(t, d.Addr)
	if err := c.Set(ctx, "k", "before", 0).Err(); err != nil {
		t.Fatal(err)
	}

	d.Stop(t)
	d.Stop(t) // a second Stop does nothing
	err := c.Ping(ctx).Err()
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("PING while stopped = %v, want connection refused", err)
	}

	began = time.Now()
	d.Start(t)
	t.Logf("Dedicated: restart took %v", time.Since(began).Round(time.Millisecond))
	d.Start(t) // a second Start does nothing
	if got, err := c.Ping(ctx).Result(); err != nil || got != "PONG" {
		t.Fatalf("PING after Start = %q, %v", got, err)
	}
	if d.Source == SourceProcess {
		if err := c.Get(ctx, "k").Err(); !errors.Is(err, redis.Nil) {
			t.Fatalf("GET k after restart = %v, want redis.Nil (a restarted process is empty)", err)
		}
	}
	if err := c.Set(ctx, "k", "after", 0).Err(); err != nil {
		t.Fatalf("SET after restart: %v", err)
	}
}

func TestClusterServesEverySlotFromEveryMaster(t *testing.T) {
	began := time.Now()
	cs := Cluster(t, 3)
	t.Logf("Cluster(3): %v, took %v", cs.Addrs, time.Since(began).Round(time.Millisecond))
	if len(cs.Addrs) != 3 {
		t.Fatalf("Addrs = %v, want 3", cs.Addrs)
	}
	for _, a := range cs.Addrs {
		loopbackHost(t, a)
	}
	u, err := url.Parse(cs.URL)
	if err != nil || u.Scheme != "redis+cluster" || u.Host != cs.Addrs[0] || !slices.Equal(u.Query()["addr"], cs.Addrs[1:]) {
		t.Fatalf("URL %q does not list Addrs %v as redis+cluster://first?addr=...", cs.URL, cs.Addrs)
	}

	ctx := context.Background()
	for _, a := range cs.Addrs {
		info, err := dial(t, a).ClusterInfo(ctx).Result()
		if err != nil {
			t.Fatal(err)
		}
		if err := infoHas(info, map[string]string{"cluster_state": "ok", "cluster_slots_assigned": "16384", "cluster_slots_ok": "16384", "cluster_known_nodes": "3"}); err != nil {
			t.Fatalf("CLUSTER INFO on %s: %v", a, err)
		}
	}

	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: cs.Addrs, MaxRetries: 2})
	t.Cleanup(func() { cc.Close() })
	ns := Namespace(t)
	owners := map[string]bool{} // master address -> holds one of our keys
	for i := 0; len(owners) < 3 && i < 100; i++ {
		key := ns + ":" + strconv.Itoa(i)
		if err := cc.Set(ctx, key, i, time.Minute).Err(); err != nil {
			t.Fatalf("cluster SET %s: %v", key, err)
		}
		if got, err := cc.Get(ctx, key).Int(); err != nil || got != i {
			t.Fatalf("cluster GET %s = %d, %v; want %d", key, got, err, i)
		}
		// The key lives on exactly one master, which answers it directly.
		var holders []string
		for _, a := range cs.Addrs {
			if n, err := dial(t, a).Exists(ctx, key).Result(); err == nil && n == 1 {
				holders = append(holders, a)
			}
		}
		if len(holders) != 1 {
			t.Fatalf("key %s is held by %v, want exactly one master", key, holders)
		}
		owners[holders[0]] = true
	}
	if len(owners) != 3 {
		t.Fatalf("100 keys landed on masters %v only, want all 3", owners)
	}
}

func TestSentinelKnowsMasterAndReplica(t *testing.T) {
	began := time.Now()
	s := Sentinel(t)
	t.Logf("Sentinel: took %v", time.Since(began).Round(time.Millisecond))
	if s.MasterName != "mymaster" || len(s.SentinelAddrs) != 1 {
		t.Fatalf("setup = %+v", s)
	}
	for _, a := range []string{s.SentinelAddrs[0], s.Master.Addr, s.Replica.Addr} {
		loopbackHost(t, a)
	}
	if want := "redis+sentinel://" + s.SentinelAddrs[0] + "/mymaster"; s.URL != want {
		t.Fatalf("URL = %q, want %q", s.URL, want)
	}

	ctx := context.Background()
	sc := redis.NewSentinelClient(&redis.Options{Addr: s.SentinelAddrs[0], MaxRetries: -1, DialerRetries: 1})
	t.Cleanup(func() { sc.Close() })
	addr, err := sc.GetMasterAddrByName(ctx, s.MasterName).Result()
	if err != nil || net.JoinHostPort(addr[0], addr[1]) != s.Master.Addr {
		t.Fatalf("GET-MASTER-ADDR-BY-NAME = %v, %v; want %s", addr, err, s.Master.Addr)
	}
	replicas, err := sc.Replicas(ctx, s.MasterName).Result()
	if err != nil {
		t.Fatal(err)
	}
	var known []string
	for _, r := range replicas {
		known = append(known, net.JoinHostPort(r["ip"], r["port"]))
	}
	if !slices.Equal(known, []string{s.Replica.Addr}) {
		t.Fatalf("sentinel knows replicas %v, want [%s]", known, s.Replica.Addr)
	}

	// Replication works: a write on the master reaches the replica.
	if err := dial(t, s.Master.Addr).Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	rc := dial(t, s.Replica.Addr)
	deadline := time.Now().Add(5 * time.Second)
	for {
		got, err := rc.Get(ctx, "k").Result()
		if err == nil && got == "v" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("replica GET k = %q, %v after 5 s; want v", got, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestNamespaceIsFreshAndWellFormed(t *testing.T) {
	valid := regexp.MustCompile(`^t[0-9a-f]{16}$`)
	seen := map[string]bool{}
	for range 100 {
		ns := Namespace(t)
		if !valid.MatchString(ns) {
			t.Fatalf("Namespace = %q, want t + 16 hex digits", ns)
		}
		if seen[ns] {
			t.Fatalf("Namespace repeated %q", ns)
		}
		seen[ns] = true
	}
}

func TestEnvServerAcceptsOnlyAnsweringLoopback(t *testing.T) {
	s := Standalone(t)
	got, err := checkEnvServer(s.URL)
	if err != nil || got.Addr != s.Addr || got.URL != s.URL || got.Source != SourceEnv {
		t.Fatalf("checkEnvServer(%q) = %+v, %v", s.URL, got, err)
	}

	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	for _, raw := range []string{
		"redis://10.1.2.3:6379/0",                   // not loopback
		"redis://example.com:6379/0",                // not loopback
		fmt.Sprintf("redis://127.0.0.1:%d/0", port), // nothing listens
		"http://127.0.0.1:6379/0",                   // not a redis URL
	} {
		if s, err := checkEnvServer(raw); err == nil {
			t.Errorf("checkEnvServer(%q) = %+v, want an error", raw, s)
		}
	}
}
