package redis

import (
	"context"

	goredis "github.com/redis/go-redis/v9"

	"github.com/cachekit/cachekit/store"
)

// deleteIfValue is the owner-only release of a lease: compare and delete in one atomic step on the
// server. It touches only KEYS[1], so it runs on any Cluster node that owns that slot.
var deleteIfValue = goredis.NewScript(`if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) end
return 0`)

// DeleteIfValue deletes key when it holds exactly value, atomically (a Lua script: EVALSHA, falling
// back to EVAL once when the server does not know the script yet), and reports whether it did; a
// missing key or another value is false. It is store.CompareDeleter, the release of a Fetch lease.
func (s *Store) DeleteIfValue(ctx context.Context, key string, value []byte) (bool, error) {
	if err := store.CheckCall(ctx, s.closed.Load(), backendName, "delete_if_value", key); err != nil {
		return false, err
	}
	if err := store.CheckKey(backendName, "delete_if_value", key); err != nil {
		return false, err
	}
	bctx, cancel := s.bound(ctx)
	defer cancel()
	// A script goes around the auto-pipeliner: behind its abandoned writes of key (queued.go).
	if err := s.queued.waitKeys(bctx, key); err != nil {
		return false, s.opErr(ctx, "delete_if_value", key, err)
	}
	n, err := deleteIfValue.Run(bctx, s.client, []string{key}, value).Int64()
	if err != nil {
		return false, s.opErr(ctx, "delete_if_value", key, err)
	}
	return n == 1, nil
}

var _ store.CompareDeleter = (*Store)(nil)
