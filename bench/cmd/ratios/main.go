// Command ratios reads Go benchmark results (benchfmt: the output of go test -bench, several runs
// appended) and prints, in Markdown, how cachekit compares with its baselines: first the targets of
// issue 6, each with its figure and "met" or "not met", then every cachekit / baseline ratio.
//
// Results are grouped by benchmark name without its impl=... part; each implementation's figure is the
// median of its runs (as benchstat reports it). Usage:
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

// median returns the median of row's impl figures in unit, and whether there are any.
func (s *resultSet) median(row, impl, unit string) (float64, bool) {
	vals := s.data[row][impl][unit]
	if len(vals) == 0 {
		return 0, false
	}
	v := slices.Clone(vals)
	slices.Sort(v)
	n := len(v)
	if n%2 == 1 {
		return v[n/2], true
	}
	return (v[n/2-1] + v[n/2]) / 2, true
}

func (s *resultSet) runs(row, impl string) int { return len(s.data[row][impl][unitTime]) }

func write(w io.Writer, set *resultSet) {
	fmt.Fprintln(w, "### Targets")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Figures are medians of the runs. A time ratio below 1 means cachekit is faster.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| Target (issue 6) | Benchmark | cachekit | Baseline | Figure | Goal | Result |")
	fmt.Fprintln(w, "| --- | --- | --- | --- | --- | --- | --- |")
	met, total := 0, 0
	for _, t := range targets {
		line, ok, evaluated := t.evaluate(set)
		fmt.Fprintln(w, line)
		if evaluated {
			total++
			if ok {
				met++
			}
		}
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "%d of %d measured targets met.\n", met, total)
	for _, n := range notes {
		fmt.Fprintf(w, "\n%s\n", n)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "### Every ratio")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Per benchmark: cachekit against each other implementation (for json/msgpack rows, msgpack against json).")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| Benchmark | Impl | vs | time | time ratio | B/op | allocs/op | runs |")
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
			tn, ok1 := set.median(row, num, unitTime)
			td, ok2 := set.median(row, den, unitTime)
			ratio := "—"
			if ok1 && ok2 && td > 0 {
				ratio = fmt.Sprintf("%.2fx", tn/td)
			}
			fmt.Fprintf(w, "| %s | %s | %s | %s vs %s | %s | %s | %s | %d/%d |\n", row, num, den,
				fmtTime(set, row, num), fmtTime(set, row, den), ratio,
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
