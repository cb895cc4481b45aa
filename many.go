package cachekit

import (
	"context"
)

// GetMany decodes the values of the relative keys that are present into a map keyed by relative key;
// each value is the caller's own. Misses, corrupt entries (deleted, counted) and values that do not fit T
// (kept, counted in Counters.TypeMismatches) are absent from the map. It is one store call: one round
// trip per Redis node.
func GetMany[T any](ctx context.Context, c *Cache, keys []string) (map[string]T, error) {
	if err := c.check(ctx, "get_many", ""); err != nil {
		return nil, err
	}
	full, err := c.fullKeys("get_many", keys)
	if err != nil {
		return nil, err
	}
	defer c.startTimer().stop(OpGetMany, "")
	rel := make(map[string]string, len(keys))
	for i, f := range full {
		rel[f] = keys[i]
	}
	raw, err := c.st.GetMany(ctx, full)
	if err != nil {
		if o := c.observer(); o != nil && !isCallerError(err) {
			for _, k := range keys {
				o.Count(OpGetMany, kindOf(k), OutcomeError, 1)
			}
		}
		return nil, err
	}
	out := make(map[string]T, len(raw))
	for f, data := range raw {
		var v T
		if _, err := c.decode(data, &v, f); err != nil { // v is fresh: nothing to keep untouched
			_ = c.decodeFailed(ctx, "get_many", rel[f], f, &v, err)
			continue
		}
		out[rel[f]] = v
	}
	c.counts.hits.Add(int64(len(out)))
	c.counts.misses.Add(int64(len(rel) - len(raw))) // corrupt ones were counted by decodeFailed
	if o := c.observer(); o != nil {
		for f, k := range rel {
			if _, found := raw[f]; !found {
				o.Count(OpGetMany, kindOf(k), OutcomeMiss, 1)
			} else if _, ok := out[k]; ok {
				o.Count(OpGetMany, kindOf(k), OutcomeHit, 1)
			}
		}
	}
	return out, nil
}
