package tiered

import (
	"context"
	"time"

	"github.com/cachekit/cachekit/store"
)

// Set stores value under key in L2, then in L1 for min(ttl, L1MaxTTL), and publishes an invalidation.
// Once it returns nil the next Get on this Store sees the value. An L1 refusal is not an error (the
// value is in L2; the key is removed from L1 instead). An L2 error is returned as is; the key is then
// dropped from L1 and published anyway, since the write may have landed.
func (s *Store) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	if err := s.checkWrite(ctx, "set", key, ttl); err != nil {
		return err
	}
	s.recordOwn(key)
	sn := s.snap(key)
	start := time.Now()
	l2ctx, cancel := s.l2ctx(ctx)
	err := s.l2.Set(l2ctx, key, value, ttl)
	cancel()
	if err != nil {
		s.writeFailed(ctx, err, key)
		return s.l2Err(ctx, "set", key, err)
	}
	if s.writeThrough(key, value, s.l1TTL(ttl, start), sn, 0) {
		s.refillRaced(key)
	}
	s.publish(ctx, kindKey, key)
	return nil
}

// SetMany stores every item in L2 (one L2 call), then in L1, and publishes one invalidation message for
// all keys. Keys and TTLs are validated before anything is written. Like L2's SetMany it is not atomic.
func (s *Store) SetMany(ctx context.Context, items []store.Item) error {
	if err := store.CheckCall(ctx, s.closed.Load(), backendName, "set_many", ""); err != nil {
		return err
	}
	if err := store.CheckItems(backendName, "set_many", items); err != nil {
		return err
	}
	if len(items) == 0 {
		return nil
	}
	keys := make([]string, len(items))
	sns := make([]snapshot, len(items))
	for i, it := range items {
		keys[i] = it.Key
		sns[i] = s.snap(it.Key)
	}
	s.recordOwn(keys...)
	start := time.Now()
	l2ctx, cancel := s.l2ctx(ctx)
	err := s.l2.SetMany(l2ctx, items)
	cancel()
	if err != nil {
		s.writeFailed(ctx, err, keys...)
		return s.l2Err(ctx, "set_many", "", err)
	}
	// Items may share a stripe: each expects the bumps of the items before it in this call.
	own := make(map[uint32]uint64, len(items))
	for i, it := range items {
		if s.writeThrough(it.Key, it.Value, s.l1TTL(it.TTL, start), sns[i], own[sns[i].idx]) {
			s.refillRaced(it.Key)
		}
		own[sns[i].idx]++
	}
	s.publish(ctx, kindKey, keys...)
	return nil
}

// Add stores value under key only if L2 does not hold key (L2's SET NX), then in L1, and reports whether
// it stored it. A refused Add changes nothing.
func (s *Store) Add(ctx context.Context, key string, value []byte, ttl time.Duration) (bool, error) {
	if err := s.checkWrite(ctx, "add", key, ttl); err != nil {
		return false, err
	}
	s.recordOwn(key)
	sn := s.snap(key)
	start := time.Now()
	l2ctx, cancel := s.l2ctx(ctx)
	ok, err := s.l2.Add(l2ctx, key, value, ttl)
	cancel()
	if err != nil {
		s.writeFailed(ctx, err, key)
		return false, s.l2Err(ctx, "add", key, err)
	}
	if !ok {
		return false, nil
	}
	if s.writeThrough(key, value, s.l1TTL(ttl, start), sn, 0) {
		s.refillRaced(key)
	}
	s.publish(ctx, kindKey, key)
	return true, nil
}

// Delete removes keys from L2 and L1, publishes their invalidation, and reports how many L2 held.
func (s *Store) Delete(ctx context.Context, keys ...string) (int, error) {
	if err := store.CheckCall(ctx, s.closed.Load(), backendName, "delete", ""); err != nil {
		return 0, err
	}
	if err := store.CheckKeys(backendName, "delete", keys); err != nil {
		return 0, err
	}
	if len(keys) == 0 {
		return 0, nil
	}
	l2ctx, cancel := s.l2ctx(ctx)
	n, err := s.l2.Delete(l2ctx, keys...)
	cancel()
	if err != nil && !mayHaveWritten(err) {
		return n, opErr("delete", "", err)
	}
	s.drop(keys...)
	s.publish(ctx, kindKey, keys...)
	if err != nil {
		return n, s.l2Err(ctx, "delete", "", err)
	}
	return n, nil
}

// DeletePattern removes the keys matching pattern (Redis glob) from L2 and L1, publishes the pattern,
// and reports how many L2 removed.
func (s *Store) DeletePattern(ctx context.Context, pattern string) (int, error) {
	if err := store.CheckCall(ctx, s.closed.Load(), backendName, "delete_pattern", pattern); err != nil {
		return 0, err
	}
	n, err := s.l2.DeletePattern(ctx, pattern)
	if err != nil && !mayHaveWritten(err) {
		return n, opErr("delete_pattern", pattern, err)
	}
	s.dropPattern(pattern)
	s.publish(ctx, kindPattern, pattern)
	if err != nil {
		return n, opErr("delete_pattern", pattern, err)
	}
	return n, nil
}

// checkWrite validates a single-key write before any tier is touched.
func (s *Store) checkWrite(ctx context.Context, op, key string, ttl time.Duration) error {
	if err := store.CheckCall(ctx, s.closed.Load(), backendName, op, key); err != nil {
		return err
	}
	if err := store.CheckKey(backendName, op, key); err != nil {
		return err
	}
	return store.CheckTTL(backendName, op, key, ttl)
}

// writeFailed handles a failed L2 write: unless L2 refused it before any I/O, the write may have landed,
// so L1 drops the keys and the other instances are told.
func (s *Store) writeFailed(ctx context.Context, err error, keys ...string) {
	if !mayHaveWritten(err) {
		return
	}
	s.drop(keys...)
	s.publish(ctx, kindKey, keys...)
}

// publish queues an invalidation for the other instances (nothing when invalidation is off or the
// tracking path is in use). With
// Options.SyncPublish it waits until the publication was attempted or ctx is done; a failed publication
// is not the write's error: the publisher follows it with a flush broadcast once L2 answers.
func (s *Store) publish(ctx context.Context, kind entryKind, texts ...string) {
	if s.pub == nil || s.tracking.Load() { // with tracking the server tells every instance
		return
	}
	done := s.pub.add(kind, texts)
	if !s.opts.SyncPublish {
		return
	}
	select {
	case <-done:
	case <-ctx.Done():
	}
}
