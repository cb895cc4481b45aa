package cachekit

import (
	"context"

	"github.com/cachekit/cachekit/keyspace"
	"github.com/cachekit/cachekit/store"
)

// deleteBatch is how many selected keys ClearSymbol deletes per store call.
const deleteBatch = 500

// DeletePattern deletes every key of this keyspace matching relPattern, a Redis glob relative to the
// keyspace ("ohlcv:*", "ticker:QRL/*"), and reports how many it deleted. The keyspace prefix is escaped,
// so nothing outside the namespace and version is ever touched; relPattern keeps its glob meaning (use
// keyspace.EscapeGlob on user text that should match literally).
func (c *Cache) DeletePattern(ctx context.Context, relPattern string) (_ int, err error) {
	defer c.observeWrite(OpDelete, "", timer{}, &err)
	if err := c.check(ctx, "delete_pattern", relPattern); err != nil {
		return 0, err
	}
	pattern, err := c.ks.Pattern(relPattern)
	if err != nil {
		return 0, invalidKey("delete_pattern", relPattern, err)
	}
	defer c.nsKeys.forget()
	if err := c.settleMatching(ctx, func(full string) bool { return store.Match(pattern, full) }); err != nil {
		return 0, opErr("delete_pattern", relPattern, err)
	}
	return c.st.DeletePattern(ctx, pattern)
}

// ClearAll deletes every key of this keyspace (namespace + version) and nothing else: never FLUSHDB.
// Like every delete of the Cache, it comes after any Fetch write still pending in this process: a value
// loaded before it never lands after it.
func (c *Cache) ClearAll(ctx context.Context) (_ int, err error) {
	defer c.observeWrite(OpDelete, "", timer{}, &err)
	if err := c.check(ctx, "clear_all", ""); err != nil {
		return 0, err
	}
	defer c.nsKeys.forget()
	if err := c.settleMatching(ctx, func(string) bool { return true }); err != nil { // every flight is in the keyspace
		return 0, opErr("clear_all", "", err)
	}
	return c.st.DeletePattern(ctx, c.ks.All())
}

// ClearSymbol deletes every key of this keyspace, of any kind, whose first part is symbol
// ("ticker:QRL/USDT", "ohlcv:QRL/USDT:1d:120"), and nothing else: not "ticker:QRL/USDT2", not a key where
// the symbol is a later part. Glob metacharacters in symbol match literally.
func (c *Cache) ClearSymbol(ctx context.Context, symbol string) (_ int, err error) {
	defer c.observeWrite(OpDelete, "", timer{}, &err)
	if err := c.check(ctx, "clear_symbol", symbol); err != nil {
		return 0, err
	}
	sel, err := c.ks.Symbol(symbol)
	if err != nil {
		return 0, invalidKey("clear_symbol", symbol, err)
	}
	defer c.nsKeys.forget()
	if err := c.settleMatching(ctx, func(full string) bool { return store.Match(sel.Pattern, full) && sel.Match(full) }); err != nil {
		return 0, opErr("clear_symbol", symbol, err)
	}
	return c.deleteSelected(ctx, sel)
}

// deleteSelected scans sel.Pattern and deletes, in batches, the keys sel.Match accepts.
func (c *Cache) deleteSelected(ctx context.Context, sel keyspace.Selector) (int, error) {
	// Keys are collected first: an in-process store's Scan callback must not call the store.
	var pending []string
	err := c.st.Scan(ctx, sel.Pattern, func(key string) bool {
		if sel.Match(key) {
			pending = append(pending, key)
		}
		return true
	})
	if err != nil {
		return 0, err
	}
	deleted := 0
	for len(pending) > 0 {
		n := min(deleteBatch, len(pending))
		d, err := c.st.Delete(ctx, pending[:n]...)
		pending = pending[n:]
		deleted += d
		if err != nil {
			return deleted, err
		}
	}
	return deleted, nil
}

// Keys calls fn with each relative key of this keyspace matching relPattern (a glob relative to the
// keyspace; "*" for all) until fn returns false. On Redis a key may be reported twice (SCAN's guarantee).
// fn must not call the Cache on an in-process backend.
func (c *Cache) Keys(ctx context.Context, relPattern string, fn func(key string) bool) error {
	if err := c.check(ctx, "keys", relPattern); err != nil {
		return err
	}
	pattern, err := c.ks.Pattern(relPattern)
	if err != nil {
		return invalidKey("keys", relPattern, err)
	}
	return c.st.Scan(ctx, pattern, func(full string) bool {
		rel, ok := c.ks.Relative(full)
		return !ok || fn(rel)
	})
}
