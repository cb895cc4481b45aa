package redistest

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// failoverTimeout bounds how long a failover (Cluster or Sentinel) may take to settle.
const failoverTimeout = 30 * time.Second

// ReplicatedCluster is a Redis Cluster whose masters each have replicas, owned by one test, which may
// fail masters over and pause nodes. Its methods are safe for concurrent use.
type ReplicatedCluster struct {
	// URL is "redis+cluster://127.0.0.1:p1?addr=...", naming every node (masters and replicas as
	// started), the form store/redis opens.
	URL string

	mu      sync.Mutex
	nodes   []*clusterNode // masters as started first, then their replicas
	masters int            // how many masters
}

// clusterNode is one node of a ReplicatedCluster.
type clusterNode struct {
	proc   *proc
	id     string // its cluster node id
	paused bool
}

// ClusterWithReplicas starts a Redis Cluster of masters (1 to 16), each with replicas replicas (1 to 4),
// on loopback processes announcing 127.0.0.1, owned by this test and removed in t.Cleanup (never shared:
// the test may fail it over). It returns once every node reports cluster_state:ok, knows every other
// node, and every replica is in sync with its master. Without a redis-server binary the test is skipped
// (fails when EnvRequire is true).
func ClusterWithReplicas(t testing.TB, masters, replicas int) *ReplicatedCluster {
	t.Helper()
	if masters < 1 || masters > maxClusterMasters || replicas < 1 || replicas > 4 {
		t.Fatalf("redistest: ClusterWithReplicas needs 1 to %d masters and 1 to 4 replicas each, got %d and %d", maxClusterMasters, masters, replicas)
	}
	began := time.Now()
	c, stop, err := startReplicatedCluster(masters, replicas)
	if err != nil {
		fail(t, "ClusterWithReplicas", waysProcess, err)
	}
	t.Cleanup(stop)
	t.Logf("redistest: Redis Cluster of %d masters with %d replica(s) each at %s (up in %v)",
		masters, replicas, strings.Join(c.addrs(), " "), time.Since(began).Round(time.Millisecond))
	return c
}

func startReplicatedCluster(masters, replicas int) (*ReplicatedCluster, func(), error) {
	bin, err := redisServer()
	if err != nil {
		return nil, nil, err
	}
	dir, err := os.MkdirTemp("", "redistest-rcluster-")
	if err != nil {
		return nil, nil, err
	}
	c := &ReplicatedCluster{masters: masters}
	stop := track(func() {
		for _, n := range c.nodes {
			n.proc.kill()
		}
		os.RemoveAll(dir)
	})
	failed := func(err error) (*ReplicatedCluster, func(), error) {
		stop()
		return nil, nil, err
	}
	args := func(port int) []string {
		return append(baseArgs(port, dir),
			"--cluster-enabled", "yes",
			"--cluster-config-file", filepath.Join(dir, "nodes-"+strconv.Itoa(port)+".conf"),
			"--cluster-announce-ip", "127.0.0.1",
			"--replica-announce-ip", "127.0.0.1",
			"--repl-diskless-sync-delay", "0", // a full sync would otherwise wait 5 s for more replicas
		)
	}
	for range masters * (1 + replicas) {
		p, err := startProc("cluster node", bin, freeClusterPort, args)
		if err != nil {
			return failed(err)
		}
		c.nodes = append(c.nodes, &clusterNode{proc: p})
	}
	procs := make([]*proc, len(c.nodes))
	for i, n := range c.nodes {
		procs[i] = n.proc
	}
	if err := formCluster(procs[:masters]); err != nil {
		return failed(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), clusterFormTimeout)
	defer cancel()
	for _, n := range c.nodes {
		cl := adminClient(n.proc.addr())
		n.id, err = cl.ClusterMyID(ctx).Result()
		cl.Close()
		if err != nil {
			return failed(fmt.Errorf("cluster node %s: CLUSTER MYID: %w", n.proc.addr(), err))
		}
	}
	// Every replica meets every node directly (gossip would take seconds to spread one MEET), then
	// follows its master.
	for i, n := range c.nodes[masters:] {
		cl := adminClient(n.proc.addr())
		for _, o := range c.nodes[:masters+i] {
			if err := cl.ClusterMeet(ctx, "127.0.0.1", strconv.Itoa(o.proc.port)).Err(); err != nil {
				cl.Close()
				return failed(fmt.Errorf("cluster node %s: MEET %s: %w", n.proc.addr(), o.proc.addr(), err))
			}
		}
		cl.Close()
	}
	for i, n := range c.nodes[masters:] {
		if err := replicate(ctx, n, c.nodes[i%masters], len(c.nodes)); err != nil {
			return failed(err)
		}
	}
	if err := c.waitHealthy(ctx); err != nil {
		return failed(err)
	}
	c.URL = "redis+cluster://" + c.nodes[0].proc.addr()
	for i, n := range c.nodes[1:] {
		sep := "&"
		if i == 0 {
			sep = "?"
		}
		c.URL += sep + "addr=" + n.proc.addr()
	}
	return c, stop, nil
}

// replicate makes n a replica of master once n knows every node (CLUSTER REPLICATE refuses an unknown
// master id).
func replicate(ctx context.Context, n, master *clusterNode, total int) error {
	cl := adminClient(n.proc.addr())
	defer cl.Close()
	return poll(ctx, nil, func(ctx context.Context) error {
		info, err := cl.ClusterInfo(ctx).Result()
		if err != nil {
			return err
		}
		if err := infoHas(info, map[string]string{"cluster_known_nodes": strconv.Itoa(total)}); err != nil {
			return err
		}
		if err := cl.ClusterReplicate(ctx, master.id).Err(); err != nil {
			return fmt.Errorf("cluster node %s: CLUSTER REPLICATE %s: %w", n.proc.addr(), master.proc.addr(), err)
		}
		return nil
	})
}

// waitHealthy waits until every node sees a healthy cluster of all nodes and every replica's link to
// its master is up.
func (c *ReplicatedCluster) waitHealthy(ctx context.Context) error {
	want := map[string]string{
		"cluster_state":       "ok",
		"cluster_slots_ok":    strconv.Itoa(clusterSlots),
		"cluster_known_nodes": strconv.Itoa(len(c.nodes)),
	}
	for _, n := range c.nodes {
		cl := adminClient(n.proc.addr())
		err := poll(ctx, nil, func(ctx context.Context) error {
			info, err := cl.ClusterInfo(ctx).Result()
			if err != nil {
				return err
			}
			if err := infoHas(info, want); err != nil {
				return err
			}
			repl, err := cl.Info(ctx, "replication").Result()
			if err != nil {
				return err
			}
			if r := parseInfo(repl); r["role"] == "slave" && r["master_link_status"] != "up" {
				return fmt.Errorf("replica's master_link_status is %q", r["master_link_status"])
			}
			// Every node must know every replica as one (Failover picks replicas from this view).
			text, err := cl.ClusterNodes(ctx).Result()
			if err != nil {
				return err
			}
			if top := parseNodes(text); len(top.masters) != c.masters || len(top.replica) != len(c.nodes)-c.masters {
				return fmt.Errorf("it sees masters %v and replicas %v", top.masters, top.replica)
			}
			return nil
		})
		cl.Close()
		if err != nil {
			return fmt.Errorf("cluster node %s never saw a healthy cluster: %w", n.proc.addr(), err)
		}
	}
	return nil
}

func (c *ReplicatedCluster) addrs() []string {
	out := make([]string, len(c.nodes))
	for i, n := range c.nodes {
		out[i] = n.proc.addr()
	}
	return out
}

// Masters returns the addresses of the current masters, in slot order (the first serves slot 0), as
// the node serving slot 0 sees them (CLUSTER SHARDS is Redis 7; CLUSTER NODES works everywhere).
func (c *ReplicatedCluster) Masters(t testing.TB) []string {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	m, err := c.topologyLocked()
	if err != nil {
		t.Fatalf("redistest: cluster topology: %v", err)
	}
	return m.masters
}

// MasterOf returns the address of the master currently serving key's slot.
func (c *ReplicatedCluster) MasterOf(t testing.TB, key string) string {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	cl, err := c.anyRunningLocked()
	if err != nil {
		t.Fatalf("redistest: %v", err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	slot, err := cl.ClusterKeySlot(ctx, key).Result()
	if err != nil {
		t.Fatalf("redistest: CLUSTER KEYSLOT %q: %v", key, err)
	}
	m, err := c.topologyLocked()
	if err != nil {
		t.Fatalf("redistest: cluster topology: %v", err)
	}
	for _, r := range m.ranges {
		if int64(r.first) <= slot && slot <= int64(r.last) {
			return r.addr
		}
	}
	t.Fatalf("redistest: no master serves slot %d", slot)
	return ""
}

// topology is what CLUSTER NODES says about the masters.
type topology struct {
	masters []string // by first slot
	ranges  []slotRange
	ids     map[string]string // address → node id
	replica map[string]string // replica address → its master's node id
}

type slotRange struct {
	first, last int
	addr        string
}

// topologyLocked reads CLUSTER NODES from a running, unpaused node.
func (c *ReplicatedCluster) topologyLocked() (topology, error) {
	cl, err := c.anyRunningLocked()
	if err != nil {
		return topology{}, err
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	text, err := cl.ClusterNodes(ctx).Result()
	if err != nil {
		return topology{}, fmt.Errorf("CLUSTER NODES on %s: %w", cl.Options().Addr, err)
	}
	return parseNodes(text), nil
}

// parseNodes reads CLUSTER NODES output: "<id> <ip:port@bus> <flags> <master> <ping> <pong> <epoch>
// <link> <slot>...".
func parseNodes(text string) topology {
	top := topology{ids: map[string]string{}, replica: map[string]string{}}
	firstSlot := map[string]int{}
	for line := range strings.Lines(text) {
		f := strings.Fields(line)
		if len(f) < 8 {
			continue
		}
		addr, _, _ := strings.Cut(f[1], "@")
		top.ids[addr] = f[0]
		flags := "," + f[2] + ","
		switch {
		case strings.Contains(flags, ",master,"):
			first := clusterSlots
			for _, s := range f[8:] {
				if strings.HasPrefix(s, "[") { // a slot being migrated
					continue
				}
				lo, hi, found := strings.Cut(s, "-")
				if !found {
					hi = lo
				}
				a, err1 := strconv.Atoi(lo)
				b, err2 := strconv.Atoi(hi)
				if err1 != nil || err2 != nil {
					continue
				}
				top.ranges = append(top.ranges, slotRange{a, b, addr})
				first = min(first, a)
			}
			if first < clusterSlots {
				top.masters = append(top.masters, addr)
				firstSlot[addr] = first
			}
		case strings.Contains(flags, ",slave,"):
			top.replica[addr] = f[3]
		}
	}
	slices.SortStableFunc(top.masters, func(a, b string) int { return cmp.Compare(firstSlot[a], firstSlot[b]) })
	return top
}

// anyRunningLocked returns an admin client for a node that is neither paused nor stopped.
func (c *ReplicatedCluster) anyRunningLocked() (*redis.Client, error) {
	for _, n := range c.nodes {
		if !n.paused {
			return adminClient(n.proc.addr()), nil
		}
	}
	return nil, fmt.Errorf("every cluster node is paused")
}

// nodeLocked returns the node at addr.
func (c *ReplicatedCluster) nodeLocked(addr string) (*clusterNode, error) {
	for _, n := range c.nodes {
		if n.proc.addr() == addr {
			return n, nil
		}
	}
	return nil, fmt.Errorf("%s is not a node of this cluster (nodes: %s)", addr, strings.Join(c.addrs(), " "))
}

// Failover promotes a replica of the master at masterAddr with CLUSTER FAILOVER (the coordinated manual
// failover: the master stops accepting writes, the replica catches up, then takes over, so nothing
// acknowledged is lost) and returns the new master's address once it serves the old master's slots,
// every node reports cluster_state:ok, and the old master is its replica with the link up.
func (c *ReplicatedCluster) Failover(t testing.TB, masterAddr string) string {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	newAddr, err := c.failoverLocked(masterAddr)
	if err != nil {
		t.Fatalf("redistest: cluster failover of %s: %v", masterAddr, err)
	}
	return newAddr
}

func (c *ReplicatedCluster) failoverLocked(masterAddr string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), failoverTimeout)
	defer cancel()
	// The replica, as the node asked sees it; gossip may need a moment after a previous change.
	var top topology
	var replicaAddr string
	err := poll(ctx, nil, func(context.Context) error {
		var err error
		if top, err = c.topologyLocked(); err != nil {
			return err
		}
		oldID, ok := top.ids[masterAddr]
		if !ok {
			return fmt.Errorf("%s is not a known node", masterAddr)
		}
		for addr, of := range top.replica {
			if n, _ := c.nodeLocked(addr); of == oldID && n != nil && !n.paused {
				replicaAddr = addr
				return nil
			}
		}
		return fmt.Errorf("%s has no running replica (replicas: %v, ids: %v)", masterAddr, top.replica, top.ids)
	})
	if err != nil {
		return "", err
	}
	// A manual failover the master does not complete within its 5 s limit (CLUSTER_MF_TIMEOUT; a
	// loaded machine can get there) is abandoned by Redis: ask again until the replica is master.
	cl := adminClient(replicaAddr)
	defer cl.Close()
	var asked time.Time
	err = pollErr(ctx, func(ctx context.Context) error {
		if time.Since(asked) > 6*time.Second {
			if err := cl.Do(ctx, "CLUSTER", "FAILOVER").Err(); err != nil {
				return fmt.Errorf("CLUSTER FAILOVER on %s: %w", replicaAddr, err)
			}
			asked = time.Now()
		}
		repl, err := cl.Info(ctx, "replication").Result()
		if err != nil {
			return err
		}
		return infoHas(repl, map[string]string{"role": "master"})
	})
	if err != nil {
		return "", fmt.Errorf("replica %s never became master: %w", replicaAddr, err)
	}
	newID := top.ids[replicaAddr]
	for _, n := range c.nodes {
		if n.paused {
			continue
		}
		nc := adminClient(n.proc.addr())
		err := pollErr(ctx, func(ctx context.Context) error {
			info, err := nc.ClusterInfo(ctx).Result()
			if err != nil {
				return err
			}
			if err := infoHas(info, map[string]string{"cluster_state": "ok", "cluster_slots_ok": strconv.Itoa(clusterSlots)}); err != nil {
				return err
			}
			text, err := nc.ClusterNodes(ctx).Result()
			if err != nil {
				return err
			}
			now := parseNodes(text)
			if !slices.Contains(now.masters, replicaAddr) || now.replica[masterAddr] != newID {
				return fmt.Errorf("%s sees masters %v, %s replicating %q", n.proc.addr(), now.masters, masterAddr, now.replica[masterAddr])
			}
			return nil
		})
		nc.Close()
		if err != nil {
			return "", fmt.Errorf("failover to %s never settled: %w", replicaAddr, err)
		}
	}
	old := adminClient(masterAddr)
	defer old.Close()
	err = pollErr(ctx, func(ctx context.Context) error {
		repl, err := old.Info(ctx, "replication").Result()
		if err != nil {
			return err
		}
		return infoHas(repl, map[string]string{"role": "slave", "master_link_status": "up"})
	})
	if err != nil {
		return "", fmt.Errorf("old master %s never became an in-sync replica of %s: %w", masterAddr, replicaAddr, err)
	}
	return replicaAddr, nil
}

// Pause freezes the node at addr (SIGSTOP to its process group), as a hung host would: the kernel still
// accepts connections, nothing is answered until Resume. The other nodes go on serving their slots;
// after cluster-node-timeout (15 s by default) they would fail it over, so keep pauses shorter. Pausing
// a paused node does nothing; t.Cleanup resumes it.
func (c *ReplicatedCluster) Pause(t testing.TB, addr string) {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	n, err := c.nodeLocked(addr)
	if err != nil {
		t.Fatalf("redistest: pause: %v", err)
	}
	if n.paused {
		return
	}
	if err := n.proc.freeze(true); err != nil {
		t.Fatalf("redistest: pause %s: %v", addr, err)
	}
	n.paused = true
	t.Cleanup(func() { c.Resume(t, addr) })
}

// Resume lets a paused node run again. Resuming a running node does nothing.
func (c *ReplicatedCluster) Resume(t testing.TB, addr string) {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	n, err := c.nodeLocked(addr)
	if err != nil {
		t.Fatalf("redistest: resume: %v", err)
	}
	if !n.paused {
		return
	}
	if err := n.proc.freeze(false); err != nil {
		t.Fatalf("redistest: resume %s: %v", addr, err)
	}
	n.paused = false
}

// pollErr is poll without an exit channel, whose error names the last failure that was not the
// deadline itself (the check's final call usually fails only because ctx ended).
func pollErr(ctx context.Context, check func(context.Context) error) error {
	var real error
	err := poll(ctx, nil, func(ctx context.Context) error {
		err := check(ctx)
		if err != nil && ctx.Err() == nil {
			real = err
		}
		return err
	})
	if err != nil && real != nil {
		return fmt.Errorf("%w (last failure before that: %v)", err, real)
	}
	return err
}
