package main

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Three runs of a few benchmarks, as go test -bench prints them (interleaved).
const sample = `goos: linux
pkg: github.com/cachekit/cachekit/bench
BenchmarkMemoryGet/value=ticker/impl=raw-2   1000  100 ns/op  0 B/op  0 allocs/op
BenchmarkMemoryGet/value=ticker/impl=raw+copy-2   1000  150 ns/op  208 B/op  1 allocs/op
BenchmarkMemoryGet/value=ticker/impl=cachekit-2   1000  120 ns/op  209 B/op  1 allocs/op
BenchmarkRedisGetConcurrent50/impl=rueidis-2  1000  4000 ns/op  208 B/op  1 allocs/op
BenchmarkRedisGetConcurrent50/impl=cachekit-2  1000  10000 ns/op  424 B/op  7 allocs/op
BenchmarkCacheGetCandles/impl=json-2  10  300000 ns/op  1 B/op  1 allocs/op
BenchmarkCacheGetCandles/impl=msgpack-2  10  150000 ns/op  1 B/op  1 allocs/op
BenchmarkMemoryGet/value=ticker/impl=raw-2   1000  110 ns/op  0 B/op  0 allocs/op
BenchmarkMemoryGet/value=ticker/impl=raw+copy-2   1000  150 ns/op  208 B/op  1 allocs/op
BenchmarkMemoryGet/value=ticker/impl=cachekit-2   1000  999 ns/op  209 B/op  1 allocs/op
BenchmarkRedisGetConcurrent50/impl=rueidis-2  1000  4000 ns/op  208 B/op  1 allocs/op
BenchmarkRedisGetConcurrent50/impl=cachekit-2  1000  4200 ns/op  424 B/op  7 allocs/op
BenchmarkMemoryGet/value=ticker/impl=raw-2   1000  90 ns/op  0 B/op  0 allocs/op
BenchmarkMemoryGet/value=ticker/impl=raw+copy-2   1000  150 ns/op  208 B/op  1 allocs/op
BenchmarkMemoryGet/value=ticker/impl=cachekit-2   1000  125 ns/op  209 B/op  1 allocs/op
BenchmarkRedisGetConcurrent50/impl=rueidis-2  1000  4000 ns/op  208 B/op  1 allocs/op
BenchmarkRedisGetConcurrent50/impl=cachekit-2  1000  4100 ns/op  424 B/op  7 allocs/op
`

func readSample(t *testing.T) *resultSet {
	t.Helper()
	path := filepath.Join(t.TempDir(), "raw.txt")
	if err := os.WriteFile(path, []byte(sample), 0o644); err != nil {
		t.Fatal(err)
	}
	set, err := read([]string{path})
	if err != nil {
		t.Fatal(err)
	}
	return set
}

func TestRowsSplitImplAndGOMAXPROCS(t *testing.T) {
	set := readSample(t)
	want := []string{"MemoryGet/value=ticker", "RedisGetConcurrent50", "CacheGetCandles"}
	if strings.Join(set.rows, ",") != strings.Join(want, ",") {
		t.Fatalf("rows %q, want %q", set.rows, want)
	}
	if got := strings.Join(set.impls["MemoryGet/value=ticker"], ","); got != "raw,raw+copy,cachekit" {
		t.Errorf("impls %s, want raw,raw+copy,cachekit (order of appearance)", got)
	}
}

func TestMedianIgnoresOutlier(t *testing.T) {
	set := readSample(t)
	got, ok := set.median("MemoryGet/value=ticker", "cachekit", unitTime)
	if !ok || math.Abs(got-125e-9) > 1e-15 {
		t.Errorf("median of 120, 999, 125 ns = %v s, want 125e-9", got)
	}
	if _, ok := set.median("MemoryGet/value=ticker", "rueidis", unitTime); ok {
		t.Error("median of an implementation never run reported a value")
	}
}

// TestTargets evaluates targets end to end on the three-run sample, whose intervals are min–max ranges.
func TestTargets(t *testing.T) {
	set := readSample(t)
	cases := []struct {
		t       target
		eval    bool
		verdict verdict
		figure  string
	}{
		// cachekit 120, 125, 999 ns against raw 90, 100, 110 ns: 1.25x, but [120/110, 999/90].
		{target{"", "MemoryGet/value=ticker", "cachekit", "raw", timeAtMost, 1.3}, true, withinNoise, "1.25x [1.09, 11.10]"},
		{target{"", "MemoryGet/value=ticker", "cachekit", "raw", timeAtMost, 1.05}, true, notMet, "1.25x [1.09, 11.10]"},
		{target{"", "MemoryGet/value=ticker", "cachekit", "raw", timeAtMost, 12}, true, met, "1.25x [1.09, 11.10]"},
		{target{"", "MemoryGet/value=ticker", "cachekit", "raw+copy", allocsExtra, 0}, true, met, "+0 allocs/op [+0, +0]"},
		{target{"", "MemoryGet/value=ticker", "cachekit", "raw", bytesExtra, 64}, true, notMet, "+209 B/op [+209, +209]"},
		// rueidis 4000 ns ×3 against cachekit 10000, 4200, 4100 ns: 0.95x the throughput, in [0.40, 0.98].
		{target{"", "RedisGetConcurrent50", "cachekit", "rueidis", throughputAtLeast, 0.9}, true, withinNoise, "0.95x [0.40, 0.98] throughput"},
		{target{"", "RedisGetConcurrent50", "cachekit", "rueidis", throughputAtLeast, 0.3}, true, met, "0.95x [0.40, 0.98] throughput"},
		{target{"", "RedisGetConcurrent50", "cachekit", "rueidis", throughputAtLeast, 1}, true, notMet, "0.95x [0.40, 0.98] throughput"},
		{target{"", "TypedHotGet", "cachekit", "rueidis", timeBelow, 1}, false, met, "not run (cachekit, rueidis missing)"},
	}
	for _, c := range cases {
		o := c.t.evaluate(set)
		if o.evaluated != c.eval || (c.eval && o.verdict != c.verdict) || !strings.Contains(o.line, c.figure) {
			t.Errorf("%s %s vs %s (kind %d, limit %v): evaluated=%v verdict=%v line %q; want evaluated=%v verdict=%v containing %q",
				c.t.row, c.t.num, c.t.den, c.t.kind, c.t.limit, o.evaluated, o.verdict, o.line, c.eval, c.verdict, c.figure)
		}
		if c.eval && !strings.Contains(o.line, "| "+c.verdict.String()+" (n=3) |") {
			t.Errorf("line %q does not end with the verdict %q and the run count of the min–max ranges", o.line, c.verdict)
		}
	}
}

func TestReferenceRowHasNoVerdict(t *testing.T) {
	set := readSample(t)
	o := target{"ref", "MemoryGet/value=ticker", "cachekit", "raw", timeRatio, 0}.evaluate(set)
	if !o.evaluated || !strings.Contains(o.line, "| — (reference) | reference (n=3) |") || !strings.Contains(o.line, "1.25x [1.09, 11.10]") {
		t.Errorf("reference row %q: want its figure, interval, no goal and result \"reference\"", o.line)
	}
	var out strings.Builder
	write(&out, set)
	if !strings.Contains(out.String(), "within noise") || !strings.Contains(out.String(), "fewer than 6 runs") {
		t.Errorf("write output lacks the verdict legend or the few-runs warning:\n%s", out.String())
	}
}

func TestWriteComparesMsgpackWithJSON(t *testing.T) {
	var out strings.Builder
	write(&out, readSample(t))
	if !strings.Contains(out.String(), "| CacheGetCandles | msgpack | json | 150 µs vs 300 µs | 0.50x [0.50, 0.50] |") {
		t.Errorf("no msgpack-vs-json ratio line in:\n%s", out.String())
	}
}
