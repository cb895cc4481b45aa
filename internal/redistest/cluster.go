package redistest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// clusterSlots is the number of hash slots in a Redis Cluster.
const clusterSlots = 16384

// clusterFormTimeout bounds how long the nodes may take to agree on a healthy cluster (Redis alone waits
// 2 s before a fresh master reports cluster_state:ok).
const clusterFormTimeout = 30 * time.Second

// maxClusterMasters keeps a typo from starting hundreds of processes.
const maxClusterMasters = 16

// ClusterServer is a healthy Redis Cluster of masters without replicas, on loopback processes.
type ClusterServer struct {
	// Addrs lists the masters' addresses, "127.0.0.1:port", in slot order (the first serves slot 0).
	Addrs []string
	// URL is "redis+cluster://127.0.0.1:p1?addr=127.0.0.1:p2&addr=127.0.0.1:p3", the form store/redis opens.
	URL string
}

// Cluster returns a Redis Cluster of the given number of masters (1 to 16), no replicas: redis-server
// processes with --cluster-enabled yes, announcing 127.0.0.1, slots split evenly. It returns once every node
// reports cluster_state:ok with all 16384 slots served and knows every other node. Under Main all tests
// asking for the same size share one cluster (isolate keys by Namespace, never flush); otherwise it is
// the test's own. Without a redis-server binary the test is skipped (fails when EnvRequire is true).
func Cluster(t testing.TB, masters int) *ClusterServer {
	t.Helper()
	if masters < 1 || masters > maxClusterMasters {
		t.Fatalf("redistest: Cluster needs 1 to %d masters, got %d", maxClusterMasters, masters)
	}
	c, err := obtain(t, "cluster/"+strconv.Itoa(masters), func(logf func(string, ...any)) (*ClusterServer, func(), error) {
		return startCluster(masters, logf)
	})
	if err != nil {
		fail(t, "Cluster", waysProcess, err)
	}
	return &ClusterServer{Addrs: slices.Clone(c.Addrs), URL: c.URL}
}

func startCluster(masters int, logf func(string, ...any)) (*ClusterServer, func(), error) {
	began := time.Now()
	bin, err := redisServer()
	if err != nil {
		return nil, nil, err
	}
	dir, err := os.MkdirTemp("", "redistest-cluster-")
	if err != nil {
		return nil, nil, err
	}
	var nodes []*proc
	stop := track(func() {
		for _, n := range nodes {
			n.kill()
		}
		os.RemoveAll(dir)
	})

	args := func(port int) []string {
		return append(baseArgs(port, dir),
			"--cluster-enabled", "yes",
			"--cluster-config-file", filepath.Join(dir, "nodes-"+strconv.Itoa(port)+".conf"),
			"--cluster-announce-ip", "127.0.0.1",
		)
	}
	for range masters {
		n, err := startProc("cluster node", bin, freeClusterPort, args)
		if err != nil {
			stop()
			return nil, nil, err
		}
		nodes = append(nodes, n)
	}
	if err := formCluster(nodes); err != nil {
		stop()
		return nil, nil, err
	}

	c := &ClusterServer{}
	for _, n := range nodes {
		c.Addrs = append(c.Addrs, n.addr())
	}
	c.URL = "redis+cluster://" + c.Addrs[0]
	for i, a := range c.Addrs[1:] {
		sep := "&"
		if i == 0 {
			sep = "?"
		}
		c.URL += sep + "addr=" + a
	}
	logf("redistest: Redis Cluster of %d masters at %s (up in %v)", masters, strings.Join(c.Addrs, " "), time.Since(began).Round(time.Millisecond))
	return c, stop, nil
}

// formCluster gives each node an even share of the slots and a distinct config epoch (as redis-cli
// --cluster create does), introduces every pair, and waits until every node sees a healthy
// cluster of all of them.
func formCluster(nodes []*proc) error {
	ctx, cancel := context.WithTimeout(context.Background(), clusterFormTimeout)
	defer cancel()
	clients := make([]*redis.Client, len(nodes))
	for i, n := range nodes {
		clients[i] = adminClient(n.addr())
		defer clients[i].Close()
	}
	for i, c := range clients {
		first, last := i*clusterSlots/len(nodes), (i+1)*clusterSlots/len(nodes)-1
		if err := c.ClusterAddSlotsRange(ctx, first, last).Err(); err != nil {
			return fmt.Errorf("cluster node %s: ADDSLOTS %d-%d: %w", nodes[i].addr(), first, last, err)
		}
		if err := c.Do(ctx, "cluster", "set-config-epoch", i+1).Err(); err != nil {
			return fmt.Errorf("cluster node %s: SET-CONFIG-EPOCH: %w", nodes[i].addr(), err)
		}
	}
	// Every pair meets directly: waiting for gossip to spread one MEET can take several seconds.
	for i, c := range clients {
		for _, n := range nodes[i+1:] {
			if err := c.ClusterMeet(ctx, "127.0.0.1", strconv.Itoa(n.port)).Err(); err != nil {
				return fmt.Errorf("cluster node %s: MEET %s: %w", nodes[i].addr(), n.addr(), err)
			}
		}
	}
	want := map[string]string{
		"cluster_state":       "ok",
		"cluster_slots_ok":    strconv.Itoa(clusterSlots),
		"cluster_known_nodes": strconv.Itoa(len(nodes)),
	}
	for i, c := range clients {
		err := poll(ctx, nil, func(ctx context.Context) error {
			info, err := c.ClusterInfo(ctx).Result()
			if err != nil {
				return err
			}
			return infoHas(info, want)
		})
		if err != nil {
			return fmt.Errorf("cluster node %s never saw a healthy cluster of %d nodes: %w", nodes[i].addr(), len(nodes), err)
		}
	}
	return nil
}

// infoHas checks that an INFO-style text has every wanted value.
func infoHas(info string, want map[string]string) error {
	got := parseInfo(info)
	for k, v := range want {
		if got[k] != v {
			return fmt.Errorf("%s is %q, want %q", k, got[k], v)
		}
	}
	return nil
}

// parseInfo reads the "key:value" lines of INFO or CLUSTER INFO output.
func parseInfo(info string) map[string]string {
	got := map[string]string{}
	for line := range strings.Lines(info) {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), ":"); ok {
			got[k] = v
		}
	}
	return got
}
