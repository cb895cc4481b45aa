package cachekitprom_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/cachekit/cachekit/cachekitprom"
	"github.com/cachekit/cachekit/internal/redistest"
)

// While L2 is down a scrape still answers within the scrape timeout: cachekit_store_up is 0, the store
// gauges are left out, the breaker shows it is not closed and the failed reads are counted as errors;
// once Redis is back the lost invalidation subscription is counted and the store is up again.
func TestScrapeDuringRedisOutage(t *testing.T) {
	ctx := context.Background()
	srv := redistest.Dedicated(t)
	redisURL := srv.URL + "?dial_timeout=100ms&read_timeout=100ms&write_timeout=100ms&breaker_failures=2"
	c := openTiered(t, redisURL, redistest.Namespace(t))
	reg := prometheus.NewRegistry()
	reg.MustRegister(cachekitprom.New(c, cachekitprom.WithScrapeTimeout(2*time.Second)))
	if v := scrape(t, reg).value(t, "cachekit_store_up{}"); v != 1 {
		t.Fatalf("store_up before the outage = %v", v)
	}

	srv.Stop(t)
	for i := range 5 { // misses in L1 go to L2, which fails
		var q quote
		if err := c.Get(ctx, fmt.Sprintf("ticker:M%d", i), &q); err == nil {
			t.Fatal("a Get succeeded with L2 down and L1 empty")
		}
	}
	down := eventually(t, reg, "the breaker opening", func(r scrapeResult) bool {
		return r.samples["cachekit_store_up{}"].value == 0 &&
			r.samples[series("cachekit_breaker_opens_total", map[string]string{"endpoint": srv.Addr})].value >= 1
	})
	closed := series("cachekit_breaker_state", map[string]string{"endpoint": srv.Addr, "state": "closed"})
	open := series("cachekit_breaker_state", map[string]string{"endpoint": srv.Addr, "state": "open"})
	halfOpen := series("cachekit_breaker_state", map[string]string{"endpoint": srv.Addr, "state": "half_open"})
	if down.value(t, closed) != 0 || down.value(t, open)+down.value(t, halfOpen) != 1 {
		t.Errorf("breaker during the outage: closed %v open %v half_open %v, want open or half-open",
			down.value(t, closed), down.value(t, open), down.value(t, halfOpen))
	}
	if k := down.withPrefix("cachekit_store_keys"); len(k) != 0 {
		t.Errorf("store gauges during the outage: %v, want none", k)
	}
	if v := down.value(t, op("get", "ticker", "error")); v != 5 {
		t.Errorf("get/ticker/error = %v during the outage, want 5", v)
	}

	srv.Start(t)
	eventually(t, reg, "the subscription loss counted and the store up", func(r scrapeResult) bool {
		return r.samples["cachekit_invalidation_subscription_losses_total{}"].value >= 1 &&
			r.samples["cachekit_store_up{}"].value == 1 &&
			r.samples[closed].value == 1
	})
}
