package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
)

// maxScrapeBytes bounds what top reads of one /metrics answer.
const maxScrapeBytes = 32 << 20

// lookupOps are the operations whose outcomes make a hit ratio (cachekit_operations_total's op label).
var lookupOps = map[string]bool{"get": true, "view": true, "get_many": true, "fetch": true, "fetch_many": true}

// opSeries names one cachekit_operations_total series.
type opSeries struct{ op, kind, outcome string }

// promSample is one scrape of an application's /metrics, reduced to the cachekitprom series top shows.
type promSample struct {
	at  time.Time
	ops map[opSeries]float64 // cachekit_operations_total
	// Per tier ("l1", "l2"): cachekit_store_* figures.
	hits, evictions, memory, maxMemory, keys map[string]float64
	breakers                                 map[string]string // endpoint → the state whose gauge is 1
	invSent, invReceived                     float64
	storeUp                                  float64 // cachekit_store_up; -1 when the app exports none
}

// checkMetricsURL accepts an http(s) URL with a host: what top --metrics scrapes.
func checkMetricsURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return usageErrorf("--metrics %q: want the http:// or https:// URL of an application's metrics, e.g. http://127.0.0.1:9091/metrics", raw)
	}
	return nil
}

// scrapeMetrics reads and parses one /metrics answer (Prometheus text, OpenMetrics or delimited
// protobuf, whichever the server answers with).
func scrapeMetrics(ctx context.Context, client *http.Client, rawURL string) (promSample, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return promSample{}, err
	}
	req.Header.Set("Accept", "text/plain;version=0.0.4;q=1,*/*;q=0.1")
	resp, err := client.Do(req)
	if err != nil {
		return promSample{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return promSample{}, fmt.Errorf("GET %s: %s", rawURL, resp.Status)
	}
	dec := expfmt.NewDecoder(io.LimitReader(resp.Body, maxScrapeBytes), expfmt.ResponseFormat(resp.Header))
	s := newPromSample(time.Now())
	for {
		var mf dto.MetricFamily
		err := dec.Decode(&mf)
		if errors.Is(err, io.EOF) {
			return s, nil
		}
		if err != nil {
			return promSample{}, fmt.Errorf("reading %s: %w", rawURL, err)
		}
		s.add(&mf)
	}
}

func newPromSample(at time.Time) promSample {
	return promSample{
		at: at, ops: map[opSeries]float64{}, storeUp: -1, breakers: map[string]string{},
		hits: map[string]float64{}, evictions: map[string]float64{}, memory: map[string]float64{},
		maxMemory: map[string]float64{}, keys: map[string]float64{},
	}
}

// add takes the series top shows from one metric family; others are ignored.
func (s *promSample) add(mf *dto.MetricFamily) {
	perTier := map[string]map[string]float64{
		"cachekit_store_hits_total":       s.hits,
		"cachekit_store_evictions_total":  s.evictions,
		"cachekit_store_memory_bytes":     s.memory,
		"cachekit_store_memory_max_bytes": s.maxMemory,
		"cachekit_store_keys":             s.keys,
	}
	for _, m := range mf.GetMetric() {
		l := labelMap(m)
		v := metricValue(m)
		switch name := mf.GetName(); name {
		case "cachekit_operations_total":
			s.ops[opSeries{l["op"], l["kind"], l["outcome"]}] += v
		case "cachekit_breaker_state":
			if v == 1 {
				s.breakers[l["endpoint"]] = l["state"]
			}
		case "cachekit_invalidations_sent_total":
			s.invSent += v
		case "cachekit_invalidations_received_total":
			s.invReceived += v
		case "cachekit_store_up":
			s.storeUp = v
		default:
			if dst, ok := perTier[name]; ok {
				dst[l["tier"]] += v
			}
		}
	}
}

func labelMap(m *dto.Metric) map[string]string {
	l := make(map[string]string, len(m.GetLabel()))
	for _, lp := range m.GetLabel() {
		l[lp.GetName()] = lp.GetValue()
	}
	return l
}

// metricValue is a counter's, gauge's or untyped metric's value (0 for other types).
func metricValue(m *dto.Metric) float64 {
	switch {
	case m.Counter != nil:
		return m.GetCounter().GetValue()
	case m.Gauge != nil:
		return m.GetGauge().GetValue()
	case m.Untyped != nil:
		return m.GetUntyped().GetValue()
	}
	return 0
}

// lookupCounts are one kind's lookup outcomes.
type lookupCounts struct{ hits, misses, stale, requests float64 }

func (c lookupCounts) hitRatio() *float64 {
	if n := c.hits + c.misses + c.stale; n > 0 {
		r := c.hits / n
		return &r
	}
	return nil
}

// byKind sums the operations of each kind: hit ratios count hits / (hits + misses + stale) of the
// lookup operations; requests count every cache operation but loads.
func (s promSample) byKind() map[string]lookupCounts {
	out := map[string]lookupCounts{}
	for k, v := range s.ops {
		c := out[k.kind]
		if k.op != "load" {
			c.requests += v
		}
		if lookupOps[k.op] {
			switch k.outcome {
			case "hit":
				c.hits += v
			case "miss":
				c.misses += v
			case "stale":
				c.stale += v
			}
		}
		out[k.kind] = c
	}
	return out
}

// counterDelta is cur - prev of a counter, or cur when it went down (the application restarted).
func counterDelta(cur, prev float64) float64 {
	if cur < prev {
		return cur
	}
	return cur - prev
}
