package memory

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/cachekit/cachekit/store"
)

// TestLongKeyErrorsAreShort: errors about a 64 KiB key (a TTL refusal, a miss, a cancelled call) are
// under 300 bytes, still say why, and keep the whole key in OpError.Key.
func TestLongKeyErrorsAreShort(t *testing.T) {
	s, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	key := strings.Repeat("k", 64<<10)
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, getErr := s.Get(ctx, key)
	_, ttlErr := s.TTL(cctx, key)
	for _, c := range []struct {
		err  error
		want error
		why  string
	}{
		{s.Set(ctx, key, []byte("v"), 0), store.ErrInvalidTTL, "ttl"},
		{getErr, store.ErrNotFound, "not found"},
		{ttlErr, context.Canceled, "canceled"},
	} {
		var op *store.OpError
		if !errors.Is(c.err, c.want) || !errors.As(c.err, &op) {
			t.Errorf("%v: want an *OpError wrapping %v", c.err, c.want)
			continue
		}
		if msg := c.err.Error(); len(msg) > 300 || !strings.Contains(msg, c.why) || !strings.Contains(msg, "(65536 bytes)") {
			t.Errorf("message of %d bytes %q, want under 300 bytes saying %q and the key's length", len(msg), msg, c.why)
		}
		if op.Key != key {
			t.Errorf("OpError.Key has %d bytes, want the whole key", len(op.Key))
		}
	}
}
