package memory

import (
	"context"
	"fmt"
	"time"

	"github.com/cachekit/cachekit/store"
)

// Reads with a reserve. A composite store that keeps a copy past its logical expiry, so that it can serve
// the copy stale while its source fails (store/tiered's L1 fail-safe), stores the copy for its logical
// lifetime plus the stale window and reads it with reserve set to that window: an entry with no more
// than reserve of its lifetime left then reads as a miss, while the plain reads (Get, GetMany, View,
// GetDecoded) still return it until it expires. Each method is its plain counterpart with that one
// difference, at the cost of one clock read per call:
//   - An entry whose remaining lifetime is <= reserve is a miss: an error wrapping store.ErrNotFound
//     (absent from GetManyFresh's map), counted in Stats as a miss; fn or DecodeValue is not called. The
//     entry itself is left alone.
//   - reserve 0 reads exactly as the plain method does; a negative reserve is an error naming it, which
//     does not wrap store.ErrNotFound.

// GetFresh is Get for an entry with more than reserve of its lifetime left (see above).
func (s *Store) GetFresh(ctx context.Context, key string, reserve time.Duration) ([]byte, error) {
	e, err := s.lookupFresh(ctx, "get", key, reserve)
	if err != nil {
		return nil, err
	}
	return copyOut(e), nil
}

// ViewFresh is View for an entry with more than reserve of its lifetime left (see above).
func (s *Store) ViewFresh(ctx context.Context, key string, reserve time.Duration, fn func(value []byte) error) error {
	if err := checkReserve("get", key, reserve); err != nil {
		return err
	}
	return s.view(ctx, key, reserve, fn)
}

// GetDecodedFresh is GetDecoded for an entry with more than reserve of its lifetime left (see above);
// the form it keeps and returns is GetDecoded's.
func (s *Store) GetDecodedFresh(ctx context.Context, key string, reserve time.Duration, d store.Decoder) (any, error) {
	if err := checkReserve("get", key, reserve); err != nil {
		return nil, err
	}
	return s.getDecoded(ctx, key, reserve, d)
}

// GetManyFresh is GetMany for the entries with more than reserve of their lifetime left (see above).
func (s *Store) GetManyFresh(ctx context.Context, keys []string, reserve time.Duration) (map[string][]byte, error) {
	if err := checkReserve("get_many", "", reserve); err != nil {
		return nil, err
	}
	return s.getMany(ctx, keys, reserve)
}

// lookupFresh is lookup for an entry with more than reserve of its lifetime left.
func (s *Store) lookupFresh(ctx context.Context, op, key string, reserve time.Duration) (entry, error) {
	if err := checkReserve(op, key, reserve); err != nil {
		return nil, err
	}
	return s.lookupWithin(ctx, op, key, reserve)
}

// checkReserve rejects a negative reserve.
func checkReserve(op, key string, reserve time.Duration) error {
	if reserve < 0 {
		return opErr(op, key, fmt.Errorf("reserve is %v; want >= 0", reserve))
	}
	return nil
}
