package redis

import (
	"context"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/cachekit/cachekit/store"
)

// setIfNewer is the versioned write, one atomic step on the server. A stored envelope (magic 0xC1,
// format 1) with the version flag (bit 3 of its flags byte) has its version in 8 big-endian bytes at
// offset 4 (bytes 5-12: Lua strings are 1-based); it is compared byte by byte with ARGV[3], the new
// version, so no 64-bit value passes through Lua's doubles. It touches only KEYS[1]: it runs on whichever Cluster
// node owns the key's slot.
var setIfNewer = goredis.NewScript(`local old = redis.call("GET", KEYS[1])
if old and #old >= 12 and string.byte(old, 1) == 193 and string.byte(old, 2) == 1 and bit.band(string.byte(old, 4), 8) ~= 0 then
  local nv = ARGV[3]
  local newer = false
  for i = 1, 8 do
    local a, b = string.byte(old, 4 + i), string.byte(nv, i)
    if b > a then newer = true break end
    if b < a then break end
  end
  if not newer then return 0 end
end
redis.call("SET", KEYS[1], ARGV[1], "PX", ARGV[2])
return 1`)

// SetIfNewer stores value as Set does unless the key holds a value whose envelope version is not lower
// than value's (store.VersionedSetter), atomically (a Lua script: EVALSHA, falling back to EVAL once
// when the server does not know it yet), and reports whether it stored it. A refused write is
// (false, nil). Like Set, a call that fails with ErrUnavailable or a context error may still have been
// applied.
func (s *Store) SetIfNewer(ctx context.Context, key string, value []byte, ttl time.Duration) (bool, error) {
	if err := store.CheckCall(ctx, s.closed.Load(), backendName, "set_if_newer", key); err != nil {
		return false, err
	}
	if err := store.CheckVersioned(backendName, "set_if_newer", key, value, ttl); err != nil {
		return false, err
	}
	ttl, err := checkTTL("set_if_newer", key, ttl)
	if err != nil {
		return false, err
	}
	bctx, cancel := s.bound(ctx)
	defer cancel()
	// A script goes around the auto-pipeliner: behind its abandoned writes of key (queued.go).
	if err := s.queued.waitKeys(bctx, key); err != nil {
		return false, s.opErr(ctx, "set_if_newer", key, err)
	}
	version := value[4:12] // CheckVersioned: a versioned envelope
	n, err := setIfNewer.Run(bctx, s.client, []string{key}, value, ttl.Milliseconds(), version).Int64()
	if err != nil {
		return false, s.opErr(ctx, "set_if_newer", key, err)
	}
	return n == 1, nil
}

var _ store.VersionedSetter = (*Store)(nil)
