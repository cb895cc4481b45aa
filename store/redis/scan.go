package redis

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	goredis "github.com/redis/go-redis/v9"

	"github.com/cachekit/cachekit/store"
)

// errEmptyPattern guards against SCAN without MATCH: go-redis drops an empty MATCH, which would select
// every key of the database.
var errEmptyPattern = fmt.Errorf("%w: empty pattern (it would match every key)", store.ErrInvalidKey)

// Scan calls fn with each key matching pattern, a Redis glob passed to SCAN MATCH as is (callers escape
// user text; see package keyspace). It walks every master of a Cluster concurrently (so a Cluster scan
// costs about what its largest node's costs), but fn is never called concurrently: pages are handed to
// fn one at a time. A key may be reported more than once (SCAN's guarantee); keys written during the scan
// may or may not be reported. Scan stops when fn returns false.
func (s *Store) Scan(ctx context.Context, pattern string, fn func(key string) bool) error {
	if err := store.CheckCall(ctx, s.closed.Load(), backendName, "scan", pattern); err != nil {
		return err
	}
	if pattern == "" {
		return &store.OpError{Op: "scan", Backend: backendName, Err: errEmptyPattern}
	}
	var (
		mu      sync.Mutex // serialises fn
		stopped atomic.Bool
	)
	err := s.forEachNode(ctx, func(ctx context.Context, node goredis.Cmdable) error {
		return s.scanNode(ctx, node, pattern, func(keys []string) error {
			mu.Lock()
			defer mu.Unlock()
			for _, k := range keys {
				if stopped.Load() {
					return errStopScan
				}
				if !fn(k) {
					stopped.Store(true)
					return errStopScan
				}
			}
			return nil
		})
	})
	if stopped.Load() {
		return nil
	}
	if err != nil {
		return s.opErr(ctx, "scan", pattern, err)
	}
	return nil
}

// errStopScan ends scanNode early without being an error of the caller's.
var errStopScan = errors.New("stop scan")

// scanNode runs SCAN MATCH pattern COUNT ScanCount to the end on one node, passing each page to page.
func (s *Store) scanNode(ctx context.Context, node goredis.Cmdable, pattern string, page func([]string) error) error {
	var cursor uint64
	for {
		bctx, cancel := s.bound(ctx)
		keys, next, err := node.Scan(bctx, cursor, pattern, int64(s.opts.ScanCount)).Result()
		cancel()
		if err != nil {
			return err
		}
		if len(keys) > 0 {
			if err := page(keys); err != nil {
				return err
			}
		}
		if next == 0 {
			return nil
		}
		cursor = next
	}
}

// DeletePattern removes every key matching pattern (a Redis glob, passed as is) on every master and
// reports how many it removed. It pages through SCAN (never KEYS) and UNLINKs each page as it goes: on a
// single node in batches of Options.DeleteBatch, on a Cluster as pipelined single-key UNLINKs, so no
// command spans slots. Masters of a Cluster are processed concurrently. Keys written while it runs may
// survive. On error the count says how many were removed before it.
func (s *Store) DeletePattern(ctx context.Context, pattern string) (int, error) {
	if err := store.CheckCall(ctx, s.closed.Load(), backendName, "delete_pattern", pattern); err != nil {
		return 0, err
	}
	if pattern == "" {
		return 0, &store.OpError{Op: "delete_pattern", Backend: backendName, Err: errEmptyPattern}
	}
	// Behind the abandoned writes of matching keys (queued.go), also of keys they will create, which the
	// scan would not find.
	if s.queued.pending() {
		bctx, cancel := s.bound(ctx)
		err := s.queued.waitMatching(bctx, func(k string) bool { return store.Match(pattern, k) })
		cancel()
		if err != nil {
			return 0, s.opErr(ctx, "delete_pattern", pattern, err)
		}
	}
	var total atomic.Int64
	err := s.forEachNode(ctx, func(ctx context.Context, node goredis.Cmdable) error {
		return s.scanNode(ctx, node, pattern, func(keys []string) error {
			var (
				n   int
				err error
			)
			if s.cluster != nil {
				// Through the cluster client: it routes each key to its slot's owner (the node just
				// scanned, unless a slot is migrating) and follows MOVED/ASK.
				bctx, cancel := s.bound(ctx)
				if err = s.queued.waitKeys(bctx, keys...); err == nil { // see queued.go
					n, err = unlinkPipelined(bctx, s.cluster, keys)
				}
				cancel()
			} else {
				n, err = s.unlinkBatches(ctx, node, keys)
			}
			total.Add(int64(n))
			return err
		})
	})
	if err != nil {
		return int(total.Load()), s.opErr(ctx, "delete_pattern", pattern, s.partial(err, true))
	}
	return int(total.Load()), nil
}
