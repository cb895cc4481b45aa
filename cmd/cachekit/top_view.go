package main

import (
	"context"
	"net/http"
	"sort"
	"time"

	"github.com/cachekit/cachekit"
	"github.com/cachekit/cachekit/store"
)

// historyLen is how many interval samples a kind's sparkline shows (a minute at the default interval).
const historyLen = 60

// topFrame is what one redraw (or one line, or one JSON object) of top shows.
type topFrame struct {
	Time       time.Time    `json:"time"`
	Frame      int          `json:"frame"`
	IntervalMs int64        `json:"interval_ms"`
	Namespace  string       `json:"namespace"`
	Metrics    *metricsView `json:"metrics"`
	Store      *storeView   `json:"store"`
}

// metricsView is the application's figures, from its /metrics. Rates are per second over the last
// interval and null on the first frame (no earlier scrape to compare with); ratios are null without
// lookups.
type metricsView struct {
	URL                   string       `json:"url"`
	Error                 string       `json:"error,omitempty"`
	StoreUp               *bool        `json:"store_up"`
	RequestsPerS          *float64     `json:"requests_per_s"`
	HitRatio              *float64     `json:"hit_ratio"`
	TotalHitRatio         *float64     `json:"total_hit_ratio"`
	StalePerS             *float64     `json:"stale_per_s"`
	L1HitsPerS            *float64     `json:"l1_hits_per_s"`
	L2HitsPerS            *float64     `json:"l2_hits_per_s"`
	EvictionsPerS         *float64     `json:"evictions_per_s"`
	InvalidationsPerS     *float64     `json:"invalidations_per_s"`
	InvalidationsSentPerS *float64     `json:"invalidations_sent_per_s"`
	MemoryBytes           int64        `json:"memory_bytes"`
	Tiers                 []tierView   `json:"tiers"`
	Kinds                 []kindView   `json:"kinds"`
	Breakers              []breakerRow `json:"breakers"`
}

// tierView is one store tier's gauges as the application exports them.
type tierView struct {
	Tier        string `json:"tier"`
	Keys        int64  `json:"keys"`
	MemoryBytes int64  `json:"memory_bytes"`
	MaxBytes    int64  `json:"max_bytes"`
}

// kindView is one key kind's traffic.
type kindView struct {
	Kind          string     `json:"kind"`
	RequestsPerS  *float64   `json:"requests_per_s"`
	HitRatio      *float64   `json:"hit_ratio"`
	TotalHitRatio *float64   `json:"total_hit_ratio"`
	StalePerS     *float64   `json:"stale_per_s"`
	History       []*float64 `json:"history"` // the last interval hit ratios, oldest first, null where none
}

type breakerRow struct {
	Endpoint string `json:"endpoint"`
	State    string `json:"state"`
}

// storeView is the configured store's figures, from this CLI's own Cache.Stats (server side).
type storeView struct {
	Target         string       `json:"target"`
	Error          string       `json:"error,omitempty"`
	Backend        string       `json:"backend"`
	NamespaceKeys  int64        `json:"namespace_keys"`
	Keys           int64        `json:"keys"`
	UsedBytes      int64        `json:"used_bytes"`
	MaxBytes       int64        `json:"max_bytes"`
	Evictions      int64        `json:"evictions"`
	EvictionsPerS  *float64     `json:"evictions_per_s"`
	EvictionPolicy string       `json:"eviction_policy"`
	Breakers       []breakerRow `json:"breakers"`
}

// topState carries what a frame is computed from: the previous readings and each kind's history.
type topState struct {
	interval  time.Duration
	url       string
	client    *http.Client
	prev      *promSample
	history   map[string][]*float64
	scrapedOK bool
	lastErr   error

	cache      *cachekit.Cache
	target     string
	storeOK    bool  // a Stats call succeeded
	storeErr   error // the last Stats error
	prevStore  *store.Stats
	prevStatAt time.Time
}

// next reads the sources and returns frame number n.
func (s *topState) next(ctx context.Context, n int) topFrame {
	f := topFrame{Time: time.Now().UTC(), Frame: n, IntervalMs: s.interval.Milliseconds()}
	if s.url != "" {
		f.Metrics = s.metrics(ctx)
	}
	if s.cache != nil {
		f.Namespace = s.cache.Keyspace().Prefix()
		f.Store = s.store(ctx)
	}
	return f
}

func (s *topState) metrics(ctx context.Context) *metricsView {
	v := &metricsView{URL: s.url, Tiers: []tierView{}, Kinds: []kindView{}, Breakers: []breakerRow{}}
	cur, err := scrapeMetrics(ctx, s.client, s.url)
	if err != nil {
		if ctx.Err() == nil { // a scrape cut short by Ctrl-C says nothing of the application
			s.lastErr = err
		}
		v.Error = err.Error()
		s.prev = nil // a rate across a gap would mislead
		return v
	}
	s.scrapedOK = true
	prev := s.prev
	s.prev = &cur
	if cur.storeUp >= 0 {
		up := cur.storeUp == 1
		v.StoreUp = &up
	}
	var dt float64
	if prev != nil {
		dt = cur.at.Sub(prev.at).Seconds()
	}
	rate := func(c, p float64) *float64 {
		if prev == nil || dt <= 0 {
			return nil
		}
		r := counterDelta(c, p) / dt
		return &r
	}
	kinds, prevKinds := cur.byKind(), map[string]lookupCounts{}
	if prev != nil {
		prevKinds = prev.byKind()
	}
	var all, allPrev lookupCounts
	names := make([]string, 0, len(kinds))
	for k := range kinds {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		c, p := kinds[k], prevKinds[k]
		all.add(c)
		allPrev.add(p)
		kv := kindView{Kind: k, TotalHitRatio: c.hitRatio(), RequestsPerS: rate(c.requests, p.requests), StalePerS: rate(c.stale, p.stale)}
		if prev != nil {
			kv.HitRatio = c.delta(p).hitRatio()
			s.remember(k, kv.HitRatio)
		}
		kv.History = append([]*float64{}, s.history[k]...)
		v.Kinds = append(v.Kinds, kv)
	}
	v.TotalHitRatio = all.hitRatio()
	v.RequestsPerS, v.StalePerS = rate(all.requests, allPrev.requests), rate(all.stale, allPrev.stale)
	if prev != nil {
		v.HitRatio = all.delta(allPrev).hitRatio()
		if _, ok := cur.hits["l1"]; ok {
			v.L1HitsPerS = rate(cur.hits["l1"], prev.hits["l1"])
		}
		if _, ok := cur.hits["l2"]; ok {
			v.L2HitsPerS = rate(cur.hits["l2"], prev.hits["l2"])
		}
		v.EvictionsPerS = rate(sumValues(cur.evictions), sumValues(prev.evictions))
		v.InvalidationsPerS = rate(cur.invReceived, prev.invReceived)
		v.InvalidationsSentPerS = rate(cur.invSent, prev.invSent)
	}
	v.MemoryBytes = int64(sumValues(cur.memory))
	for _, t := range sortedKeys(cur.memory, cur.keys) {
		v.Tiers = append(v.Tiers, tierView{Tier: t, Keys: int64(cur.keys[t]), MemoryBytes: int64(cur.memory[t]), MaxBytes: int64(cur.maxMemory[t])})
	}
	for _, ep := range sortedKeys(cur.breakers) {
		v.Breakers = append(v.Breakers, breakerRow{Endpoint: ep, State: cur.breakers[ep]})
	}
	return v
}

// remember appends one interval's hit ratio to a kind's history, keeping the last historyLen.
func (s *topState) remember(kind string, r *float64) {
	h := append(s.history[kind], r)
	if len(h) > historyLen {
		h = h[len(h)-historyLen:]
	}
	s.history[kind] = h
}

func (s *topState) store(ctx context.Context) *storeView {
	v := &storeView{Target: describeTarget(s.target), Breakers: []breakerRow{}}
	st, err := s.cache.Stats(ctx)
	if err != nil {
		v.Error = err.Error()
		if ctx.Err() == nil { // a read cut short by Ctrl-C says nothing of the store
			s.storeErr = err
		}
	} else {
		s.storeOK = true
	}
	ss := st.Store
	v.Backend, v.NamespaceKeys, v.Keys, v.UsedBytes, v.MaxBytes = ss.Backend, st.NamespaceKeys, ss.Keys, ss.UsedBytes, ss.MaxBytes
	v.Evictions, v.EvictionPolicy = ss.Evictions, ss.EvictionPolicy
	if ss.Backend == "" { // the store did not answer: its figures are unknown
		v.Keys, v.UsedBytes, v.MaxBytes, v.Evictions = -1, -1, -1, -1
	}
	now := time.Now()
	if p := s.prevStore; p != nil && p.Evictions >= 0 && ss.Evictions >= 0 {
		if dt := now.Sub(s.prevStatAt).Seconds(); dt > 0 {
			r := counterDelta(float64(ss.Evictions), float64(p.Evictions)) / dt
			v.EvictionsPerS = &r
		}
	}
	s.prevStore, s.prevStatAt = &ss, now
	for _, b := range ss.Breakers {
		v.Breakers = append(v.Breakers, breakerRow{Endpoint: b.Endpoint, State: breakerStateName(b.State)})
	}
	return v
}

// breakerStateName is the state's name as cachekit_breaker_state labels it.
func breakerStateName(s store.BreakerState) string {
	switch s {
	case store.BreakerClosed:
		return "closed"
	case store.BreakerHalfOpen:
		return "half_open"
	case store.BreakerOpen:
		return "open"
	}
	return "unknown"
}

func (c *lookupCounts) add(o lookupCounts) {
	c.hits, c.misses, c.stale, c.requests = c.hits+o.hits, c.misses+o.misses, c.stale+o.stale, c.requests+o.requests
}

func (c lookupCounts) delta(p lookupCounts) lookupCounts {
	return lookupCounts{counterDelta(c.hits, p.hits), counterDelta(c.misses, p.misses), counterDelta(c.stale, p.stale), counterDelta(c.requests, p.requests)}
}

func sumValues(m map[string]float64) float64 {
	var s float64
	for _, v := range m {
		s += v
	}
	return s
}

// sortedKeys returns the keys of the maps, each once, sorted.
func sortedKeys[V any](ms ...map[string]V) []string {
	seen := map[string]bool{}
	var out []string
	for _, m := range ms {
		for k := range m {
			if !seen[k] {
				seen[k] = true
				out = append(out, k)
			}
		}
	}
	sort.Strings(out)
	return out
}
