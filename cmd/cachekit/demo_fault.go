package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cachekit/cachekit"
	"github.com/cachekit/cachekit/exchange"
)

// fault is an upstream fault injected for a window of the demo: "fail@3s+4s" (every call fails from
// 3 s to 7 s) or "slow=2s@3s+4s" (every call takes 2 s longer).
type fault struct {
	mode       string        // "fail" or "slow"
	extra      time.Duration // slow: added latency
	start, dur time.Duration // the window, from the demo's start
}

// errInjected is what a failing fault returns.
var errInjected = errors.New("injected upstream fault")

// parseFault reads --fault's value; "" is no fault.
func parseFault(s string) (*fault, error) {
	if s == "" {
		return nil, nil
	}
	what, window, ok := strings.Cut(s, "@")
	startText, durText, ok2 := strings.Cut(window, "+")
	if !ok || !ok2 {
		return nil, usageErrorf("--fault %q: want fail@START+DURATION or slow=EXTRA@START+DURATION (e.g. fail@3s+4s)", s)
	}
	f := &fault{}
	var err error
	if f.start, err = time.ParseDuration(startText); err != nil || f.start < 0 {
		return nil, usageErrorf("--fault %q: bad start %q", s, startText)
	}
	if f.dur, err = time.ParseDuration(durText); err != nil || f.dur <= 0 {
		return nil, usageErrorf("--fault %q: bad duration %q", s, durText)
	}
	switch mode, extra, _ := strings.Cut(what, "="); mode {
	case "fail":
		f.mode = "fail"
	case "slow":
		f.mode = "slow"
		if f.extra, err = time.ParseDuration(extra); err != nil || f.extra <= 0 {
			return nil, usageErrorf("--fault %q: slow needs a positive extra latency (slow=2s@...)", s)
		}
	default:
		return nil, usageErrorf("--fault %q: mode %q is not fail or slow", s, mode)
	}
	return f, nil
}

func (f *fault) String() string {
	if f.mode == "slow" {
		return fmt.Sprintf("upstream %v slower from %v to %v", f.extra, f.start, f.start+f.dur)
	}
	return fmt.Sprintf("upstream failing from %v to %v", f.start, f.start+f.dur)
}

// phase names the part of the run a moment falls in: before, during or after the fault.
func (f *fault) phase(sinceStart time.Duration) int {
	switch {
	case f == nil || sinceStart < f.start:
		return phaseBefore
	case sinceStart < f.start+f.dur:
		return phaseDuring
	}
	return phaseAfter
}

const (
	phaseBefore = iota
	phaseDuring
	phaseAfter
	phases
)

var phaseNames = [phases]string{"before", "during", "after"}

// faultySource applies a fault to a Source while its window is open.
type faultySource struct {
	exchange.Source
	f       *fault
	started atomic.Int64 // unix nanoseconds of the demo's start
}

func (s *faultySource) active() bool {
	return s.f.phase(time.Since(time.Unix(0, s.started.Load()))) == phaseDuring
}

// hit applies the fault to one call: an error, or extra latency (honouring ctx).
func (s *faultySource) hit(ctx context.Context) error {
	if !s.active() {
		return nil
	}
	if s.f.mode == "fail" {
		return errInjected
	}
	t := time.NewTimer(s.f.extra)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *faultySource) Ticker(ctx context.Context, symbol string) (exchange.Ticker, error) {
	if err := s.hit(ctx); err != nil {
		return exchange.Ticker{}, err
	}
	return s.Source.Ticker(ctx, symbol)
}

func (s *faultySource) OHLCV(ctx context.Context, symbol string, tf exchange.Timeframe, limit int) ([]exchange.Candle, error) {
	if err := s.hit(ctx); err != nil {
		return nil, err
	}
	return s.Source.OHLCV(ctx, symbol, tf, limit)
}

func (s *faultySource) Deals(ctx context.Context, symbol string, limit int) ([]exchange.Deal, error) {
	if err := s.hit(ctx); err != nil {
		return nil, err
	}
	return s.Source.Deals(ctx, symbol, limit)
}

func (s *faultySource) OrderBook(ctx context.Context, symbol string, depth int) (exchange.OrderBook, error) {
	if err := s.hit(ctx); err != nil {
		return exchange.OrderBook{}, err
	}
	return s.Source.OrderBook(ctx, symbol, depth)
}

// phaseMark is what the counters said when a phase began.
type phaseMark struct {
	calls exchange.Calls
	stale int64
}

// phaseMarks samples upstream calls and stale serves at each phase boundary of the run.
type phaseMarks struct {
	mu    sync.Mutex
	marks [phases + 1]phaseMark // marks[p] at the start of phase p; marks[phases] at the end
	taken [phases + 1]bool
	take  func() phaseMark
	stop  []*time.Timer
}

func newPhaseMarks(f *fault, started time.Time, src *exchange.CountedSource, cache interface{ Counters() cachekit.Counters }) *phaseMarks {
	m := &phaseMarks{take: func() phaseMark { return phaseMark{calls: src.Calls(), stale: cache.Counters().StaleServed} }}
	m.mark(phaseBefore)
	if f != nil {
		for p, at := range map[int]time.Duration{phaseDuring: f.start, phaseAfter: f.start + f.dur} {
			m.stop = append(m.stop, time.AfterFunc(time.Until(started.Add(at)), func() { m.mark(p) }))
		}
	}
	return m
}

func (m *phaseMarks) mark(p int) {
	v := m.take()
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.taken[p] {
		m.marks[p], m.taken[p] = v, true
	}
}

// end marks the end of the run; phases that never began end there too.
func (m *phaseMarks) end() {
	for _, t := range m.stop {
		t.Stop()
	}
	for p := phaseBefore; p <= phases; p++ {
		m.mark(p)
	}
}

// of returns the upstream calls and stale serves during phase p.
func (m *phaseMarks) of(p int) (exchange.Calls, int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.marks[p+1].calls.Sub(m.marks[p].calls), m.marks[p+1].stale - m.marks[p].stale
}

// demoFaultReport prints, per phase of the fault, what the bot saw.
func (a *app) demoFaultReport(f *demoFaultJSON) error {
	fmt.Fprintf(a.stdout, "\nfault: %s\n", f.Text)
	cols := []string{"phase", "requests", "errors seen", "served stale", "upstream calls"}
	for _, k := range exchange.Kinds() {
		cols = append(cols, k+" p99")
	}
	t := newTable(cols...).alignRight(1, 2, 3, 4, 5, 6, 7, 8)
	for _, p := range f.Phases {
		row := []string{p.Phase, itoa(p.Requests), itoa(p.ErrorsSeen), itoa(p.ServedStale), itoa(p.UpstreamCalls)}
		for _, k := range exchange.Kinds() {
			row = append(row, msText(p.P99Ms[k]))
		}
		t.row(row...)
	}
	return t.write(a.stdout)
}
