package memory

import (
	"context"
	"fmt"
	"net/url"

	"github.com/cachekit/cachekit/store"
)

// Scheme is the URL scheme this package registers with store.Register.
const Scheme = "memory"

func init() { store.Register(Scheme, OpenURL) }

// OpenURL opens a Store from a URL "memory://?max_bytes=64MiB&num_counters=1000000&buffer_items=64"; every
// option is optional and maps to the Options field of the same name (max_bytes takes a size such as
// 64MiB, 512KB or 1048576). A host, a path, an unknown option or a bad value is an error wrapping
// store.ErrInvalidURL. It is the opener registered for the "memory" scheme.
func OpenURL(ctx context.Context, u *url.URL) (store.Store, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := store.CheckOptionsURL(u, Scheme, "memory://?max_bytes=64MiB"); err != nil {
		return nil, err
	}
	q := store.NewQuery(u.Query())
	o := Options{
		MaxBytes:    q.Bytes("max_bytes", 0),
		NumCounters: int64(q.Int("num_counters", 0)),
		BufferItems: int64(q.Int("buffer_items", 0)),
	}
	if err := q.Done(); err != nil {
		return nil, err
	}
	s, err := New(o)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", store.ErrInvalidURL, err)
	}
	return s, nil
}
