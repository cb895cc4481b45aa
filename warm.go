package cachekit

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/cachekit/cachekit/codec"
)

// WarmItem is one key to pre-load: Load is called only when Key is not cached yet.
type WarmItem struct {
	Key  string
	TTL  time.Duration // 0 = configured
	Load func(ctx context.Context) (any, error)
}

// WarmResult counts what Warm did. Errors maps the relative key of each failed item to its error.
type WarmResult struct {
	Success, Failed, Skipped int
	Errors                   map[string]error
}

// WarmOutcome is what happened to one item: "success", "failed" or "skipped".
type WarmOutcome string

// Warm outcomes.
const (
	WarmSuccess WarmOutcome = "success"
	WarmFailed  WarmOutcome = "failed"
	WarmSkipped WarmOutcome = "skipped"
)

// Warm pre-loads items: keys already cached are skipped (checked with one GetMany, without calling
// their loaders; an entry no codec can read is not "cached": it is deleted, counted in Counters.Corrupt,
// and loaded), the others are loaded with at most WithWarmConcurrency loaders at a time and stored with
// Set's TTL rules. An item with an invalid key, a nil loader, a load error, a loader panic (recovered, a
// *LoaderPanicError) or a store error is counted as Failed with its error. progress, if not nil, is
// called once per item (serially) as it finishes. Warm returns an error only when ctx ends or the cache
// is closed; the result then counts what finished.
func (c *Cache) Warm(ctx context.Context, items []WarmItem, progress func(key string, outcome WarmOutcome)) (WarmResult, error) {
	res := WarmResult{Errors: map[string]error{}}
	if err := c.check(ctx, "warm", ""); err != nil {
		return res, err
	}
	var mu sync.Mutex
	finish := func(key string, outcome WarmOutcome, err error) {
		mu.Lock()
		defer mu.Unlock()
		switch outcome {
		case WarmSuccess:
			res.Success++
		case WarmSkipped:
			res.Skipped++
		default:
			res.Failed++
			res.Errors[key] = err
		}
		if progress != nil {
			progress(key, outcome)
		}
	}

	cached, err := c.cachedKeys(ctx, items)
	if err != nil {
		return res, err
	}
	sem := make(chan struct{}, c.warmLimit)
	var wg sync.WaitGroup
	for _, it := range items {
		if _, ok := cached[it.Key]; ok {
			finish(it.Key, WarmSkipped, nil)
			continue
		}
		if _, err := c.fullKey("warm", it.Key); err != nil {
			finish(it.Key, WarmFailed, err)
			continue
		}
		if it.Load == nil {
			finish(it.Key, WarmFailed, opErr("warm", it.Key, errNilLoader))
			continue
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			wg.Wait()
			return res, opErr("warm", "", ctx.Err())
		}
		wg.Add(1)
		go func(it WarmItem) {
			defer func() { <-sem; wg.Done() }()
			v, err := callLoader(c, it.Key, func() (any, error) { return it.Load(ctx) })
			if err == nil {
				err = c.Set(ctx, it.Key, v, it.TTL)
			}
			if err != nil {
				finish(it.Key, WarmFailed, err)
				return
			}
			finish(it.Key, WarmSuccess, nil)
		}(it)
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return res, opErr("warm", "", err)
	}
	return res, nil
}

// cachedKeys returns the set of items' relative keys that are present in the store. Invalid keys are
// left out (they fail later with their own error).
func (c *Cache) cachedKeys(ctx context.Context, items []WarmItem) (map[string]struct{}, error) {
	full := make([]string, 0, len(items))
	for _, it := range items {
		if f, err := c.ks.Key(it.Key); err == nil {
			full = append(full, f)
		}
	}
	present := map[string]struct{}{}
	if len(full) == 0 {
		return present, nil
	}
	raw, err := c.st.GetMany(ctx, full)
	if err != nil {
		return nil, err
	}
	for f, data := range raw {
		rel, ok := c.ks.Relative(f)
		if !ok {
			continue
		}
		// Any well-formed value counts as cached (Warm's loaders are untyped); corrupt bytes do not.
		if _, err := c.decode(data, new(any), f); errors.Is(err, codec.ErrCorrupt) {
			_ = c.decodeFailed(ctx, "warm", rel, f, new(any), err)
			continue
		}
		present[rel] = struct{}{}
	}
	return present, nil
}

var errNilLoader = errors.New("warm item has no Load function")
