package tiered

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cachekit/cachekit/store"
)

var _ store.VersionedSetter = (*Store)(nil)

// SetIfNewer stores value in L2 unless L2 holds a value with a version not lower than value's
// (store.VersionedSetter: L2's atomic compare-and-set decides), and reports whether it did. Either way
// the key leaves this Store's L1, and a stored write publishes its invalidation as Set does. Unlike Set
// it does not write the value through to L1: of two racing versioned writers the one whose L2 write
// came first could otherwise put the older version in L1 after the newer one reached L2, and a reader
// would see the version go down; the next read backfills the winner from L2. When L2 fails after the
// call may have reached it, L1 drops the key and the invalidation is published all the same. An L2
// that is not a store.VersionedSetter makes it fail with an error wrapping errors.ErrUnsupported,
// changing nothing. The call is bounded by Options.L2Timeout.
func (s *Store) SetIfNewer(ctx context.Context, key string, value []byte, ttl time.Duration) (bool, error) {
	const op = "set_if_newer"
	if err := store.CheckCall(ctx, s.closed.Load(), backendName, op, key); err != nil {
		return false, err
	}
	if err := store.CheckVersioned(backendName, op, key, value, ttl); err != nil {
		return false, err
	}
	vs, ok := s.l2.(store.VersionedSetter)
	if !ok {
		return false, opErr(op, key, fmt.Errorf("L2 %T is not a store.VersionedSetter: %w", s.l2, errors.ErrUnsupported))
	}
	l2ctx, cancel := s.l2ctx(ctx)
	stored, err := vs.SetIfNewer(l2ctx, key, value, ttl)
	cancel()
	if err != nil {
		s.writeFailed(ctx, err, key)
		return false, s.l2Err(ctx, op, key, err)
	}
	s.drop(key)
	if stored {
		s.publish(ctx, kindKey, key)
	}
	return stored, nil
}
