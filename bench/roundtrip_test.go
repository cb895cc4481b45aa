package bench

import (
	"context"
	"testing"

	goredis "github.com/redis/go-redis/v9"
)

// TestManyRoundTrips counts, with a go-redis hook, the round trips of the redis backend's GetMany and
// SetMany of 100 keys: exactly one on a single node, at most one per master on a Cluster.
func TestManyRoundTrips(t *testing.T) {
	ctx := context.Background()
	keys := fullKeys("rt", 100)

	t.Run("topology=standalone", func(t *testing.T) {
		trips := newTripCounter()
		client := newClient(t)
		client.AddHook(trips.hook(client.Options().Addr))
		s := newRedisStore(t, client)
		purgeAtCleanup(t, client, namespace+":v1:rt:*")
		populate(t, client, keys, tickerBytes)

		// The hook sees what it should: 100 GETs are 100 round trips.
		trips.reset()
		for _, k := range keys {
			if err := client.Get(ctx, k).Err(); err != nil {
				t.Fatal(err)
			}
		}
		if got := sum(trips.snapshot()); got != len(keys) {
			t.Fatalf("hook counted %d round trips for %d GETs; the counter is broken", got, len(keys))
		}

		trips.reset()
		m, err := s.GetMany(ctx, keys)
		if err != nil || len(m) != len(keys) {
			t.Fatalf("GetMany: %d hits of %d, %v", len(m), len(keys), err)
		}
		if got := sum(trips.snapshot()); got != 1 {
			t.Errorf("GetMany(100) took %d round trips; want exactly 1", got)
		}

		trips.reset()
		if err := s.SetMany(ctx, items(keys, tickerBytes)); err != nil {
			t.Fatal(err)
		}
		if got := sum(trips.snapshot()); got != 1 {
			t.Errorf("SetMany(100) took %d round trips; want exactly 1", got)
		}
	})

	t.Run("topology=cluster", func(t *testing.T) {
		addrs := clusterAddrs(t)
		trips := newTripCounter()
		client := goredis.NewClusterClient(&goredis.ClusterOptions{
			Addrs: addrs, DialTimeout: dialTimeout, ReadTimeout: ioTimeout, WriteTimeout: ioTimeout,
		})
		t.Cleanup(func() { _ = client.Close() })
		// Registered before the first command, so every node client gets the hook.
		client.OnNewNode(func(node *goredis.Client) { node.AddHook(trips.hook(node.Options().Addr)) })
		s := newRedisStore(t, client)
		purgeAtCleanup(t, client, namespace+":v1:rt:*")
		populate(t, client, keys, tickerBytes)
		if _, err := s.GetMany(ctx, keys); err != nil { // warm: every node client exists
			t.Fatal(err)
		}

		trips.reset()
		m, err := s.GetMany(ctx, keys)
		if err != nil || len(m) != len(keys) {
			t.Fatalf("GetMany: %d hits of %d, %v", len(m), len(keys), err)
		}
		checkPerNode(t, "GetMany(100)", trips.snapshot(), len(addrs))

		trips.reset()
		if err := s.SetMany(ctx, items(keys, tickerBytes)); err != nil {
			t.Fatal(err)
		}
		checkPerNode(t, "SetMany(100)", trips.snapshot(), len(addrs))
	})
}

// checkPerNode fails unless every node saw at most one round trip and, with 100 keys spread over
// every master, each master saw one.
func checkPerNode(t *testing.T, op string, counts map[string]int, masters int) {
	t.Helper()
	for addr, n := range counts {
		if n > 1 {
			t.Errorf("%s: %d round trips to %s; want at most 1 per node", op, n, addr)
		}
	}
	if total := sum(counts); total > masters || len(counts) != masters {
		t.Errorf("%s: %d round trips over %d nodes (%v); want one per master, %d masters", op, total, len(counts), counts, masters)
	}
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}
