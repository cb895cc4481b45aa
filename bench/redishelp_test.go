package bench

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"

	goredis "github.com/redis/go-redis/v9"

	"github.com/cachekit/cachekit/store"
	rstore "github.com/cachekit/cachekit/store/redis"
)

// scanCount is the SCAN COUNT hint on both sides (the redis backend's default).
const scanCount = rstore.DefaultScanCount

// newRedisStore returns the redis backend over client (which stays the caller's), closed at cleanup.
func newRedisStore(tb testing.TB, client goredis.UniversalClient) *rstore.Store {
	tb.Helper()
	s, err := rstore.New(client, rstore.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = s.Close() })
	return s
}

// populate stores value under keys with pipelines of 1,000 SETs (grouped by node on a Cluster).
func populate(tb testing.TB, c goredis.UniversalClient, keys []string, value []byte) {
	tb.Helper()
	ctx := context.Background()
	for len(keys) > 0 {
		n := min(1000, len(keys))
		if _, err := c.Pipelined(ctx, func(p goredis.Pipeliner) error {
			for _, k := range keys[:n] {
				p.Set(ctx, k, value, remoteTTL)
			}
			return nil
		}); err != nil {
			tb.Fatalf("populate: %v", err)
		}
		keys = keys[n:]
	}
}

// purgeAtCleanup deletes every key matching pattern when tb ends, so benchmarks leave the servers as
// they found them.
func purgeAtCleanup(tb testing.TB, c goredis.UniversalClient, pattern string) {
	tb.Cleanup(func() {
		if _, err := scanUnlink(context.Background(), c, pattern); err != nil {
			tb.Errorf("purge %s: %v", pattern, err)
		}
	})
}

// scanUnlink is the hand-written invalidation a user would write without cachekit: SCAN MATCH on every
// master (concurrently, as go-redis' ForEachMaster runs), deleting each page as it comes: one
// multi-key UNLINK on a single node, pipelined single-key UNLINKs on a Cluster node (keys of one page
// span slots, and a multi-key command across slots fails with CROSSSLOT).
func scanUnlink(ctx context.Context, c goredis.UniversalClient, pattern string) (int, error) {
	cc, ok := c.(*goredis.ClusterClient)
	if !ok {
		return scanUnlinkNode(ctx, c, pattern, false)
	}
	var total atomic.Int64
	err := cc.ForEachMaster(ctx, func(ctx context.Context, node *goredis.Client) error {
		n, err := scanUnlinkNode(ctx, node, pattern, true)
		total.Add(int64(n))
		return err
	})
	return int(total.Load()), err
}

func scanUnlinkNode(ctx context.Context, node goredis.Cmdable, pattern string, perKey bool) (int, error) {
	deleted := 0
	var cursor uint64
	for {
		keys, next, err := node.Scan(ctx, cursor, pattern, scanCount).Result()
		if err != nil {
			return deleted, err
		}
		if len(keys) > 0 {
			if perKey {
				cmds, err := node.Pipelined(ctx, func(p goredis.Pipeliner) error {
					for _, k := range keys {
						p.Unlink(ctx, k)
					}
					return nil
				})
				if err != nil {
					return deleted, err
				}
				for _, cmd := range cmds {
					deleted += int(cmd.(*goredis.IntCmd).Val())
				}
			} else {
				n, err := node.Unlink(ctx, keys...).Result()
				if err != nil {
					return deleted, err
				}
				deleted += int(n)
			}
		}
		if cursor = next; cursor == 0 {
			return deleted, nil
		}
	}
}

// items returns SetMany items for keys, all with value and remoteTTL.
func items(keys []string, value []byte) []store.Item {
	out := make([]store.Item, len(keys))
	for i, k := range keys {
		out[i] = store.Item{Key: k, Value: value, TTL: remoteTTL}
	}
	return out
}

// isDataCmd reports whether cmd is one of the data commands whose round trips the tests count; commands
// the client sends for itself (CLUSTER SLOTS, HELLO, PING) are not counted.
func isDataCmd(cmd goredis.Cmder) bool {
	switch cmd.Name() {
	case "get", "mget", "set", "unlink", "del":
		return true
	}
	return false
}

// tripCounter counts, per node address, the round trips that carry data commands: one per command sent
// alone, one per pipeline. Its hooks are installed on every node client.
type tripCounter struct {
	mu     sync.Mutex
	counts map[string]int
}

func newTripCounter() *tripCounter { return &tripCounter{counts: map[string]int{}} }

// hook returns a hook counting into t under addr.
func (t *tripCounter) hook(addr string) goredis.Hook {
	return &tripHook{t: t, addr: addr}
}

func (t *tripCounter) reset() {
	t.mu.Lock()
	clear(t.counts)
	t.mu.Unlock()
}

func (t *tripCounter) snapshot() map[string]int {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make(map[string]int, len(t.counts))
	for k, v := range t.counts {
		out[k] = v
	}
	return out
}

type tripHook struct {
	t    *tripCounter
	addr string
}

func (h *tripHook) add() {
	h.t.mu.Lock()
	h.t.counts[h.addr]++
	h.t.mu.Unlock()
}

func (h *tripHook) DialHook(next goredis.DialHook) goredis.DialHook { return next }

func (h *tripHook) ProcessHook(next goredis.ProcessHook) goredis.ProcessHook {
	return func(ctx context.Context, cmd goredis.Cmder) error {
		if isDataCmd(cmd) {
			h.add()
		}
		return next(ctx, cmd)
	}
}

func (h *tripHook) ProcessPipelineHook(next goredis.ProcessPipelineHook) goredis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []goredis.Cmder) error {
		for _, c := range cmds {
			if isDataCmd(c) {
				h.add()
				break
			}
		}
		return next(ctx, cmds)
	}
}
