package main

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

// demoRow is one parsed row of the demo's table.
type demoRow struct {
	requests, upstream, without, errors int64
	fromCache                           float64
}

// parseDemoTable finds the rows of the report by their first field. Numeric columns are read from the
// right end, since the ttl column may contain spaces.
func parseDemoTable(t *testing.T, out string) map[string]demoRow {
	t.Helper()
	rows := map[string]demoRow{}
	for _, l := range lines(out) {
		f := strings.Fields(l)
		if len(f) < 8 {
			continue
		}
		switch f[0] {
		case "ticker", "ohlcv", "deals", "orderbook", "total":
		default:
			continue
		}
		n := len(f)
		num := func(s string) int64 {
			v, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				t.Fatalf("row %q: %q is not a number", l, s)
			}
			return v
		}
		pct, err := strconv.ParseFloat(strings.TrimSuffix(f[n-4], "%"), 64)
		if err != nil {
			t.Fatalf("row %q: from-cache column %q", l, f[n-4])
		}
		rows[f[0]] = demoRow{requests: num(f[n-7]), upstream: num(f[n-6]), without: num(f[n-5]), fromCache: pct, errors: num(f[n-3])}
	}
	return rows
}

func TestDemoPrintsTableWithHits(t *testing.T) {
	t.Parallel()
	c := newCLI(t).withSharedMemory()
	bot := c.cache("qrl")
	seed(t, bot, "a bot's value", "ticker:QRL/USDT")

	r := c.run("", "demo", "--duration", "1s", "--latency", "1ms", "--jitter", "2ms").expect(t, exitOK)
	rows := parseDemoTable(t, r.stdout)
	for _, kind := range []string{"ticker", "ohlcv", "deals", "orderbook", "total"} {
		if _, ok := rows[kind]; !ok {
			t.Fatalf("table lacks the %s row:\n%s", kind, r.stdout)
		}
	}
	var sumReq, sumUp int64
	for _, kind := range []string{"ticker", "ohlcv", "deals", "orderbook"} {
		row := rows[kind]
		if row.requests < 1 || row.upstream < 1 || row.upstream > row.requests || row.without != row.requests || row.errors != 0 {
			t.Errorf("%s row inconsistent: %+v", kind, row)
		}
		sumReq += row.requests
		sumUp += row.upstream
	}
	tot := rows["total"]
	if tot.requests != sumReq || tot.upstream != sumUp || tot.without != sumReq {
		t.Errorf("total %+v does not add up (requests %d, upstream %d)", tot, sumReq, sumUp)
	}
	// The ticker is polled every 200ms with a 5s TTL: after the first load, every poll is a hit.
	if rows["ticker"].fromCache <= 0 || tot.fromCache <= 0 {
		t.Errorf("hit ratio: ticker %.1f%%, total %.1f%%, want > 0", rows["ticker"].fromCache, tot.fromCache)
	}
	for _, want := range []string{"cachekit demo: a bot polling QRL/USDT, BTC/USDT, ETH/USDT for 1s",
		"p50", "p99", "upstream calls:", "cached: ", " entries in demo:v1:", "removed the demo's"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, r.stdout)
		}
	}
	// stderr is not a terminal here: progress comes as whole lines, never carriage returns.
	if !strings.Contains(r.stderr, "demo [") || strings.Contains(r.stderr, "\r") {
		t.Errorf("progress on a non-terminal:\n%q", r.stderr)
	}

	// The demo removed its own entries and left the bot's namespace alone.
	demoKeys := c.run("", "keys", "--namespace", "demo").expect(t, exitOK)
	if demoKeys.stdout != "" {
		t.Errorf("demo left entries behind: %q", demoKeys.stdout)
	}
	if !exists(t, bot, "ticker:QRL/USDT") {
		t.Error("the demo deleted a bot's key")
	}
}

func TestDemoKeepKeepsEntries(t *testing.T) {
	t.Parallel()
	c := newCLI(t).withSharedMemory()
	r := c.run("", "demo", "--duration", "300ms", "--latency", "0", "--jitter", "0", "--symbols", "QRL/USDT",
		"--keep", "--no-progress", "--namespace", "mydemo").expect(t, exitOK)
	if r.stderr != "" {
		t.Errorf("--no-progress: stderr %q", r.stderr)
	}
	// Within 300ms every poll of the schedule has run once for the symbol.
	got := lines(c.run("", "keys", "--namespace", "mydemo").expect(t, exitOK).stdout)
	want := []string{"deals:QRL/USDT:20", "ohlcv:QRL/USDT:1d:120", "ohlcv:QRL/USDT:1m:60", "orderbook:QRL/USDT:20", "ticker:QRL/USDT"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("kept keys %q, want %q", got, want)
	}
	if !strings.Contains(r.stdout, "kept the demo's entries") {
		t.Errorf("output does not say the entries were kept:\n%s", r.stdout)
	}
}

func TestDemoUpstreamFailuresAreReported(t *testing.T) {
	t.Parallel()
	c := newCLI(t).withSharedMemory()
	// Loopback port 1 refuses connections: every MEXC call fails at once, without any network.
	r := c.run("", "demo", "--live", "--mexc-url", "http://127.0.0.1:1", "--duration", "300ms", "--symbols", "QRL/USDT", "--no-progress").
		expect(t, exitError)
	rows := parseDemoTable(t, r.stdout)
	if tot := rows["total"]; tot.requests == 0 || tot.errors != tot.requests {
		t.Fatalf("total row %+v: want every request counted as an error", tot)
	}
	if !strings.Contains(r.stderr, "requests failed; first error:") {
		t.Fatalf("stderr %q", r.stderr)
	}
}

func TestPercentile(t *testing.T) {
	var d []time.Duration
	for i := 1; i <= 100; i++ {
		d = append(d, time.Duration(i)*time.Millisecond)
	}
	for _, tc := range []struct {
		p    float64
		want time.Duration
	}{{0.5, 50 * time.Millisecond}, {0.99, 99 * time.Millisecond}, {1, 100 * time.Millisecond}, {0.001, time.Millisecond}} {
		if got := percentile(d, tc.p); got != tc.want {
			t.Errorf("p%v = %v, want %v", tc.p, got, tc.want)
		}
	}
	if got := percentile([]time.Duration{7}, 0.99); got != 7 {
		t.Errorf("single sample p99 = %v", got)
	}
	if got := percentile(nil, 0.5); got != 0 {
		t.Errorf("empty p50 = %v", got)
	}
}

// --fault makes the upstream fail for a window; the fault table shows each phase, and while the
// exchange fails the bot is served its last good tickers (stale) instead of errors.
func TestDemoFaultReport(t *testing.T) {
	t.Parallel()
	c := newCLI(t).withSharedMemory()
	c.env["REDIS_CACHE_TTL_TICKER"] = "100ms" // expiries inside the fault window
	r := c.run("", "demo", "--duration", "1500ms", "--latency", "0", "--jitter", "0", "--symbols", "QRL/USDT",
		"--fault", "fail@400ms+800ms", "--no-progress").expect(t, exitOK)
	if !strings.Contains(r.stdout, "fault: upstream failing from 400ms to 1.2s") {
		t.Fatalf("no fault line:\n%s", r.stdout)
	}
	phases := map[string][]string{}
	for _, l := range lines(r.stdout) {
		f := strings.Fields(l)
		if len(f) >= 5 && (f[0] == "before" || f[0] == "during" || f[0] == "after") {
			phases[f[0]] = f
		}
	}
	if len(phases) != 3 {
		t.Fatalf("fault table rows %v:\n%s", phases, r.stdout)
	}
	if during := phases["during"]; during[1] == "0" || during[3] == "0" {
		t.Fatalf("during the fault: %v; want requests and stale serves", during)
	}
	for _, bad := range []string{"--fault", "fail@x+1s", "slow@1s+1s", "melt@1s+1s"} {
		c.run("", "demo", "--duration", "10ms", "--fault", bad).expect(t, exitUsage)
	}
}
