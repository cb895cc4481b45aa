package store

import (
	"errors"
	"fmt"

	"github.com/cachekit/cachekit/internal/keyquote"
)

// Sentinel errors. Backends wrap them in *OpError; callers test them with errors.Is.
var (
	// ErrNotFound means the key is missing or expired.
	ErrNotFound = errors.New("cachekit: key not found")
	// ErrNotStored means an in-process store refused a Set (admission policy, value larger than the budget,
	// buffer full). The previous value, if any, may have been removed.
	ErrNotStored = errors.New("cachekit: value not stored")
	// ErrClosed means the store (or cache) was closed.
	ErrClosed = errors.New("cachekit: store closed")
	// ErrInvalidKey means a key, key segment or pattern is not acceptable; the wrapping error names why.
	ErrInvalidKey = errors.New("cachekit: invalid key")
	// ErrInvalidTTL means a TTL is negative (or zero where a store needs a positive one).
	ErrInvalidTTL = errors.New("cachekit: invalid ttl")
	// ErrUnavailable means the backend could not be reached or did not answer within its timeout; the
	// wrapping error names the address.
	ErrUnavailable = errors.New("cachekit: backend unavailable")
	// ErrDenied means the backend refused authentication or permission: a wrong or missing password
	// (Redis WRONGPASS, NOAUTH) or a user lacking the right to a command or key (NOPERM). Retrying does
	// not help; the configuration must change. The wrapping error names the address, never the password.
	ErrDenied = errors.New("cachekit: access denied by backend")
	// ErrCircuitOpen means the store skipped the call without contacting the backend, because the circuit
	// breaker of the endpoint the call needs is open after consecutive failures (see BreakerStats). An
	// error wrapping it also wraps ErrUnavailable, so code that handles an unreachable backend handles
	// it; a write skipped this way was not applied.
	ErrCircuitOpen = errors.New("cachekit: circuit breaker open")
	// ErrInvalidValue means a value is not acceptable for the call, e.g. a versioned write of a value
	// that carries no version; the wrapping error names why.
	ErrInvalidValue = errors.New("cachekit: invalid value")
	// ErrInvalidURL means a store URL is malformed, has an unknown scheme or an unknown or invalid option.
	ErrInvalidURL = errors.New("cachekit: invalid store URL")
)

// OpError describes a failed store operation. It wraps one of the sentinels above, a context error, or a
// backend error that matches no sentinel.
type OpError struct {
	Op      string // "get", "set", "delete_pattern", ...
	Key     string // the key or pattern, when the operation has one
	Backend string // "memory", "redis", "tiered", ...
	Err     error
}

// Error formats the operation, backend, key and cause. The key is quoted and capped: a key longer than
// 128 bytes shows its first bytes and its length ("…(65536 bytes)"), so the message stays short whatever
// the key; Key itself keeps the whole key.
func (e *OpError) Error() string {
	if e.Key == "" {
		return fmt.Sprintf("%s %s: %v", e.Backend, e.Op, e.Err)
	}
	return fmt.Sprintf("%s %s %s: %v", e.Backend, e.Op, keyquote.Quote(e.Key), e.Err)
}

// Unwrap returns the cause, so errors.Is(err, ErrNotFound) works through an *OpError.
func (e *OpError) Unwrap() error { return e.Err }
