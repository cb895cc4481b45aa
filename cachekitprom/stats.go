package cachekitprom

import (
	"context"
	"strconv"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/cachekit/cachekit/store"
)

// collectCounters exports the Cache's own counters that the operation counters do not already carry.
func (c *Collector) collectCounters(ch chan<- prometheus.Metric) {
	n := c.cache.Counters()
	for _, m := range []struct {
		d *prometheus.Desc
		v int64
	}{
		{c.dCoalesced, n.Coalesced},
		{c.dFetchStoreErrors, n.StoreErrors},
		{c.dLeasesTaken, n.LeasesTaken},
		{c.dLeaseWaits, n.LeaseWaits},
		{c.dEncodeErrors, n.EncodeErrors},
		{c.dWritesSkipped, n.WritesSkipped},
	} {
		ch <- constMetric(m.d, prometheus.CounterValue, float64(m.v))
	}
}

// collectStats exports Cache.Stats, read now within the scrape timeout. When the store could not
// report, its gauges are left out (cachekit_store_up is 0) but its circuit breakers are still asked
// for: during an outage they matter most, and the Redis and tiered stores report them without I/O.
// cachekit_store_up says whether the store reported, not whether the namespace key count (a SCAN, run
// in the background) is ready: a first count outlasting the scrape on a large database is no outage.
func (c *Collector) collectStats(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), c.cfg.scrapeTimeout)
	defer cancel()
	s, _ := c.cache.Stats(ctx)
	ch <- constMetric(c.dStoreUp, prometheus.GaugeValue, boolValue(s.Store.Backend != ""))
	if !s.NamespaceKeysAt.IsZero() {
		ch <- constMetric(c.dNamespaceKeys, prometheus.GaugeValue, float64(s.NamespaceKeys))
	}
	if s.Store.Backend == "" { // the store did not answer
		partial, _ := c.cache.Store().Stats(ctx)
		c.collectBreakers(ch, partial.Breakers)
		return
	}
	st := s.Store
	if len(st.Tiers) == 0 {
		c.collectTier(ch, singleTier(st.Backend), st)
	}
	for i, t := range st.Tiers {
		c.collectTier(ch, "l"+strconv.Itoa(i+1), t)
	}
	c.collectBreakers(ch, st.Breakers)
	c.collectExtra(ch, st.Extra)
}

// singleTier is the tier label of a store that is not composite: "l1" in-process, "l2" remote.
func singleTier(backend string) string {
	if backend == "memory" {
		return "l1"
	}
	return "l2"
}

// collectTier exports one tier's figures; a figure the tier does not know (-1) is left out.
func (c *Collector) collectTier(ch chan<- prometheus.Metric, tier string, t store.Stats) {
	for _, m := range []struct {
		d *prometheus.Desc
		t prometheus.ValueType
		v int64
	}{
		{c.dKeys, prometheus.GaugeValue, t.Keys},
		{c.dBytes, prometheus.GaugeValue, t.UsedBytes},
		{c.dMaxBytes, prometheus.GaugeValue, t.MaxBytes},
		{c.dEvictions, prometheus.CounterValue, t.Evictions},
		{c.dRejected, prometheus.CounterValue, t.RejectedSets},
		{c.dHits, prometheus.CounterValue, t.Hits},
		{c.dMiss, prometheus.CounterValue, t.Misses},
	} {
		if m.v >= 0 {
			ch <- constMetric(m.d, m.t, float64(m.v), tier)
		}
	}
	if t.EvictionPolicy != "" {
		ch <- constMetric(c.dPolicy, prometheus.GaugeValue, 1, tier, labelValue(t.EvictionPolicy))
	}
}

// breakerStates are the state label values, in the order exported.
var breakerStates = []struct {
	s     store.BreakerState
	label string
}{{store.BreakerClosed, "closed"}, {store.BreakerHalfOpen, "half_open"}, {store.BreakerOpen, "open"}}

// collectBreakers exports each endpoint's breaker once (the first reported, should two tiers name the
// same endpoint: a series may appear only once per scrape).
func (c *Collector) collectBreakers(ch chan<- prometheus.Metric, bs []store.BreakerStats) {
	seen := make(map[string]bool, len(bs))
	for _, b := range bs {
		ep := labelValue(b.Endpoint)
		if seen[ep] {
			continue
		}
		seen[ep] = true
		for _, st := range breakerStates {
			ch <- constMetric(c.dBreakerState, prometheus.GaugeValue, boolValue(b.State == st.s), ep, st.label)
		}
		ch <- constMetric(c.dBreakerOpens, prometheus.CounterValue, float64(b.Opens), ep)
		ch <- constMetric(c.dBreakerRejected, prometheus.CounterValue, float64(b.Rejected), ep)
	}
}

// collectExtra exports a tiered store's invalidation and L1 counters (Stats.Extra), those present.
func (c *Collector) collectExtra(ch chan<- prometheus.Metric, extra map[string]int64) {
	for _, m := range []struct {
		d   *prometheus.Desc
		key string
	}{
		{c.dInvSent, "invalidations_sent"},
		{c.dInvReceived, "invalidations_received"},
		{c.dInvDropped, "publish_failures"},
		{c.dFlushes, "l1_flushes"},
		{c.dBackfills, "backfills"},
		{c.dL1Stale, "stale_served"},
	} {
		if v, ok := extra[m.key]; ok && v >= 0 {
			ch <- constMetric(m.d, prometheus.CounterValue, float64(v))
		}
	}
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// labelValue makes text from a server (an endpoint, a policy name) a valid label value.
func labelValue(s string) string { return strings.ToValidUTF8(s, "\uFFFD") }
