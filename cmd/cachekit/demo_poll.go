package main

import (
	"context"
	"errors"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/cachekit/cachekit/exchange"
)

// Sizes the simulated bot asks for, as the Python bot did.
const (
	demoDepth       = 20
	demoDealsLimit  = 20
	demoCandles1m   = 60
	demoCandles1d   = 120
	demoProgressTic = 100 * time.Millisecond
)

// poll is one kind of request the simulated bot repeats for every symbol.
type poll struct {
	kind  string        // exchange kind, the report's row
	every time.Duration // polling interval per symbol
	key   func(symbol string) (string, error)
	call  func(ctx context.Context, c *exchange.Client, symbol string) error
}

// demoPolls is the simulated bot's schedule: ticker and order book several times a second, deals once a
// second, 1m and 1d candles every few seconds.
func demoPolls() []poll {
	return []poll{
		{
			kind: exchange.KindTicker, every: 200 * time.Millisecond,
			key: exchange.TickerKey,
			call: func(ctx context.Context, c *exchange.Client, s string) error {
				_, err := c.Ticker(ctx, s)
				return err
			},
		},
		{
			kind: exchange.KindOrderBook, every: 250 * time.Millisecond,
			key: func(s string) (string, error) { return exchange.OrderBookKey(s, demoDepth) },
			call: func(ctx context.Context, c *exchange.Client, s string) error {
				_, err := c.OrderBook(ctx, s, demoDepth)
				return err
			},
		},
		{
			kind: exchange.KindDeals, every: time.Second,
			key: func(s string) (string, error) { return exchange.DealsKey(s, demoDealsLimit) },
			call: func(ctx context.Context, c *exchange.Client, s string) error {
				_, err := c.Deals(ctx, s, demoDealsLimit)
				return err
			},
		},
		{
			kind: exchange.KindOHLCV, every: 3 * time.Second,
			key: func(s string) (string, error) { return exchange.OHLCVKey(s, "1m", demoCandles1m) },
			call: func(ctx context.Context, c *exchange.Client, s string) error {
				_, err := c.OHLCV(ctx, s, "1m", demoCandles1m)
				return err
			},
		},
		{
			kind: exchange.KindOHLCV, every: 5 * time.Second,
			key: func(s string) (string, error) { return exchange.OHLCVKey(s, "1d", demoCandles1d) },
			call: func(ctx context.Context, c *exchange.Client, s string) error {
				_, err := c.OHLCV(ctx, s, "1d", demoCandles1d)
				return err
			},
		},
	}
}

// demoKeys lists every key the schedule writes for the symbols, so the demo can remove exactly its own
// entries and nothing else.
func demoKeys(symbols []string) ([]string, error) {
	var keys []string
	for _, s := range symbols {
		for _, p := range demoPolls() {
			k, err := p.key(s)
			if err != nil {
				return nil, err
			}
			keys = append(keys, k)
		}
	}
	return keys, nil
}

// kindRecord is what the recorder keeps for one kind.
type kindRecord struct {
	requests, errors int64
	latencies        []time.Duration
}

// recorder collects the outcome and latency of every request, per kind. It is safe for concurrent use.
// Latencies are all kept: a 10 s demo makes a few hundred requests, an hour about 100,000 (under 1 MB).
type recorder struct {
	mu       sync.Mutex
	kinds    map[string]*kindRecord
	byPhase  [phases]map[string]*kindRecord // the same, split by the fault's phases
	firstErr error
	phaseOf  func() int // the phase a request finishing now counts in; nil: before
	// start, when set, splits the records by second of the run too (bySecond[i] is second i).
	start    time.Time
	bySecond []map[string]*kindRecord
}

func newRecorder() *recorder {
	r := &recorder{kinds: map[string]*kindRecord{}}
	for p := range r.byPhase {
		r.byPhase[p] = map[string]*kindRecord{}
	}
	for _, k := range exchange.Kinds() {
		r.kinds[k] = &kindRecord{}
		for p := range r.byPhase {
			r.byPhase[p][k] = &kindRecord{}
		}
	}
	return r
}

func (r *recorder) record(kind string, d time.Duration, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	phase := phaseBefore
	if r.phaseOf != nil {
		phase = r.phaseOf()
	}
	recs := []*kindRecord{r.kinds[kind], r.byPhase[phase][kind]}
	if !r.start.IsZero() {
		sec := int(time.Since(r.start) / time.Second)
		for len(r.bySecond) <= sec {
			r.bySecond = append(r.bySecond, map[string]*kindRecord{})
		}
		k := r.bySecond[sec][kind]
		if k == nil {
			k = &kindRecord{}
			r.bySecond[sec][kind] = k
		}
		recs = append(recs, k)
	}
	for _, k := range recs {
		k.requests++
		k.latencies = append(k.latencies, d)
		if err != nil {
			k.errors++
		}
	}
	if err != nil && r.firstErr == nil {
		r.firstErr = err
	}
}

// phaseSnapshot returns a copy of one kind's record in one phase, latencies sorted.
func (r *recorder) phaseSnapshot(phase int, kind string) kindRecord {
	r.mu.Lock()
	defer r.mu.Unlock()
	k := r.byPhase[phase][kind]
	out := kindRecord{requests: k.requests, errors: k.errors, latencies: slices.Clone(k.latencies)}
	slices.Sort(out.latencies)
	return out
}

// secondSnapshot returns a copy of one kind's record in second sec of the run, latencies sorted; the
// zero record when nothing finished then.
func (r *recorder) secondSnapshot(sec int, kind string) kindRecord {
	r.mu.Lock()
	defer r.mu.Unlock()
	if sec >= len(r.bySecond) || r.bySecond[sec][kind] == nil {
		return kindRecord{}
	}
	k := r.bySecond[sec][kind]
	out := kindRecord{requests: k.requests, errors: k.errors, latencies: slices.Clone(k.latencies)}
	slices.Sort(out.latencies)
	return out
}

// secondsFrom is secondSnapshot of every second from sec on, together.
func (r *recorder) secondsFrom(sec int, kind string) kindRecord {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out kindRecord
	for i := sec; i < len(r.bySecond); i++ {
		if k := r.bySecond[i][kind]; k != nil {
			out.requests, out.errors = out.requests+k.requests, out.errors+k.errors
			out.latencies = append(out.latencies, k.latencies...)
		}
	}
	slices.Sort(out.latencies)
	return out
}

// totals returns the number of requests and errors so far over all kinds.
func (r *recorder) totals() (requests, errs int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, k := range r.kinds {
		requests += k.requests
		errs += k.errors
	}
	return requests, errs
}

// snapshot returns a copy of one kind's record, latencies sorted.
func (r *recorder) snapshot(kind string) kindRecord {
	r.mu.Lock()
	defer r.mu.Unlock()
	k := r.kinds[kind]
	out := kindRecord{requests: k.requests, errors: k.errors, latencies: slices.Clone(k.latencies)}
	slices.Sort(out.latencies)
	return out
}

// percentile returns the nearest-rank p-quantile (0 < p <= 1) of sorted latencies, 0 when there are none.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p*float64(len(sorted)) - 1e-9)) // the epsilon keeps 0.99*100 at rank 99
	return sorted[min(max(rank, 1), len(sorted))-1]
}

// runPolls runs the schedule for every symbol until stop is done, recording each request. Requests run
// under ctx, not stop, so a request that starts before the end completes and is counted: the report's
// request and upstream counts then describe the same requests. Polls of different symbols are staggered
// across the interval, as independent timers would be.
func runPolls(ctx, stop context.Context, client *exchange.Client, symbols []string, rec *recorder) {
	var wg sync.WaitGroup
	for i, sym := range symbols {
		for _, p := range demoPolls() {
			offset := p.every * time.Duration(i) / time.Duration(len(symbols))
			wg.Go(func() {
				if !sleepUntil(stop, offset) {
					return
				}
				tick := time.NewTicker(p.every)
				defer tick.Stop()
				for {
					start := time.Now()
					err := p.call(ctx, client, sym)
					if err != nil && ctx.Err() != nil && errors.Is(err, context.Canceled) {
						return // interrupted: not a failure of the upstream or the cache
					}
					rec.record(p.kind, time.Since(start), err)
					select {
					case <-stop.Done():
						return
					case <-tick.C:
					}
					if stop.Err() != nil {
						return
					}
				}
			})
		}
	}
	wg.Wait()
}

// sleepUntil waits d, reporting false if stop ends first.
func sleepUntil(stop context.Context, d time.Duration) bool {
	if d <= 0 {
		return stop.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-stop.Done():
		return false
	}
}
