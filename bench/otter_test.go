package bench

// otter v2 as an in-process reference beside raw ristretto: a peer a user could pick instead of
// ristretto, configured to the same budget (MaximumWeight = memMaxBytes, weight = len(key)+len(value))
// and the same TTL. Its Set is synchronous (the next Get sees it), so it is also a reference for what
// read-your-writes costs in a cache built for it. It is reported beside the targets, never as one.

import (
	"testing"

	"github.com/maypok86/otter/v2"
)

// newOtter returns otter with the baseline's budget and TTL; its expiry goroutine stops at cleanup.
func newOtter(tb testing.TB) *otter.Cache[string, []byte] {
	tb.Helper()
	c := openOtter(tb)
	tb.Cleanup(func() { c.StopAllGoroutines() })
	return c
}

// openOtter is newOtter without the cleanup; the caller calls StopAllGoroutines.
func openOtter(tb testing.TB) *otter.Cache[string, []byte] {
	tb.Helper()
	c, err := otter.New(&otter.Options[string, []byte]{
		MaximumWeight:    memMaxBytes,
		Weigher:          func(k string, v []byte) uint32 { return uint32(len(k) + len(v)) },
		ExpiryCalculator: otter.ExpiryWriting[string, []byte](remoteTTL),
	})
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// fillOtter stores value under keys and checks that every one is visible before timing starts.
func fillOtter(tb testing.TB, c *otter.Cache[string, []byte], keys []string, value []byte) {
	tb.Helper()
	for _, k := range keys {
		c.Set(k, value)
	}
	for _, k := range keys {
		if _, ok := c.GetIfPresent(k); !ok {
			tb.Fatalf("otter dropped %s", k)
		}
	}
}
