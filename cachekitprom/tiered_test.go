package cachekitprom_test

import (
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/cachekit/cachekit"
	"github.com/cachekit/cachekit/cachekitprom"
	"github.com/cachekit/cachekit/internal/redistest"
	_ "github.com/cachekit/cachekit/store/redis"
	"github.com/cachekit/cachekit/store/tiered"
)

// openTiered opens a tiered (memory over the Redis at redisURL) Cache in namespace ns, with
// invalidation live, closed at the end of the test.
func openTiered(t *testing.T, redisURL, ns string) *cachekit.Cache {
	t.Helper()
	ctx := context.Background()
	// The pub/sub path: its messages carry the writer's time, which the lag histogram needs (Redis's
	// tracking reports carry none; the default path is scraped by TestScrapeTieredTracking).
	raw := "tiered://?l1=" + url.QueryEscape("memory://") + "&l2=" + url.QueryEscape(redisURL) + "&invalidation=pubsub"
	c, err := cachekit.Open(ctx, raw, cachekit.WithNamespace(ns))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	st, ok := c.Store().(*tiered.Store)
	if !ok {
		t.Fatalf("store is a %T, want *tiered.Store", c.Store())
	}
	rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := st.Ready(rctx); err != nil {
		t.Fatalf("tiered Ready: %v", err)
	}
	return c
}

// Two tiered Caches on one Redis: a write on A invalidates B's L1, which B's scrape shows as an
// invalidation received with its lag; both show L1 and L2 store gauges and L2's breaker, closed.
func TestScrapeTieredOverRedis(t *testing.T) {
	ctx := context.Background()
	srv := redistest.Standalone(t)
	ns := redistest.Namespace(t)
	a, b := openTiered(t, srv.URL, ns), openTiered(t, srv.URL, ns)
	regA, regB := prometheus.NewRegistry(), prometheus.NewRegistry()
	regA.MustRegister(cachekitprom.New(a))
	regB.MustRegister(cachekitprom.New(b))

	if err := a.Set(ctx, "ticker:QRL", quote{Symbol: "QRL", Last: "1"}, time.Minute); err != nil {
		t.Fatal(err)
	}
	var q quote
	if err := b.Get(ctx, "ticker:QRL", &q); err != nil { // B's L1 now holds it
		t.Fatal(err)
	}
	if err := a.Set(ctx, "ticker:QRL", quote{Symbol: "QRL", Last: "2"}, time.Minute); err != nil {
		t.Fatal(err)
	}

	got := eventually(t, regB, "B hearing A's invalidation", func(r scrapeResult) bool {
		return r.samples["cachekit_invalidations_received_total{}"].value >= 1 &&
			r.samples["cachekit_invalidation_lag_seconds{}"].count >= 1
	})
	if h := got.hist(t, "cachekit_invalidation_lag_seconds{}"); h.sum <= 0 || h.sum > 10 {
		t.Errorf("invalidation lag sum %v s, want within (0, 10]", h.sum)
	}
	if v := got.value(t, op("get", "ticker", "hit")); v != 1 {
		t.Errorf("B get/ticker/hit = %v, want 1", v)
	}
	// A's publisher counts what it sent in the background, after PUBLISH returns: B may have heard the
	// first Set's invalidation before the second is counted.
	gotA := eventually(t, regA, "A counting both Sets' invalidations", func(r scrapeResult) bool {
		return r.samples["cachekit_invalidations_sent_total{}"].value >= 2
	})
	if v := gotA.value(t, op("set", "ticker", "ok")); v != 2 {
		t.Errorf("A set/ticker/ok = %v, want 2", v)
	}

	for name, r := range map[string]scrapeResult{"A": gotA, "B": got} {
		if v := r.value(t, "cachekit_store_up{}"); v != 1 {
			t.Errorf("%s store_up = %v", name, v)
		}
		// L1 may hold the key or not (B's copy was just invalidated); L2 holds it.
		r.value(t, `cachekit_store_keys{tier="l1"}`)
		if v := r.value(t, `cachekit_store_keys{tier="l2"}`); v < 1 {
			t.Errorf("%s store_keys{l2} = %v, want ≥ 1", name, v)
		}
		if v := r.value(t, `cachekit_store_memory_max_bytes{tier="l1"}`); v != 64<<20 {
			t.Errorf("%s store_memory_max_bytes{l1} = %v, want the 64 MiB default", name, v)
		}
		if v := r.value(t, `cachekit_store_eviction_policy_info{policy="tinylfu",tier="l1"}`); v != 1 {
			t.Errorf("%s L1 policy info = %v", name, v)
		}
		if k := r.withPrefix("cachekit_store_eviction_policy_info"); len(k) != 2 {
			t.Errorf("%s policy series %v, want one per tier", name, k)
		}
		ep := map[string]string{"endpoint": srv.Addr}
		for state, want := range map[string]float64{"closed": 1, "half_open": 0, "open": 0} {
			k := series("cachekit_breaker_state", map[string]string{"endpoint": srv.Addr, "state": state})
			if v := r.value(t, k); v != want {
				t.Errorf("%s %s = %v, want %v", name, k, v, want)
			}
		}
		r.value(t, series("cachekit_breaker_opens_total", ep))
		r.value(t, series("cachekit_breaker_rejected_total", ep))
		for _, k := range []string{"cachekit_invalidations_dropped_total{}", "cachekit_l1_flushes_total{}",
			"cachekit_backfills_total{}", "cachekit_l1_stale_served_total{}"} {
			r.value(t, k)
		}
	}
	if v := got.value(t, `cachekit_store_hits_total{tier="l2"}`); v != 1 {
		t.Errorf("B store_hits{l2} = %v, want 1 (its Get missed L1 and hit L2)", v)
	}
	t.Logf("B's scrape (buckets left out):\n%s", withoutBuckets(got.text))
}

// On the default path (Redis client tracking), a write on A reaches B as a server report: B's scrape
// counts it as received, A publishes nothing, and no lag is observed (the report carries no write time).
func TestScrapeTieredTracking(t *testing.T) {
	ctx := context.Background()
	srv := redistest.Standalone(t)
	ns := redistest.Namespace(t)
	open := func() *cachekit.Cache {
		raw := "tiered://?l1=" + url.QueryEscape("memory://") + "&l2=" + url.QueryEscape(srv.URL)
		c, err := cachekit.Open(ctx, raw, cachekit.WithNamespace(ns))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.Close() })
		return c
	}
	a, b := open(), open()
	regA, regB := prometheus.NewRegistry(), prometheus.NewRegistry()
	regA.MustRegister(cachekitprom.New(a))
	regB.MustRegister(cachekitprom.New(b))
	// B arms tracking in the background after Open: A writes again at every poll, so a write made
	// before B was armed (which B never hears) does not fail the test.
	got := eventually(t, regB, "B hearing A's write through tracking", func(r scrapeResult) bool {
		if r.samples["cachekit_invalidations_received_total{}"].value >= 1 {
			return true
		}
		if err := a.Set(ctx, "ticker:QRL", quote{Symbol: "QRL", Last: "1"}, time.Minute); err != nil {
			t.Error(err)
		}
		return false
	})
	if n := got.samples["cachekit_invalidation_lag_seconds{}"].count; n != 0 {
		t.Errorf("invalidation lag observed %d times on the tracking path, want none (no write time)", n)
	}
	if v := scrape(t, regA).value(t, "cachekit_invalidations_sent_total{}"); v != 0 {
		t.Errorf("A invalidations_sent = %v on the tracking path, want 0", v)
	}
}
