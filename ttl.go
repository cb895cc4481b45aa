package cachekit

import (
	"fmt"
	"time"

	"github.com/cachekit/cachekit/store"
)

// DefaultTTL is the TTL used for ttl 0 when the key's kind has no TTL of its own (REDIS_CACHE_TTL's
// default).
const DefaultTTL = 60 * time.Second

// DefaultKindTTLs returns the built-in TTLs per kind, those of the original bot: ticker 5 s, ohlcv
// 86400 s, deals 10 s, orderbook 5 s. Every Cache starts with them, so a key gets the same TTL whichever
// API writes it (Set, Warm, Fetch, the exchange client); WithKindTTL and REDIS_CACHE_TTL_<KIND> replace
// them. The result is a fresh map.
func DefaultKindTTLs() map[string]time.Duration {
	return map[string]time.Duration{
		"ticker":    5 * time.Second,
		"ohlcv":     86400 * time.Second,
		"deals":     10 * time.Second,
		"orderbook": 5 * time.Second,
	}
}

// resolveTTL applies "0 means configured" and rejects negative TTLs. rel is the relative key; its first
// segment is its kind.
func (c *Cache) resolveTTL(op, rel string, ttl time.Duration) (time.Duration, error) {
	switch {
	case ttl > 0:
		return ttl, nil
	case ttl < 0:
		return 0, opErr(op, rel, fmt.Errorf("%w: %v is negative (0 means the configured TTL)", store.ErrInvalidTTL, ttl))
	}
	return c.TTLFor(rel), nil
}

// TTLFor returns the TTL a write of the relative key with ttl 0 gets: its kind's TTL (the first
// segment: "ticker" for "ticker:QRL/USDT"), else the default TTL.
func (c *Cache) TTLFor(rel string) time.Duration {
	if d, ok := c.kindTTL[kindOf(rel)]; ok {
		return d
	}
	return c.defaultTTL
}

// DefaultTTL returns the TTL used for ttl 0 when the key's kind has no TTL of its own.
func (c *Cache) DefaultTTL() time.Duration { return c.defaultTTL }

// KindTTL returns the TTL configured for a kind (built in, WithKindTTL or REDIS_CACHE_TTL_<KIND>), and
// whether one is.
func (c *Cache) KindTTL(kind string) (time.Duration, bool) {
	d, ok := c.kindTTL[kind]
	return d, ok
}
