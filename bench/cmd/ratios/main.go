// Command ratios reads Go benchmark results (benchfmt: the output of go test -bench, several runs
// appended) and prints, in Markdown, how cachekit compares with its baselines: first the targets of
// issues 6 and 14, each with its figure, its interval and "met", "within noise" or "not met" (reference
// rows have no goal), then every cachekit / baseline ratio with its interval.
//
// Results are grouped by benchmark name without its impl=... part; each implementation's figure is the
// median of its runs, with the 95 % interval benchstat prints as ± (min–max with fewer than 6 runs). A
// ratio's interval is [lo_a/hi_b, hi_a/lo_b]; a target is met only when that whole interval meets it,
// not met only when the whole interval misses it, and within noise otherwise. Usage:
//
//	ratios RESULTS.raw.txt [more files...]
package main

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"golang.org/x/perf/benchfmt"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: ratios FILE...   (benchmark output, benchfmt)")
		os.Exit(2)
	}
	set, err := read(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "ratios:", err)
		os.Exit(1)
	}
	if len(set.rows) == 0 {
		fmt.Fprintln(os.Stderr, "ratios: no benchmark results in", strings.Join(os.Args[1:], " "))
		os.Exit(1)
	}
	write(os.Stdout, set)
}

// Units read from each result.
const (
	unitTime   = "sec/op"
	unitBytes  = "B/op"
	unitAllocs = "allocs/op"
)

// samples holds one implementation's runs of one benchmark, per unit.
type samples map[string][]float64

// resultSet is every result read, by benchmark row (name without impl) and implementation.
type resultSet struct {
	rows  []string                      // in order of first appearance
	impls map[string][]string           // per row, implementations in order of first appearance
	data  map[string]map[string]samples // row -> impl -> unit -> runs
}

func read(paths []string) (*resultSet, error) {
	set := &resultSet{impls: map[string][]string{}, data: map[string]map[string]samples{}}
	files := benchfmt.Files{Paths: paths}
	for files.Scan() {
		res, ok := files.Result().(*benchfmt.Result)
		if !ok {
			continue // a syntax error or unit metadata line: not a result
		}
		row, impl := split(res.Name)
		if impl == "" {
			continue
		}
		if set.data[row] == nil {
			set.data[row] = map[string]samples{}
			set.rows = append(set.rows, row)
		}
		if set.data[row][impl] == nil {
			set.data[row][impl] = samples{}
			set.impls[row] = append(set.impls[row], impl)
		}
		for _, v := range res.Values {
			set.data[row][impl][v.Unit] = append(set.data[row][impl][v.Unit], v.Value)
		}
	}
	return set, files.Err()
}

// split returns a result's row name (the benchmark name without "Benchmark", its impl=... part and the
// GOMAXPROCS suffix) and its implementation.
func split(name benchfmt.Name) (row, impl string) {
	base, parts := name.Parts()
	row = strings.TrimPrefix(string(base), "Benchmark")
	for _, p := range parts {
		s := string(p)
		switch {
		case strings.HasPrefix(s, "/impl="):
			impl = strings.TrimPrefix(s, "/impl=")
		case strings.HasPrefix(s, "-"): // GOMAXPROCS: stated once at the top of RESULTS.md
		default:
			row += s
		}
	}
	return row, impl
}

// summary returns the median and interval of row's impl figures in unit, and whether there are any.
func (s *resultSet) summary(row, impl, unit string) (summary, bool) {
	vals := s.data[row][impl][unit]
	if len(vals) == 0 {
		return summary{}, false
	}
	return summarize(vals), true
}

// median returns the median of row's impl figures in unit, and whether there are any.
func (s *resultSet) median(row, impl, unit string) (float64, bool) {
	sum, ok := s.summary(row, impl, unit)
	return sum.median, ok
}

func (s *resultSet) runs(row, impl string) int { return len(s.data[row][impl][unitTime]) }

func write(w io.Writer, set *resultSet) {
	fmt.Fprintln(w, "### Targets")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Figures are medians of the runs, cachekit / baseline, followed by the interval [lo_a/hi_b, hi_a/lo_b] "+
		"built from each side's 95 % interval (benchstat's ±). A time ratio below 1 means cachekit is faster. "+
		"A target is met only when the whole interval meets it, not met only when the whole interval misses it, "+
		"and within noise when the interval straddles the goal: rerun on a quiet machine before calling it either way. "+
		"Reference rows compare with a peer and have no goal.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| Target | Benchmark | cachekit | Baseline | Figure [interval] | Goal | Result |")
	fmt.Fprintln(w, "| --- | --- | --- | --- | --- | --- | --- |")
	counts := map[verdict]int{}
	total, few := 0, 0
	for _, t := range targets {
		o := t.evaluate(set)
		fmt.Fprintln(w, o.line)
		if o.evaluated && !t.kind.reference() {
			total++
			counts[o.verdict]++
		}
		if o.evaluated && o.fewRuns > 0 {
			few++
		}
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "%d measured targets: %d met, %d within noise, %d not met.\n", total, counts[met], counts[withinNoise], counts[notMet])
	if few > 0 {
		fmt.Fprintf(w, "\n%d row(s) marked (n=N) had fewer than %d runs on a side: their intervals are min–max ranges, "+
			"which hold a median with probability 1 − 2^(1−n) only (75 %% at n = 3), below benchstat's 95 %%. "+
			"Run RUNS=%d or more before relying on their verdicts.\n", few, minRunsForCI, minRunsForCI)
	}
	for _, n := range notes {
		fmt.Fprintf(w, "\n%s\n", n)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "### Every ratio")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Per benchmark: cachekit against each other implementation (for json/msgpack rows, msgpack against json).")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| Benchmark | Impl | vs | time | time ratio [interval] | B/op | allocs/op | runs |")
	fmt.Fprintln(w, "| --- | --- | --- | --- | --- | --- | --- | --- |")
	for _, row := range set.rows {
		impls := set.impls[row]
		num := "cachekit"
		var dens []string
		if slices.Contains(impls, num) {
			for _, i := range impls {
				if i != num {
					dens = append(dens, i)
				}
			}
		} else if len(impls) >= 2 {
			num, dens = impls[1], []string{impls[0]}
		}
		if len(dens) == 0 {
			continue
		}
		for _, den := range dens {
			tn, ok1 := set.summary(row, num, unitTime)
			td, ok2 := set.summary(row, den, unitTime)
			r := "—"
			if ok1 && ok2 && td.median > 0 {
				r = fmtRatio(ratio(tn, td))
			}
			fmt.Fprintf(w, "| %s | %s | %s | %s vs %s | %s | %s | %s | %d/%d |\n", row, num, den,
				fmtTime(set, row, num), fmtTime(set, row, den), r,
				pair(set, row, num, den, unitBytes), pair(set, row, num, den, unitAllocs),
				set.runs(row, num), set.runs(row, den))
		}
	}
}

// pair formats one unit's medians for num and den, "209 vs 0".
func pair(set *resultSet, row, num, den, unit string) string {
	a, ok1 := set.median(row, num, unit)
	b, ok2 := set.median(row, den, unit)
	if !ok1 || !ok2 {
		return "—"
	}
	return fmtCount(a) + " vs " + fmtCount(b)
}

func fmtTime(set *resultSet, row, impl string) string {
	v, ok := set.median(row, impl, unitTime)
	if !ok {
		return "—"
	}
	return fmtSeconds(v)
}

// fmtSeconds formats a duration in seconds with three significant digits and a readable unit.
func fmtSeconds(v float64) string {
	switch {
	case v >= 1:
		return sig3(v) + " s"
	case v >= 1e-3:
		return sig3(v*1e3) + " ms"
	case v >= 1e-6:
		return sig3(v*1e6) + " µs"
	}
	return sig3(v*1e9) + " ns"
}

func sig3(v float64) string {
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	case v >= 10:
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprintf("%.2f", v)
}

func fmtCount(v float64) string {
	if v == float64(int64(v)) {
		return fmt.Sprintf("%d", int64(v))
	}
	return fmt.Sprintf("%.1f", v)
}
