package store

import (
	"context"
	"errors"
	"fmt"
)

// CompareDeleter is an optional interface of a Store that can delete a key only while it holds a given
// value, atomically: the owner-only release of a lease taken with Add (on Redis a Lua compare-and-delete).
// Consumed by the root Cache's cross-process Fetch lease (Policy.Lease), which is unavailable on a store
// without it. Implemented by store/redis and store/tiered (through its L2).
//
// DeleteIfValue deletes key and reports true when the key holds exactly value at the moment of the
// delete; otherwise it changes nothing and reports false (a missing key is false, not an error). The
// comparison and the delete are one atomic step: a write of key by anyone that lands between them
// cannot happen.
type CompareDeleter interface {
	DeleteIfValue(ctx context.Context, key string, value []byte) (bool, error)
}

// DeleteIfValue runs s.DeleteIfValue when s is a CompareDeleter. There is no fallback (a Get then a
// Delete is not atomic): on another store it returns an error wrapping errors.ErrUnsupported.
func DeleteIfValue(ctx context.Context, s Store, key string, value []byte) (bool, error) {
	if cd, ok := s.(CompareDeleter); ok {
		return cd.DeleteIfValue(ctx, key, value)
	}
	return false, &OpError{Op: "delete_if_value", Key: key, Backend: fmt.Sprintf("%T", s), Err: fmt.Errorf("%T is not a CompareDeleter: %w", s, errors.ErrUnsupported)}
}
