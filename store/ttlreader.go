package store

import (
	"context"
	"errors"
	"time"
)

// TTLReader is an optional interface of a Store that returns values together with their remaining
// lifetime in one round trip (GET and PTTL pipelined on Redis). A composite store that copies values into
// a faster tier (store/tiered backfilling its L1) detects it with a type assertion, and otherwise falls
// back to Get followed by TTL: two round trips per key.
//
// The value and the lifetime come from one round trip but need not be one atomic snapshot: a write
// between the two reads may pair a value with the lifetime of its successor. A caller that caches the
// pair must therefore still guard against concurrent writes (store/tiered does, with its invalidations).
type TTLReader interface {
	// GetWithTTL is Get that also returns the key's remaining lifetime (> 0), as TTL reports it. A miss
	// is an error wrapping ErrNotFound; hits and misses count in Stats as Get's do.
	GetWithTTL(ctx context.Context, key string) ([]byte, time.Duration, error)

	// GetManyWithTTL is GetMany that also returns each hit's remaining lifetime, in one round trip per
	// node. Misses are absent from the map; each value is a copy.
	GetManyWithTTL(ctx context.Context, keys []string) (map[string]ValueTTL, error)
}

// ValueTTL is a value with its remaining lifetime, as returned by TTLReader.GetManyWithTTL.
type ValueTTL struct {
	Value []byte
	TTL   time.Duration
}

// GetWithTTL returns the value of key and its remaining lifetime: through s.GetWithTTL when s is a
// TTLReader, else the fallback, Get and then TTL (two round trips on a network store). A key that
// vanishes between the two calls is returned with the smallest lifetime, a millisecond, as the Redis
// backend's GetWithTTL does; any other TTL error is returned. A miss is Get's error wrapping ErrNotFound.
func GetWithTTL(ctx context.Context, s Store, key string) ([]byte, time.Duration, error) {
	if r, ok := s.(TTLReader); ok {
		return r.GetWithTTL(ctx, key)
	}
	v, err := s.Get(ctx, key)
	if err != nil {
		return nil, 0, err
	}
	ttl, err := lifetime(s.TTL(ctx, key))
	if err != nil {
		return nil, 0, err
	}
	return v, ttl, nil
}

// GetManyWithTTL returns the hits among keys with their remaining lifetimes: through s.GetManyWithTTL
// when s is a TTLReader, else the fallback, GetMany and then one TTL call per hit (a hit that vanished in
// between keeps the smallest lifetime, as in GetWithTTL).
func GetManyWithTTL(ctx context.Context, s Store, keys []string) (map[string]ValueTTL, error) {
	if r, ok := s.(TTLReader); ok {
		return r.GetManyWithTTL(ctx, keys)
	}
	vals, err := s.GetMany(ctx, keys)
	if err != nil {
		return nil, err
	}
	out := make(map[string]ValueTTL, len(vals))
	for k, v := range vals {
		ttl, err := lifetime(s.TTL(ctx, k))
		if err != nil {
			return nil, err
		}
		out[k] = ValueTTL{Value: v, TTL: ttl}
	}
	return out, nil
}

// lifetime turns the TTL read right after a hit into GetWithTTL's lifetime: a key gone since the hit
// (ErrNotFound) has the smallest lifetime.
func lifetime(ttl time.Duration, err error) (time.Duration, error) {
	if errors.Is(err, ErrNotFound) {
		return time.Millisecond, nil
	}
	return ttl, err
}
