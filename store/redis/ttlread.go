package redis

import (
	"context"
	"errors"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/cachekit/cachekit/store"
)

// GetWithTTL returns the value of key and its remaining lifetime: GET and PTTL in one pipeline, so one
// round trip (store.TTLReader, used by store/tiered to backfill its L1); with Options.AutoPipeline both
// are queued together and normally share a batch. A miss is an error wrapping
// store.ErrNotFound. A key deleted between the two commands is returned with the smallest lifetime
// (1ms); a key without an expiry with NoExpiry. Hits and misses count in Stats as Get's do.
func (s *Store) GetWithTTL(ctx context.Context, key string) ([]byte, time.Duration, error) {
	if err := store.CheckCall(ctx, s.closed.Load(), backendName, "get", key); err != nil {
		return nil, 0, err
	}
	if err := store.CheckKey(backendName, "get", key); err != nil {
		return nil, 0, err
	}
	bctx, cancel := s.boundRead(ctx)
	defer cancel()
	get, pttl, err := s.getWithTTL(bctx, key)
	if err != nil && !errors.Is(err, goredis.Nil) { // Pipelined reports the first command error; a miss is Nil
		return nil, 0, s.opErr(ctx, "get", key, err)
	}
	v, err := get.Bytes()
	if err != nil {
		if errors.Is(err, goredis.Nil) {
			s.misses.Add(1)
		}
		return nil, 0, s.opErr(ctx, "get", key, err)
	}
	s.hits.Add(1)
	if v == nil {
		v = []byte{}
	}
	return v, lifetime(pttl.Val()), nil
}

// getWithTTL sends GET and PTTL, in one pipeline or on the auto-pipeliner; its error is the first
// command error (redis.Nil for a miss).
func (s *Store) getWithTTL(ctx context.Context, key string) (get *goredis.StringCmd, pttl *goredis.DurationCmd, err error) {
	if s.ap != nil {
		return s.getWithTTLAuto(ctx, key)
	}
	_, err = s.client.Pipelined(ctx, func(p goredis.Pipeliner) error {
		get = p.Get(ctx, key)
		pttl = p.PTTL(ctx, key)
		return nil
	})
	return get, pttl, err
}

// GetManyWithTTL returns the hits among keys with their remaining lifetimes: GET and PTTL per key in one
// pipeline (go-redis splits it per node on a Cluster, so one round trip per node and no CROSSSLOT).
// Hits and misses count in Stats as GetMany's do.
func (s *Store) GetManyWithTTL(ctx context.Context, keys []string) (map[string]store.ValueTTL, error) {
	if err := store.CheckCall(ctx, s.closed.Load(), backendName, "get_many", ""); err != nil {
		return nil, err
	}
	if err := store.CheckKeys(backendName, "get_many", keys); err != nil {
		return nil, err
	}
	out := make(map[string]store.ValueTTL, len(keys))
	if len(keys) == 0 {
		return out, nil
	}
	bctx, cancel := s.boundRead(ctx)
	defer cancel()
	gets := make([]*goredis.StringCmd, len(keys))
	pttls := make([]*goredis.DurationCmd, len(keys))
	_, err := s.client.Pipelined(bctx, func(p goredis.Pipeliner) error {
		for i, k := range keys {
			gets[i] = p.Get(bctx, k)
			pttls[i] = p.PTTL(bctx, k)
		}
		return nil
	})
	if err != nil && !errors.Is(err, goredis.Nil) {
		return nil, s.opErr(ctx, "get_many", "", err)
	}
	for i, k := range keys {
		v, err := gets[i].Bytes()
		if err != nil {
			if errors.Is(err, goredis.Nil) {
				continue
			}
			return nil, s.opErr(ctx, "get_many", k, err)
		}
		if v == nil {
			v = []byte{}
		}
		out[k] = store.ValueTTL{Value: v, TTL: lifetime(pttls[i].Val())}
	}
	s.hits.Add(int64(len(out)))
	s.misses.Add(int64(len(keys) - len(out)))
	return out, nil
}

// lifetime turns a PTTL reply read right after a GET hit into a positive lifetime: -1 (no expiry) is
// NoExpiry; -2 (deleted since the GET) and 0 (under a millisecond left) are the smallest lifetime.
func lifetime(d time.Duration) time.Duration {
	switch {
	case d == -1:
		return NoExpiry
	case d <= 0:
		return time.Millisecond
	}
	return d
}

var _ store.TTLReader = (*Store)(nil)
