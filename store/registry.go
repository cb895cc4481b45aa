package store

import (
	"context"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"sync"
)

// Opener opens a Store from a parsed URL whose scheme it registered. It must reject query options it does
// not know with an error wrapping ErrInvalidURL (Query.Done does that), and must never put a password into
// an error message.
type Opener func(ctx context.Context, u *url.URL) (Store, error)

var (
	registryMu sync.RWMutex
	registry   = map[string]Opener{}
)

// Register makes a backend available under a URL scheme, as database/sql drivers register by name. It is
// meant for a backend package's init function and panics on an empty scheme, a nil opener or a scheme
// registered twice: those are programming errors in the backend, never user input.
func Register(scheme string, open Opener) {
	registryMu.Lock()
	defer registryMu.Unlock()
	if scheme == "" || open == nil {
		panic("store: Register with empty scheme or nil opener")
	}
	if _, dup := registry[scheme]; dup {
		panic("store: Register called twice for scheme " + scheme)
	}
	registry[scheme] = open
}

// Schemes lists the registered URL schemes, sorted.
func Schemes() []string {
	registryMu.RLock()
	defer registryMu.RUnlock()
	out := make([]string, 0, len(registry))
	for s := range registry {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// Open opens a Store by URL ("memory://?max_bytes=64MiB", "redis://localhost:6379/0"). An unknown scheme
// is an error wrapping ErrInvalidURL that lists the registered ones (a backend registers itself when its
// package is imported).
func Open(ctx context.Context, rawURL string) (Store, error) {
	u, err := ParseURL(rawURL)
	if err != nil {
		return nil, err
	}
	if u.Scheme == "" {
		return nil, fmt.Errorf("%w: %q has no scheme (want one of %s)", ErrInvalidURL, Redact(rawURL), strings.Join(Schemes(), ", "))
	}
	registryMu.RLock()
	open, ok := registry[u.Scheme]
	registryMu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("%w: unknown scheme %q (registered: %s; a backend registers its scheme when its package is imported)",
			ErrInvalidURL, u.Scheme, strings.Join(Schemes(), ", "))
	}
	return open(ctx, u)
}
