package store

import (
	"context"
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
