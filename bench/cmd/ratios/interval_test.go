package main

import (
	"math"
	"testing"
)

// TestVerdicts: only an interval wholly on one side of the goal decides it.
func TestVerdicts(t *testing.T) {
	cases := []struct {
		name    string
		judge   func(interval, float64) verdict
		lo, hi  float64
		limit   float64
		want    verdict
		comment string
	}{
		{"≤ inside", atMost, 0.91, 1.04, 1.05, met, "whole interval under the bound"},
		{"≤ inside, upper bound on the goal", atMost, 0.91, 1.05, 1.05, met, "≤ admits equality"},
		{"≤ straddling", atMost, 0.68, 1.40, 1.05, withinNoise, "the redis Get 0.68x case: a wide interval"},
		{"≤ straddling, lower bound on the goal", atMost, 1.05, 1.20, 1.05, withinNoise, "part of it meets the goal"},
		{"≤ outside", atMost, 1.10, 1.30, 1.05, notMet, "whole interval above the bound"},
		{"< inside", below, 0.50, 0.99, 1, met, ""},
		{"< straddling, upper bound on the goal", below, 0.90, 1, 1, withinNoise, "< excludes equality"},
		{"< outside", below, 1, 1.20, 1, notMet, "equality fails <"},
		{"≥ throughput inside", atLeast, 0.95, 1.20, 0.9, met, "whole interval over the bound"},
		{"≥ throughput inside, lower bound on the goal", atLeast, 0.9, 1.0, 0.9, met, "≥ admits equality"},
		{"≥ throughput straddling", atLeast, 0.80, 0.95, 0.9, withinNoise, ""},
		{"≥ throughput outside", atLeast, 0.40, 0.85, 0.9, notMet, "whole interval under the bound"},
		{"≥ throughput, unbounded above", atLeast, 0.95, math.Inf(1), 0.9, met, "a zero lower time bound"},
	}
	for _, c := range cases {
		iv := interval{point: (c.lo + c.hi) / 2, lo: c.lo, hi: c.hi}
		if got := c.judge(iv, c.limit); got != c.want {
			t.Errorf("%s: [%v, %v] against %v = %v, want %v (%s)", c.name, c.lo, c.hi, c.limit, got, c.want, c.comment)
		}
	}
}

func TestSummarizeUsesBenchstatIntervals(t *testing.T) {
	// 9 runs: benchstat's 95 % interval of the median is the 2nd to 8th order statistic, not min–max.
	s := summarize([]float64{9, 1, 5, 2, 8, 3, 7, 4, 6})
	if s.median != 5 || s.lo != 2 || s.hi != 8 || s.conf < 0.95 || s.n != 9 {
		t.Errorf("9 runs 1..9: %+v, want median 5, interval [2, 8], confidence ≥ 0.95", s)
	}
	// 6 runs: the 95 % interval is min–max (confidence 1 − 2/64).
	s = summarize([]float64{15, 10, 11, 14, 12, 13})
	if s.median != 12.5 || s.lo != 10 || s.hi != 15 || math.Abs(s.conf-0.96875) > 1e-9 {
		t.Errorf("6 runs 10..15: %+v, want median 12.5, interval [10, 15], confidence 0.96875", s)
	}
	// 3 runs: no 95 % interval exists; min–max, with its true (lower) confidence.
	s = summarize([]float64{3, 1, 2})
	if s.median != 2 || s.lo != 1 || s.hi != 3 || s.conf != 0.75 {
		t.Errorf("3 runs: %+v, want median 2, interval [1, 3], confidence 0.75", s)
	}
}

func TestRatioAndDiffBounds(t *testing.T) {
	a := summary{median: 12, lo: 10, hi: 15, n: 6}
	b := summary{median: 22, lo: 20, hi: 25, n: 6}
	r := ratio(a, b)
	if r.point != 12.0/22 || r.lo != 10.0/25 || r.hi != 15.0/20 || r.fewRuns != 0 {
		t.Errorf("ratio: %+v, want 12/22 in [10/25, 15/20]", r)
	}
	if got := fmtRatio(r); got != "0.55x [0.40, 0.75]" {
		t.Errorf("fmtRatio = %q", got)
	}
	d := diff(a, summary{median: 2, lo: 1, hi: 3, n: 3})
	if d.point != 10 || d.lo != 7 || d.hi != 14 || d.fewRuns != 3 {
		t.Errorf("diff: %+v, want 10 in [7, 14], fewRuns 3", d)
	}
	if r := ratio(a, summary{median: 1, lo: 0, hi: 2, n: 6}); !math.IsInf(r.hi, 1) || fmtRatio(r) != "12.00x [5.00, ∞]" {
		t.Errorf("ratio over a zero lower bound: %+v (%s), want an unbounded upper bound", r, fmtRatio(r))
	}
}
