package memory

import (
	"context"

	"github.com/cachekit/cachekit/store"
)

var _ store.Pinger = (*Store)(nil)

// Ping reports whether the store can serve calls (store.Pinger): nil while it is open, an error wrapping
// store.ErrClosed after Close, or ctx's error. An in-process store has nothing to reach, so Ping does no
// work beyond those checks.
func (s *Store) Ping(ctx context.Context) error {
	st := s.stripe(0)
	if err := s.enter(ctx, st, "ping", ""); err != nil {
		return err
	}
	st.active.Add(-1)
	return nil
}
