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

func TestTargets(t *testing.T) {
	set := readSample(t)
	cases := []struct {
		t         target
		met, eval bool
		figure    string
	}{
		{target{"", "MemoryGet/value=ticker", "cachekit", "raw", timeAtMost, 1.3}, true, true, "1.250x"},
		{target{"", "MemoryGet/value=ticker", "cachekit", "raw", timeAtMost, 1.2}, false, true, "1.250x"},
		{target{"", "MemoryGet/value=ticker", "cachekit", "raw+copy", allocsExtra, 0}, true, true, "+0 allocs/op"},
		{target{"", "MemoryGet/value=ticker", "cachekit", "raw", bytesExtra, 64}, false, true, "+209 B/op"},
		// 4000 / 4200 ns: 0.95x rueidis's throughput.
		{target{"", "RedisGetConcurrent50", "cachekit", "rueidis", throughputAtLeast, 0.9}, true, true, "0.952x throughput"},
		{target{"", "TypedHotGet", "cachekit", "rueidis", timeBelow, 1}, false, false, "not run"},
	}
	for _, c := range cases {
		line, met, eval := c.t.evaluate(set)
		if met != c.met || eval != c.eval || !strings.Contains(line, c.figure) {
			t.Errorf("%s %s vs %s (kind %d, limit %v): met=%v evaluated=%v line %q; want met=%v evaluated=%v containing %q",
				c.t.row, c.t.num, c.t.den, c.t.kind, c.t.limit, met, eval, line, c.met, c.eval, c.figure)
		}
	}
}

func TestWriteComparesMsgpackWithJSON(t *testing.T) {
	var out strings.Builder
	write(&out, readSample(t))
	if !strings.Contains(out.String(), "| CacheGetCandles | msgpack | json | 150 µs vs 300 µs | 0.50x |") {
		t.Errorf("no msgpack-vs-json ratio line in:\n%s", out.String())
	}
}
