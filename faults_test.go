package cachekit_test

import (
	"context"
	"errors"
	"net/url"
	"testing"
	"time"

	"github.com/cachekit/cachekit"
	"github.com/cachekit/cachekit/internal/redistest"
	"github.com/cachekit/cachekit/store"
	"github.com/cachekit/cachekit/store/tiered"
)

// A hung Redis (SIGSTOP) costs a Fetch without a deadline at most the fetch read timeout before it
// loads, on redis and on tiered (an L1 miss reads L2 under the same hint), and the loaded value is
// returned; the failure is counted. The bound asserted is generous (a shared 2-core machine); the
// figure measured is logged.
func TestFetchDuringAHangCostsTheReadTimeoutAtMost(t *testing.T) {
	srv := redistest.Dedicated(t)
	urls := map[string]string{
		"redis":  srv.URL,
		"tiered": "tiered://?l1=" + url.QueryEscape("memory://") + "&l2=" + url.QueryEscape(srv.URL),
	}
	const loadTime = 20 * time.Millisecond
	for name, raw := range urls {
		t.Run(name, func(t *testing.T) {
			c, err := cachekit.Open(context.Background(), raw, cachekit.WithNamespace(redistest.Namespace(t)))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { c.Close() })
			srv.Pause(t)
			defer srv.Resume(t)
			load := func(context.Context) (string, error) { time.Sleep(loadTime); return "loaded", nil }
			var worst time.Duration
			for i := range 3 { // the first calls, before any breaker opens, are the ones that wait
				began := time.Now()
				v, err := cachekit.Fetch(context.Background(), c, "price:hang-"+string(rune('a'+i)), time.Minute, load)
				took := time.Since(began)
				worst = max(worst, took)
				if err != nil || v != "loaded" {
					t.Fatalf("Fetch during the hang = %q, %v; want the loaded value", v, err)
				}
			}
			if bound := loadTime + cachekit.DefaultFetchReadTimeout + 250*time.Millisecond; worst > bound {
				t.Errorf("worst Fetch during the hang took %v; want at most load + read timeout (%v, margin included)", worst, bound)
			}
			if c.Counters().StoreErrors == 0 {
				t.Error("StoreErrors = 0 after Fetches that could not read the store")
			}
			t.Logf("worst Fetch of a 20 ms loader while Redis is paused: %v", worst.Round(time.Millisecond))
		})
	}
}

// Tiered's fail-safe through Fetch: past its L1 TTL, while L2 hangs, the L1 copy is served, flagged
// Stale and Cached, and counted in StaleServed; once L2 answers again, a value another writer put in
// Redis meanwhile is what Fetch returns, not the old copy.
func TestTieredFailSafeThroughFetch(t *testing.T) {
	srv := redistest.Dedicated(t)
	ns := redistest.Namespace(t)
	raw := "tiered://?l1=" + url.QueryEscape("memory://") + "&l2=" + url.QueryEscape(srv.URL) + "&l1_ttl=200ms&l1_fail_safe=30s"
	c, err := cachekit.Open(context.Background(), raw, cachekit.WithNamespace(ns))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	ctx := context.Background()
	// What L1 takes in before the first invalidation subscription is confirmed is flushed then (it may
	// have missed an invalidation): wait for it, or a slow start would flush the copy under test.
	if err := c.Store().(*tiered.Store).Ready(ctx); err != nil {
		t.Fatal(err)
	}
	mustNotLoad := func(context.Context) (string, error) { return "loaded", nil }
	if err := c.Set(ctx, "price:QRL", "v1", time.Minute); err != nil {
		t.Fatal(err)
	}
	if r, err := cachekit.FetchResult(ctx, c, "price:QRL", time.Minute, mustNotLoad); err != nil || r.Value != "v1" || r.Stale {
		t.Fatalf("Fetch before the fault = %+v, %v; want v1, fresh", r, err)
	}
	time.Sleep(300 * time.Millisecond) // past the L1 TTL
	srv.Pause(t)
	r, err := cachekit.FetchResult(ctx, c, "price:QRL", time.Minute, mustNotLoad)
	if err != nil || r.Value != "v1" || !r.Stale || !r.Cached {
		t.Fatalf("Fetch past L1 TTL while L2 hangs = %+v, %v; want v1 served from L1, Cached and Stale", r, err)
	}
	if n := c.Counters().StaleServed; n < 1 {
		t.Errorf("StaleServed = %d; want the fail-safe serve counted", n)
	}
	srv.Resume(t)

	// Another writer changes the key in Redis; the old L1 copy must not come back as fresh.
	other, err := store.Open(ctx, srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	w, err := cachekit.New(other, cachekit.WithNamespace(ns))
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Set(ctx, "price:QRL", "v2", time.Minute); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(3 * time.Second)
	for {
		r, err = cachekit.FetchResult(ctx, c, "price:QRL", time.Minute, mustNotLoad)
		if err == nil && r.Value == "v2" && !r.Stale {
			break
		}
		if err == nil && r.Value == "v1" && !r.Stale {
			t.Fatalf("after L2 recovered, the old L1 copy was served as fresh: %+v", r)
		}
		if time.Now().After(deadline) {
			t.Fatalf("3 s after recovery Fetch still returns %+v, %v; want v2", r, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// While the breaker is open, writes are skipped and counted: Set, SetMany (per entry) and the write
// of a Fetch's load each add to Counters.WritesSkipped; a write that timed out before the breaker
// opened (outcome unknown) is not counted as skipped.
func TestWritesSkippedWhileTheBreakerIsOpen(t *testing.T) {
	srv := redistest.Dedicated(t)
	ctx := context.Background()
	c, err := cachekit.Open(ctx, srv.URL+"?breaker_failures=1&read_timeout=100ms&write_timeout=100ms&max_retries=0",
		cachekit.WithNamespace(redistest.Namespace(t)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.Set(ctx, "price:A", "v", time.Minute); err != nil {
		t.Fatal(err)
	}
	srv.Pause(t)
	if err := c.Set(ctx, "price:A", "v2", time.Minute); !errors.Is(err, cachekit.ErrUnavailable) || errors.Is(err, store.ErrCircuitOpen) {
		t.Fatalf("Set as Redis stops answering: %v; want ErrUnavailable (outcome unknown), not ErrCircuitOpen", err)
	}
	if n := c.Counters().WritesSkipped; n != 0 {
		t.Fatalf("WritesSkipped = %d after a write of unknown outcome; want 0", n)
	}
	if err := c.Set(ctx, "price:A", "v3", time.Minute); !errors.Is(err, store.ErrCircuitOpen) {
		t.Fatalf("Set with the breaker open: %v; want ErrCircuitOpen", err)
	}
	if err := c.SetMany(ctx, []cachekit.Entry{{Key: "price:B", Value: "b"}, {Key: "price:C", Value: "c"}}); !errors.Is(err, store.ErrCircuitOpen) {
		t.Fatalf("SetMany with the breaker open: %v; want ErrCircuitOpen", err)
	}
	if v, err := cachekit.Fetch(ctx, c, "price:D", time.Minute, func(context.Context) (string, error) { return "d", nil }); err != nil || v != "d" {
		t.Fatalf("Fetch with the breaker open = %q, %v; want the loaded value", v, err)
	}
	for deadline := time.Now().Add(5 * time.Second); c.Counters().WritesSkipped < 4 && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond) // Fetch writes behind the call
	}
	if n := c.Counters().WritesSkipped; n != 4 {
		t.Errorf("WritesSkipped = %d; want 4 (Set, SetMany's 2 entries, Fetch's write)", n)
	}
}
