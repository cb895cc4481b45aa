package main

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/cachekit/cachekit/exchange"
)

// sampler takes the upstream call and stale-serve counters once a second of the run, so the report can
// show them per second next to the recorder's requests.
type sampler struct {
	take    func() phaseMark
	mu      sync.Mutex
	samples []phaseMark // samples[i] at second i of the run; the last one at its end
	stop    chan struct{}
	done    chan struct{}
}

func newSampler(take func() phaseMark, started time.Time) *sampler {
	s := &sampler{take: take, samples: []phaseMark{take()}, stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		for i := 1; ; i++ {
			t := time.NewTimer(time.Until(started.Add(time.Duration(i) * time.Second)))
			select {
			case <-s.stop:
				t.Stop()
				return
			case <-t.C:
				s.add()
			}
		}
	}()
	return s
}

func (s *sampler) add() {
	v := s.take()
	s.mu.Lock()
	s.samples = append(s.samples, v)
	s.mu.Unlock()
}

// end stops sampling and takes the final sample.
func (s *sampler) end() {
	close(s.stop)
	<-s.done
	s.add()
}

// second returns the upstream calls and stale serves during second i (zero past the end).
func (s *sampler) second(i int) (exchange.Calls, int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if i+1 >= len(s.samples) {
		return exchange.Calls{}, 0
	}
	return s.samples[i+1].calls.Sub(s.samples[i].calls), s.samples[i+1].stale - s.samples[i].stale
}

func (s *sampler) seconds() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.samples) - 1
}

// demoJSON is the demo's result: what "demo --json" prints and what the text and HTML reports show.
// Ratios are in [0, 1]; latencies in milliseconds (-1 when there was no request).
type demoJSON struct {
	Symbols    []string         `json:"symbols"`
	DurationMs int64            `json:"duration_ms"`
	Upstream   string           `json:"upstream"`
	Cache      string           `json:"cache"`
	Namespace  string           `json:"namespace"`
	Kinds      []demoKindJSON   `json:"kinds"`
	Total      demoKindJSON     `json:"total"`
	Cached     demoCachedJSON   `json:"cached"`
	Fault      *demoFaultJSON   `json:"fault,omitempty"`
	Seconds    []demoSecondJSON `json:"seconds"`
	Removed    int              `json:"removed"` // the demo's entries removed at the end (0 with --keep)
	Kept       bool             `json:"kept"`
}

type demoKindJSON struct {
	Kind          string  `json:"kind"`
	TTL           string  `json:"ttl"`
	Requests      int64   `json:"requests"`
	UpstreamCalls int64   `json:"upstream_calls"`
	WithoutCache  int64   `json:"without_cache"`
	FromCache     float64 `json:"from_cache"`
	Errors        int64   `json:"errors"`
	P50Ms         float64 `json:"p50_ms"`
	P99Ms         float64 `json:"p99_ms"`
}

type demoCachedJSON struct {
	Entries        int64  `json:"entries"`
	Bytes          int64  `json:"bytes"`
	Backend        string `json:"backend"`
	BackendKeys    int64  `json:"backend_keys"`
	BackendUsedMem int64  `json:"backend_used_bytes"`
}

type demoFaultJSON struct {
	Mode       string          `json:"mode"` // "fail" or "slow"
	ExtraMs    int64           `json:"extra_ms"`
	StartMs    int64           `json:"start_ms"`
	DurationMs int64           `json:"duration_ms"`
	Text       string          `json:"text"`
	Phases     []demoPhaseJSON `json:"phases"`
}

type demoPhaseJSON struct {
	Phase         string             `json:"phase"` // before, during, after
	Requests      int64              `json:"requests"`
	ErrorsSeen    int64              `json:"errors_seen"`
	ServedStale   int64              `json:"served_stale"`
	UpstreamCalls int64              `json:"upstream_calls"`
	P99Ms         map[string]float64 `json:"p99_ms"`
}

// demoSecondJSON is one second of the run, per kind, with what the cache saved in it.
type demoSecondJSON struct {
	Second        int                           `json:"second"`
	Requests      int64                         `json:"requests"`
	UpstreamCalls int64                         `json:"upstream_calls"`
	ServedStale   int64                         `json:"served_stale"`
	Kinds         map[string]demoSecondKindJSON `json:"kinds"`
}

type demoSecondKindJSON struct {
	Requests      int64   `json:"requests"`
	UpstreamCalls int64   `json:"upstream_calls"`
	FromCache     float64 `json:"from_cache"`
	P99Ms         float64 `json:"p99_ms"`
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func percentileMs(sorted []time.Duration, p float64) float64 {
	if len(sorted) == 0 {
		return -1
	}
	return ms(percentile(sorted, p))
}

// demoRun is what one run left for the reports.
type demoRun struct {
	symbols  []string
	duration time.Duration
	srcDesc  string
	target   string
	client   *exchange.Client
	upstream exchange.Calls
	rec      *recorder
	fault    *fault
	marks    *phaseMarks
	samples  *sampler
}

// result gathers the run's figures; it reads the cache's stats and sizes (bounded by ctx).
func (r demoRun) result(ctx context.Context) (demoJSON, error) {
	cache := r.client.Cache()
	out := demoJSON{Symbols: r.symbols, DurationMs: r.duration.Milliseconds(), Upstream: r.srcDesc, Cache: r.target,
		Namespace: cache.Keyspace().Prefix(), Seconds: []demoSecondJSON{}}
	var all []time.Duration
	tot := demoKindJSON{Kind: "total"}
	for _, kind := range exchange.Kinds() {
		k := r.rec.snapshot(kind)
		up := r.upstream.Of(kind)
		out.Kinds = append(out.Kinds, demoKindJSON{Kind: kind, TTL: kindTTLText(r.client, kind), Requests: k.requests,
			UpstreamCalls: up, WithoutCache: k.requests, FromCache: servedRatio(k.requests, up), Errors: k.errors,
			P50Ms: percentileMs(k.latencies, 0.50), P99Ms: percentileMs(k.latencies, 0.99)})
		tot.Requests, tot.UpstreamCalls, tot.Errors = tot.Requests+k.requests, tot.UpstreamCalls+up, tot.Errors+k.errors
		all = append(all, k.latencies...)
	}
	slices.Sort(all)
	tot.WithoutCache, tot.FromCache = tot.Requests, servedRatio(tot.Requests, tot.UpstreamCalls)
	tot.P50Ms, tot.P99Ms = percentileMs(all, 0.50), percentileMs(all, 0.99)
	out.Total = tot

	st, err := cache.Stats(ctx)
	if err != nil {
		return out, fmt.Errorf("reading cache stats: %w", err)
	}
	nsBytes, err := namespaceBytes(ctx, cache)
	if err != nil {
		return out, fmt.Errorf("measuring the cached entries: %w", err)
	}
	out.Cached = demoCachedJSON{Entries: st.NamespaceKeys, Bytes: nsBytes, Backend: st.Store.Backend,
		BackendKeys: st.Store.Keys, BackendUsedMem: st.Store.UsedBytes}

	if f := r.fault; f != nil {
		fj := &demoFaultJSON{Mode: f.mode, ExtraMs: f.extra.Milliseconds(), StartMs: f.start.Milliseconds(),
			DurationMs: f.dur.Milliseconds(), Text: f.String()}
		for p := phaseBefore; p < phases; p++ {
			calls, stale := r.marks.of(p)
			ph := demoPhaseJSON{Phase: phaseNames[p], ServedStale: stale, UpstreamCalls: calls.Total(), P99Ms: map[string]float64{}}
			for _, k := range exchange.Kinds() {
				kr := r.rec.phaseSnapshot(p, k)
				ph.Requests, ph.ErrorsSeen = ph.Requests+kr.requests, ph.ErrorsSeen+kr.errors
				ph.P99Ms[k] = percentileMs(kr.latencies, 0.99)
			}
			fj.Phases = append(fj.Phases, ph)
		}
		out.Fault = fj
	}

	// Whole seconds of the run only: a request that ends just after the end counts in the last one.
	secs := min(r.samples.seconds(), int((r.duration+time.Second-1)/time.Second))
	for sec := range secs {
		calls, stale := r.samples.second(sec)
		if sec == secs-1 {
			for late := sec + 1; late < r.samples.seconds(); late++ {
				c, st := r.samples.second(late)
				calls, stale = addCalls(calls, c), stale+st
			}
		}
		s := demoSecondJSON{Second: sec, UpstreamCalls: calls.Total(), ServedStale: stale, Kinds: map[string]demoSecondKindJSON{}}
		for _, kind := range exchange.Kinds() {
			k := r.rec.secondSnapshot(sec, kind)
			if sec == secs-1 {
				k = r.rec.secondsFrom(sec, kind)
			}
			up := calls.Of(kind)
			s.Requests += k.requests
			s.Kinds[kind] = demoSecondKindJSON{Requests: k.requests, UpstreamCalls: up,
				FromCache: servedRatio(k.requests, up), P99Ms: percentileMs(k.latencies, 0.99)}
		}
		out.Seconds = append(out.Seconds, s)
	}
	return out, nil
}

func addCalls(a, b exchange.Calls) exchange.Calls {
	return exchange.Calls{Ticker: a.Ticker + b.Ticker, OHLCV: a.OHLCV + b.OHLCV, Deals: a.Deals + b.Deals, OrderBook: a.OrderBook + b.OrderBook}
}
