package cachekit

import (
	"context"
	"time"

	"github.com/cachekit/cachekit/store"
)

// Entry is one value of a SetMany call. TTL follows Set's rules (0 = configured).
type Entry struct {
	Key   string
	Value any
	TTL   time.Duration
}

// GetMany decodes the values of the relative keys that are present into a map keyed by relative key.
// Misses, and corrupt entries (deleted, counted), are absent from the map. It is one store call: one
// round trip per Redis node.
func GetMany[T any](ctx context.Context, c *Cache, keys []string) (map[string]T, error) {
	if err := c.check(ctx, "get_many", ""); err != nil {
		return nil, err
	}
	full := make([]string, len(keys))
	rel := make(map[string]string, len(keys))
	for i, k := range keys {
		f, err := c.fullKey("get_many", k)
		if err != nil {
			return nil, err
		}
		full[i] = f
		rel[f] = k
	}
	raw, err := c.st.GetMany(ctx, full)
	if err != nil {
		return nil, err
	}
	out := make(map[string]T, len(raw))
	for f, data := range raw {
		var v T
		if c.decode(ctx, f, data, &v) != nil {
			continue
		}
		out[rel[f]] = v
	}
	c.counts.hits.Add(int64(len(out)))
	c.counts.misses.Add(int64(countDistinct(keys) - len(raw))) // undecodable ones were counted by decode
	return out, nil
}

func countDistinct(keys []string) int {
	seen := make(map[string]struct{}, len(keys))
	for _, k := range keys {
		seen[k] = struct{}{}
	}
	return len(seen)
}

// SetMany encodes and stores every entry in one store call (one pipeline on Redis). Every key, TTL and
// value is checked and encoded before anything is stored, so invalid input stores nothing.
func (c *Cache) SetMany(ctx context.Context, entries []Entry) error {
	if err := c.check(ctx, "set_many", ""); err != nil {
		return err
	}
	items := make([]store.Item, len(entries))
	for i, e := range entries {
		full, ttl, data, err := c.prepareSet(ctx, "set_many", e.Key, e.Value, e.TTL)
		if err != nil {
			return err
		}
		items[i] = store.Item{Key: full, Value: data, TTL: ttl}
	}
	if len(items) == 0 {
		return nil
	}
	return c.st.SetMany(ctx, items)
}
