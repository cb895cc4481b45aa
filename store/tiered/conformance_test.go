package tiered

import (
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/cachekit/cachekit/conformance"
	"github.com/cachekit/cachekit/internal/redistest"
	"github.com/cachekit/cachekit/store"
)

// memoryHarness opens tiered(memory, memory) with New: private and unshared, like its L2.
type memoryHarness struct{}

func (memoryHarness) Open(_ context.Context, t *testing.T) store.Store {
	s, err := New(newMemory(t), newMemory(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// Caps: the memory L2 may refuse a write (ErrNotStored reaches the caller; an L1 refusal never does), and
// both tiers check expiry on every read.
func (memoryHarness) Caps() conformance.Caps { return conformance.Caps{MayRejectSets: true} }

// redisHarness opens tiered(memory, redis) by URL: every Store has its own L1 over the shared Redis, with
// invalidation on, so the Shared rules also exercise cross-instance invalidation.
type redisHarness struct{ url string }

func (h redisHarness) Open(ctx context.Context, t *testing.T) store.Store {
	s, err := store.Open(ctx, h.url)
	if err != nil {
		t.Fatalf("store.Open(%s): %v", store.Redact(h.url), err)
	}
	return s
}

// Caps: L1 refusals are hidden (the value is in Redis), so no write is refused; Redis expires keys to the
// millisecond and L1 entries never outlive them.
func (redisHarness) Caps() conformance.Caps {
	return conformance.Caps{Shared: true, TTLResolution: 100 * time.Millisecond}
}

func TestConformance(t *testing.T) {
	t.Run("l1=memory,l2=memory", func(t *testing.T) {
		conformance.Run(t, func(*testing.T) conformance.Harness { return memoryHarness{} })
	})
	t.Run("l1=memory,l2=redis", func(t *testing.T) {
		srv := redistest.Standalone(t)
		u := tieredURL("memory://?max_bytes=64MiB", srv.URL, url.Values{"l1_ttl": {"10s"}})
		conformance.Run(t, func(*testing.T) conformance.Harness { return redisHarness{url: u} })
	})
	// The L1 fail-safe keeps copies past their L1 lifetime: reads must still honour every rule (an
	// expired or deleted key is a miss, not the kept copy; another instance's write invalidates it).
	// Over Redis only: the Shared rules matter most here, and one more suite over memory would add its
	// run time for code paths this one covers.
	t.Run("l1=memory,l2=redis,l1_fail_safe", func(t *testing.T) {
		srv := redistest.Standalone(t)
		u := tieredURL("memory://?max_bytes=64MiB", srv.URL, url.Values{"l1_ttl": {"10s"}, "l1_fail_safe": {"30s"}})
		conformance.Run(t, func(*testing.T) conformance.Harness { return redisHarness{url: u} })
	})
}
