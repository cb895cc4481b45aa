package tiered

import (
	"context"
	"errors"
	"fmt"

	"github.com/cachekit/cachekit/store"
)

var _ store.CompareDeleter = (*Store)(nil)

// DeleteIfValue deletes key when L2 holds exactly value (store.CompareDeleter, L2's atomic
// compare-and-delete) and reports whether it did. When it did, the key is also removed from L1 and its
// invalidation published, as Delete does. When L2 fails after the call may have reached it (outcome
// unknown), L1 drops the key and the invalidation is published all the same, since the delete may have
// happened. An L2 that is not a store.CompareDeleter makes it fail with an error wrapping
// errors.ErrUnsupported; nothing is changed then. The call is bounded by Options.L2Timeout.
func (s *Store) DeleteIfValue(ctx context.Context, key string, value []byte) (bool, error) {
	const op = "delete_if_value"
	if err := store.CheckCall(ctx, s.closed.Load(), backendName, op, key); err != nil {
		return false, err
	}
	if err := store.CheckKey(backendName, op, key); err != nil {
		return false, err
	}
	cd, ok := s.l2.(store.CompareDeleter)
	if !ok {
		return false, opErr(op, key, fmt.Errorf("L2 %T is not a store.CompareDeleter: %w", s.l2, errors.ErrUnsupported))
	}
	l2ctx, cancel := s.l2ctx(ctx)
	deleted, err := cd.DeleteIfValue(l2ctx, key, value)
	cancel()
	if err != nil {
		s.writeFailed(ctx, err, key)
		return false, s.l2Err(ctx, op, key, err)
	}
	if deleted {
		s.drop(key)
		s.publish(ctx, kindKey, key)
	}
	return deleted, nil
}
