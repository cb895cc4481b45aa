package redis

import (
	"context"
	"errors"
	"sync"

	goredis "github.com/redis/go-redis/v9"
)

// forEachNode calls fn once per node holding data: every master of a Cluster (concurrently, with the
// master's own client), or the client itself otherwise. It returns the first error; on a Cluster that
// error names the master it came from (see nodeError), so classify reports that address.
func (s *Store) forEachNode(ctx context.Context, fn func(ctx context.Context, node goredis.Cmdable) error) error {
	if s.cluster == nil {
		return fn(ctx, s.client)
	}
	masters, err := s.masters(ctx)
	if err != nil {
		return err
	}
	errs := make(chan error, len(masters))
	for _, c := range masters {
		go func() {
			if err := fn(ctx, c); err != nil {
				errs <- &nodeError{addr: c.Options().Addr, err: err}
				return
			}
			errs <- nil
		}()
	}
	var first error
	for range masters {
		if err := <-errs; err != nil && first == nil {
			first = err
		}
	}
	return first
}

// masters returns the Cluster's master clients. Only a client's first call loads the slot map (later
// reloads run in the background), and that load is bounded by one call budget here, so that fn's own
// round trips, each with a budget of its own (Scan, DeletePattern), are not charged for it.
func (s *Store) masters(ctx context.Context) ([]*goredis.Client, error) {
	bctx, cancel := s.bound(ctx)
	defer cancel()
	var (
		mu  sync.Mutex
		out []*goredis.Client
	)
	err := s.cluster.ForEachMaster(bctx, func(_ context.Context, c *goredis.Client) error {
		mu.Lock()
		out = append(out, c)
		mu.Unlock()
		return nil
	})
	return out, err
}

// getManyCluster reads keys with pipelined GETs: go-redis groups a Cluster pipeline by node and sends
// one pipeline per node concurrently, so keys in different slots never meet in one command (no
// CROSSSLOT) and the call costs one round trip per node.
func (s *Store) getManyCluster(ctx context.Context, keys []string) (map[string][]byte, error) {
	cmds := make([]*goredis.StringCmd, len(keys))
	_, err := s.cluster.Pipelined(ctx, func(p goredis.Pipeliner) error {
		for i, k := range keys {
			cmds[i] = p.Get(ctx, k)
		}
		return nil
	})
	if err != nil && !errors.Is(err, goredis.Nil) { // Pipelined reports the first command error; misses are Nil
		return nil, err
	}
	out := make(map[string][]byte, len(keys))
	for i, cmd := range cmds {
		v, err := cmd.Result()
		switch {
		case errors.Is(err, goredis.Nil):
			continue
		case err != nil:
			return nil, err
		}
		out[keys[i]] = ownedBytes(v)
	}
	return out, nil
}

// unlinkPipelined deletes keys with one single-key UNLINK each, in one pipeline (grouped by node on a
// Cluster), and returns how many existed. Single-key commands never span slots.
func unlinkPipelined(ctx context.Context, c goredis.Cmdable, keys []string) (int, error) {
	cmds := make([]*goredis.IntCmd, len(keys))
	_, err := c.Pipelined(ctx, func(p goredis.Pipeliner) error {
		for i, k := range keys {
			cmds[i] = p.Unlink(ctx, k)
		}
		return nil
	})
	n := 0
	for _, cmd := range cmds {
		n += int(cmd.Val())
	}
	return n, err
}
