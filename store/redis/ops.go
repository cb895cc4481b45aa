package redis

import (
	"context"
	"errors"
	"time"
	"unsafe"

	goredis "github.com/redis/go-redis/v9"

	"github.com/cachekit/cachekit/store"
)

// NoExpiry is what TTL reports for a key that exists without an expiry (written by something other than
// cachekit, which always sets one): store.NoExpiry.
const NoExpiry = store.NoExpiry

// checkTTL rejects ttl <= 0 (store.CheckTTL) and returns roundTTL(ttl).
func checkTTL(op, key string, ttl time.Duration) (time.Duration, error) {
	if err := store.CheckTTL(backendName, op, key, ttl); err != nil {
		return 0, err
	}
	return roundTTL(ttl), nil
}

// roundTTL rounds a positive TTL up to whole milliseconds: what SET PX takes (go-redis would otherwise
// log and truncate sub-millisecond values).
func roundTTL(ttl time.Duration) time.Duration {
	if r := ttl % time.Millisecond; r != 0 {
		if ttl > NoExpiry-time.Millisecond {
			return ttl - r // rounding up would overflow; a few hundred years is close enough
		}
		return ttl + time.Millisecond - r
	}
	return ttl
}

// Get returns the value of key (GET). The slice is the caller's: go-redis decodes each reply into a
// buffer allocated for that reply alone, so no copy is needed. A miss is an error wrapping
// store.ErrNotFound and counts in Stats.Misses; a hit counts in Stats.Hits.
func (s *Store) Get(ctx context.Context, key string) ([]byte, error) {
	if err := store.CheckCall(ctx, s.closed.Load(), backendName, "get", key); err != nil {
		return nil, err
	}
	if err := store.CheckKey(backendName, "get", key); err != nil {
		return nil, err
	}
	bctx, cancel := s.boundRead(ctx)
	defer cancel()
	cmd := goredis.NewStringCmd(bctx, "get", key)
	if err := s.do(bctx, cmd); err != nil {
		if errors.Is(err, goredis.Nil) {
			s.misses.Add(1)
		}
		return nil, s.opErr(ctx, "get", key, err)
	}
	v, _ := cmd.Bytes()
	s.hits.Add(1)
	if v == nil { // an empty value is a hit, never a nil slice
		v = []byte{}
	}
	return v, nil
}

// GetMany returns the hits among keys: one MGET on a single node; on a Cluster, GETs pipelined per node
// (one round trip per node, no CROSSSLOT). Each value is the caller's own (see ownedBytes), and an
// empty value is a non-nil empty slice. Hits and misses count in Stats.
func (s *Store) GetMany(ctx context.Context, keys []string) (map[string][]byte, error) {
	if err := store.CheckCall(ctx, s.closed.Load(), backendName, "get_many", ""); err != nil {
		return nil, err
	}
	if err := store.CheckKeys(backendName, "get_many", keys); err != nil {
		return nil, err
	}
	if len(keys) == 0 {
		return map[string][]byte{}, nil
	}
	var (
		out map[string][]byte
		err error
	)
	bctx, cancel := s.boundRead(ctx)
	defer cancel()
	if s.cluster != nil {
		out, err = s.getManyCluster(bctx, keys)
	} else {
		out, err = s.mget(bctx, keys)
	}
	if err != nil {
		return nil, s.opErr(ctx, "get_many", "", err)
	}
	s.hits.Add(int64(len(out)))
	s.misses.Add(int64(len(keys) - len(out)))
	return out, nil
}

func (s *Store) mget(ctx context.Context, keys []string) (map[string][]byte, error) {
	vals, err := s.client.MGet(ctx, keys...).Result()
	if err != nil {
		return nil, err
	}
	out := make(map[string][]byte, len(keys))
	for i, v := range vals {
		if str, ok := v.(string); ok && i < len(keys) {
			out[keys[i]] = ownedBytes(str)
		}
	}
	return out, nil
}

// ownedBytes returns the bytes of a string go-redis decoded from a reply, without copying them. This is
// what go-redis' own StringCmd.Bytes does, and it is safe for the same reason: the reader allocates a
// fresh buffer for every bulk string of a reply (never a view of its read buffer), and the command
// holding the string is dropped once its result is taken, so the caller becomes the only owner.
// TestReturnedSlicesAreOwned pins this behaviour of go-redis.
func ownedBytes(s string) []byte {
	if len(s) == 0 {
		return []byte{}
	}
	return unsafe.Slice(unsafe.StringData(s), len(s))
}

// Set stores value under key with SET PX ttl (ttl rounded up to whole milliseconds; go-redis sends EX
// for whole seconds). ttl <= 0 is an error
// wrapping store.ErrInvalidTTL. When Redis is full under the noeviction policy the error wraps
// store.ErrNotStored.
func (s *Store) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	if err := store.CheckCall(ctx, s.closed.Load(), backendName, "set", key); err != nil {
		return err
	}
	if err := store.CheckKey(backendName, "set", key); err != nil {
		return err
	}
	ttl, err := checkTTL("set", key, ttl)
	if err != nil {
		return err
	}
	bctx, cancel := s.bound(ctx)
	defer cancel()
	if err := s.do(bctx, goredis.NewStatusCmd(bctx, setArgs(key, value, ttl, false)...)); err != nil {
		return s.opErr(ctx, "set", key, err)
	}
	return nil
}

// SetMany stores every item with SET PX in one pipeline (one pipeline per node on a Cluster). Every key
// and TTL is validated before anything is sent (store.CheckItems). It is not atomic: on error some items may be stored.
func (s *Store) SetMany(ctx context.Context, items []store.Item) error {
	if err := store.CheckCall(ctx, s.closed.Load(), backendName, "set_many", ""); err != nil {
		return err
	}
	if err := store.CheckItems(backendName, "set_many", items); err != nil {
		return err
	}
	if len(items) == 0 {
		return nil
	}
	bctx, cancel := s.bound(ctx)
	defer cancel()
	if s.queued.pending() { // behind the abandoned writes of these keys (queued.go)
		keys := make([]string, len(items))
		for i, it := range items {
			keys[i] = it.Key
		}
		if err := s.queued.waitKeys(bctx, keys...); err != nil {
			return s.opErr(ctx, "set_many", "", err)
		}
	}
	_, err := s.client.Pipelined(bctx, func(p goredis.Pipeliner) error {
		for _, it := range items {
			p.Set(bctx, it.Key, it.Value, roundTTL(it.TTL))
		}
		return nil
	})
	if err != nil {
		return s.opErr(ctx, "set_many", "", s.partial(err, len(items) > 1))
	}
	return nil
}

// Add stores value under key only if key is absent (SET NX with PX/EX, as Set) and reports whether it
// stored it.
func (s *Store) Add(ctx context.Context, key string, value []byte, ttl time.Duration) (bool, error) {
	if err := store.CheckCall(ctx, s.closed.Load(), backendName, "add", key); err != nil {
		return false, err
	}
	if err := store.CheckKey(backendName, "add", key); err != nil {
		return false, err
	}
	ttl, err := checkTTL("add", key, ttl)
	if err != nil {
		return false, err
	}
	bctx, cancel := s.bound(ctx)
	defer cancel()
	cmd := goredis.NewBoolCmd(bctx, setArgs(key, value, ttl, true)...) // a refusal (nil reply) reads as false
	if err := s.do(bctx, cmd); err != nil {
		return false, s.opErr(ctx, "add", key, err)
	}
	return cmd.Val(), nil
}

// Delete removes keys with UNLINK (memory is freed in the background) and reports how many existed. On a
// single node keys go in batches of Options.DeleteBatch per UNLINK; on a Cluster as pipelined single-key
// UNLINKs, so no command spans slots. Missing keys are not an error.
func (s *Store) Delete(ctx context.Context, keys ...string) (int, error) {
	if err := store.CheckCall(ctx, s.closed.Load(), backendName, "delete", ""); err != nil {
		return 0, err
	}
	if err := store.CheckKeys(backendName, "delete", keys); err != nil {
		return 0, err
	}
	if len(keys) == 0 {
		return 0, nil
	}
	n, err := s.unlink(ctx, keys)
	if err != nil {
		return n, s.opErr(ctx, "delete", "", s.partial(err, len(keys) > 1))
	}
	return n, nil
}

// unlink deletes keys without ever sending a command that spans slots; see Delete. One key goes
// through the auto-pipeliner when it is on; more keys go around it, behind its abandoned writes of
// them (queued.go).
func (s *Store) unlink(ctx context.Context, keys []string) (int, error) {
	if s.cluster == nil && len(keys) > s.opts.DeleteBatch {
		return s.unlinkBatches(ctx, s.client, keys) // one budget per batch
	}
	bctx, cancel := s.bound(ctx)
	defer cancel()
	if s.ap != nil && len(keys) == 1 {
		cmd := goredis.NewIntCmd(bctx, "unlink", keys[0])
		if err := s.do(bctx, cmd); err != nil {
			return 0, err
		}
		return int(cmd.Val()), nil
	}
	if s.cluster != nil {
		if err := s.queued.waitKeys(bctx, keys...); err != nil {
			return 0, err
		}
		return unlinkPipelined(bctx, s.cluster, keys)
	}
	return s.unlinkBatches(bctx, s.client, keys)
}

// unlinkBatches deletes keys on one node with multi-key UNLINKs of at most Options.DeleteBatch keys
// each, every one within its own call budget and behind the abandoned writes of its keys (queued.go).
func (s *Store) unlinkBatches(ctx context.Context, node goredis.Cmdable, keys []string) (int, error) {
	n := 0
	for len(keys) > 0 {
		m := min(s.opts.DeleteBatch, len(keys))
		bctx, cancel := s.bound(ctx)
		err := s.queued.waitKeys(bctx, keys[:m]...)
		var d int64
		if err == nil {
			d, err = node.Unlink(bctx, keys[:m]...).Result()
		}
		cancel()
		n += int(d)
		if err != nil {
			return n, err
		}
		keys = keys[m:]
	}
	return n, nil
}

// TTL returns the remaining lifetime of key (PTTL), an error wrapping store.ErrNotFound when it is
// missing, or NoExpiry when it exists without an expiry.
func (s *Store) TTL(ctx context.Context, key string) (time.Duration, error) {
	if err := store.CheckCall(ctx, s.closed.Load(), backendName, "ttl", key); err != nil {
		return 0, err
	}
	if err := store.CheckKey(backendName, "ttl", key); err != nil {
		return 0, err
	}
	bctx, cancel := s.boundRead(ctx)
	defer cancel()
	cmd := goredis.NewDurationCmd(bctx, time.Millisecond, "pttl", key)
	if err := s.do(bctx, cmd); err != nil {
		return 0, s.opErr(ctx, "ttl", key, err)
	}
	d := cmd.Val()
	switch {
	case d == -2: // PTTL's "no such key" (go-redis passes -2 and -1 through unscaled)
		return 0, &store.OpError{Op: "ttl", Key: key, Backend: backendName, Err: store.ErrNotFound}
	case d == -1:
		return NoExpiry, nil
	case d <= 0:
		// Under a millisecond left: PTTL says 0 but the key is still there; report the smallest lifetime.
		return time.Millisecond, nil
	}
	return d, nil
}
