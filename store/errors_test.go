package store_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/cachekit/cachekit/store"
)

// TestOpErrorCapsKey: OpError.Error quotes at most about 128 bytes of the key and then its length, so a
// 64 KiB key gives a short message that still says what failed; Key keeps the whole key, and short keys
// print as %q as before.
func TestOpErrorCapsKey(t *testing.T) {
	long := strings.Repeat("k", 64<<10)
	err := &store.OpError{Op: "get", Key: long, Backend: "memory", Err: store.ErrNotFound}
	msg := err.Error()
	if len(msg) > 300 || !strings.Contains(msg, "(65536 bytes)") || !strings.Contains(msg, "key not found") ||
		!strings.HasPrefix(msg, `memory get "kkkk`) {
		t.Errorf("message of a 64 KiB key (%d bytes): %q, want under 300 bytes naming op, length and cause", len(msg), msg)
	}
	if err.Key != long {
		t.Errorf("OpError.Key was cut to %d bytes; it must keep the whole key", len(err.Key))
	}
	short := &store.OpError{Op: "set", Key: "qrl:v1:ticker:QRL/USDT", Backend: "redis", Err: store.ErrInvalidTTL}
	if got, want := short.Error(), fmt.Sprintf("redis set %q: %v", short.Key, store.ErrInvalidTTL); got != want {
		t.Errorf("short key: %q, want %q", got, want)
	}
}

// TestErrDeniedIsItsOwnSentinel: ErrDenied is distinct from ErrUnavailable (a caller retries one, fixes
// its configuration for the other) and matches through an *OpError.
func TestErrDeniedIsItsOwnSentinel(t *testing.T) {
	err := &store.OpError{Op: "get", Backend: "redis", Err: fmt.Errorf("%w: redis at 127.0.0.1:6379: WRONGPASS", store.ErrDenied)}
	if !errors.Is(err, store.ErrDenied) || errors.Is(err, store.ErrUnavailable) || errors.Is(store.ErrDenied, store.ErrUnavailable) {
		t.Errorf("errors.Is: Denied %v, Unavailable %v; want true, false", errors.Is(err, store.ErrDenied), errors.Is(err, store.ErrUnavailable))
	}
}
