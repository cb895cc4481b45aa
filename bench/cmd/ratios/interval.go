package main

import (
	"fmt"
	"math"
	"slices"

	"golang.org/x/perf/benchmath"
)

// confidence is the level of each implementation's interval: benchstat's default, so that the bounds
// used here are the ± ranges benchstat prints beside the same medians.
const confidence = 0.95

// minRunsForCI is the fewest runs whose median has a distribution-free 95 % interval (benchmath's
// order-statistic interval; with fewer it is unbounded and benchstat prints a warning).
const minRunsForCI = 6

// summary is one implementation's figure in one unit: the median of its runs and an interval that holds
// the true median with probability conf.
type summary struct {
	median, lo, hi float64
	conf           float64
	n              int
}

// summarize returns the median of vals and its interval: benchmath's order-statistic interval at 95 %
// (what benchstat prints as ±) when there are at least minRunsForCI runs, else the min–max range, whose
// confidence for the median, 1 − 2^(1−n), is below 95 % (75 % at n = 3). vals must not be empty.
func summarize(vals []float64) summary {
	s := benchmath.NewSample(slices.Clone(vals), &benchmath.DefaultThresholds)
	sum := benchmath.AssumeNothing.Summary(s, confidence)
	out := summary{median: sum.Center, lo: sum.Lo, hi: sum.Hi, conf: sum.Confidence, n: len(vals)}
	if math.IsInf(out.lo, 0) || math.IsInf(out.hi, 0) || len(vals) < minRunsForCI {
		out.lo, out.hi = s.Values[0], s.Values[len(s.Values)-1] // NewSample sorted them
		out.conf = 1 - math.Pow(2, float64(1-len(vals)))
	}
	return out
}

// interval is a figure with its bounds: a ratio or difference of two summaries.
type interval struct {
	point, lo, hi float64
	// fewRuns is the smaller run count of the two sides when it is below minRunsForCI (the bounds are
	// then min–max ranges of fewer runs), 0 otherwise.
	fewRuns int
}

func fewRuns(a, b summary) int {
	if n := min(a.n, b.n); n < minRunsForCI {
		return n
	}
	return 0
}

// ratio is a/b with the widest bounds the two intervals allow: [a.lo/b.hi, a.hi/b.lo]. When both
// intervals hold their true medians, which happens with probability at least a.conf·b.conf (≥ 94 %
// at benchstat's 6 runs), the true ratio lies in these bounds. Figures are positive (times), so a zero
// lower bound of b makes the upper bound +Inf.
func ratio(a, b summary) interval {
	iv := interval{point: a.median / b.median, lo: a.lo / b.hi, hi: math.Inf(1), fewRuns: fewRuns(a, b)}
	if b.lo > 0 {
		iv.hi = a.hi / b.lo
	}
	if b.median == 0 {
		iv.point = math.Inf(1)
	}
	return iv
}

// diff is a−b with bounds [a.lo−b.hi, a.hi−b.lo].
func diff(a, b summary) interval {
	return interval{point: a.median - b.median, lo: a.lo - b.hi, hi: a.hi - b.lo, fewRuns: fewRuns(a, b)}
}

// verdict is a target's result. Only an interval wholly on one side of the goal decides it: a point
// figure inside the goal whose interval crosses it is noise, not a result.
type verdict int

const (
	met verdict = iota
	withinNoise
	notMet
)

func (v verdict) String() string {
	switch v {
	case met:
		return "met"
	case withinNoise:
		return "within noise"
	case notMet:
		return "not met"
	}
	return fmt.Sprintf("verdict(%d)", int(v))
}

// atMost judges "figure ≤ limit": met when the whole interval is at or below limit, not met when the
// whole interval is above it, within noise when it straddles limit.
func atMost(iv interval, limit float64) verdict {
	switch {
	case iv.hi <= limit:
		return met
	case iv.lo > limit:
		return notMet
	}
	return withinNoise
}

// below judges "figure < limit".
func below(iv interval, limit float64) verdict {
	switch {
	case iv.hi < limit:
		return met
	case iv.lo >= limit:
		return notMet
	}
	return withinNoise
}

// atLeast judges "figure ≥ limit" (throughput).
func atLeast(iv interval, limit float64) verdict {
	switch {
	case iv.lo >= limit:
		return met
	case iv.hi < limit:
		return notMet
	}
	return withinNoise
}

// fmtRatio formats a ratio and its bounds, "0.97x [0.91, 1.04]".
func fmtRatio(iv interval) string {
	return fmt.Sprintf("%sx [%s, %s]", fmtBound(iv.point), fmtBound(iv.lo), fmtBound(iv.hi))
}

func fmtBound(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "∞"
	case v != 0 && math.Abs(v) < 0.01:
		return fmt.Sprintf("%.4f", v)
	}
	return fmt.Sprintf("%.2f", v)
}

// fmtDiff formats a difference of counts and its bounds, "+0 allocs/op [+0, +0]".
func fmtDiff(iv interval, unit string) string {
	return fmt.Sprintf("%+g %s [%+g, %+g]", iv.point, unit, iv.lo, iv.hi)
}
