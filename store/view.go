package store

import "context"

// Viewer is an optional interface of an in-process Store: View calls fn with the stored bytes without
// copying them. A layer above that only reads the bytes (a decoder that copies what it keeps) uses it to
// skip the copy Get must make. It is detected with a type assertion.
//
// Rules every implementation follows:
//   - fn must not retain or modify value; it runs while the entry is pinned (held alive and unchanged),
//     and must not call the Store's methods (an implementation may hold a lock while fn runs).
//   - A miss (missing or expired key) is an error wrapping ErrNotFound, and fn is not called. Hits and
//     misses count in Stats as Get's do.
//   - fn is called at most once per View, and its error is returned unchanged (not wrapped). fn should
//     not return an error wrapping ErrNotFound: a composite store would take it for a miss.
//   - key is not retained after View returns, except inside a returned error: a caller may pass a key
//     that aliases a buffer it reuses, provided it does not reuse that buffer while it keeps an error.
type Viewer interface {
	View(ctx context.Context, key string, fn func(value []byte) error) error
}

// View calls fn with the value stored under key: through s.View when s is a Viewer, else the fallback,
// Get and then fn on that copy. Either way the Viewer rules above hold (a miss is an error wrapping
// ErrNotFound and fn is not called; fn's error is returned unchanged). A consumer that reads bytes it
// does not keep calls View rather than asserting Viewer itself.
func View(ctx context.Context, s Store, key string, fn func(value []byte) error) error {
	if v, ok := s.(Viewer); ok {
		return v.View(ctx, key, fn)
	}
	value, err := s.Get(ctx, key)
	if err != nil {
		return err
	}
	return fn(value)
}
