package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/cachekit/cachekit"
	"github.com/cachekit/cachekit/cachekitprom"
	"github.com/cachekit/cachekit/store/memory"
)

// workloadApp is an application as top sees it: a memory Cache with a cachekitprom registry served
// over HTTP, and a workload running on it until the test ends. Per round the workload reads
// "ticker:A" three times (hits) and "ticker:NONE" once (a miss): the ticker hit ratio is 75%; it also
// reads "deals:A" once (a hit: 100%).
type workloadApp struct {
	url    string
	rounds func() int64
}

func startWorkloadApp(t *testing.T) workloadApp {
	t.Helper()
	st, err := memory.New(memory.Options{})
	if err != nil {
		t.Fatal(err)
	}
	cache, err := cachekit.New(st, cachekit.WithNamespace("app"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	reg := prometheus.NewRegistry()
	col := cachekitprom.New(cache)
	reg.MustRegister(col)
	srv := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	for _, k := range []string{"ticker:A", "deals:A"} {
		if err := cache.Set(ctx, k, "v", time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	var (
		mu     sync.Mutex
		rounds int64
		wg     sync.WaitGroup
	)
	wg.Go(func() {
		var v string
		for ctx.Err() == nil {
			for range 3 {
				if err := cache.Get(ctx, "ticker:A", &v); err != nil && ctx.Err() == nil {
					t.Errorf("workload: get ticker:A: %v", err)
					return
				}
			}
			if err := cache.Get(ctx, "ticker:NONE", &v); !errors.Is(err, cachekit.ErrNotFound) && ctx.Err() == nil {
				t.Errorf("workload: get ticker:NONE: %v, want a miss", err)
				return
			}
			if err := cache.Get(ctx, "deals:A", &v); err != nil && ctx.Err() == nil {
				t.Errorf("workload: get deals:A: %v", err)
				return
			}
			mu.Lock()
			rounds++
			mu.Unlock()
			time.Sleep(50 * time.Microsecond) // a steady, modest load on a shared 2-core machine
		}
	})
	t.Cleanup(func() {
		cancel()
		wg.Wait()
		srv.Close()
		col.Close()
		cache.Close()
	})
	app := workloadApp{url: srv.URL + "/metrics", rounds: func() int64 { mu.Lock(); defer mu.Unlock(); return rounds }}
	for deadline := time.Now().Add(10 * time.Second); app.rounds() < 10; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the workload did not start")
		}
	}
	return app
}

// linePattern is the documented non-terminal line of top --metrics.
var linePattern = regexp.MustCompile(`^time=\S+ req/s=(-|[0-9.]+) hit=(-|[0-9.]+%) total_hit=(-|[0-9.]+%) stale/s=\S+ ` +
	`l1_hits/s=\S+ l2_hits/s=\S+ evictions/s=\S+ mem=[0-9]+ inval/s=\S+ breakers=\S+( hit\[[^\]]+\]=\S+)*$`)

// field returns the value of NAME=VALUE in a line of top, or "".
func field(line, name string) string {
	for _, f := range strings.Fields(line) {
		if v, ok := strings.CutPrefix(f, name+"="); ok {
			return v
		}
	}
	return ""
}

// percent parses "75.0%".
func percent(t *testing.T, s string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(strings.TrimSuffix(s, "%"), 64)
	if err != nil || !strings.HasSuffix(s, "%") {
		t.Fatalf("%q is not a percentage", s)
	}
	return v
}

// When stdout is not a terminal, top --metrics writes one documented line per frame; --count ends it.
func TestTopLinesFromMetrics(t *testing.T) {
	app := startWorkloadApp(t)
	r := newCLI(t).run("", "top", "--metrics", app.url, "--count", "3", "--interval", "200ms").expect(t, exitOK)
	got := lines(r.stdout)
	if len(got) != 3 {
		t.Fatalf("want 3 lines, got %d:\n%s", len(got), r.stdout)
	}
	for i, l := range got {
		if !linePattern.MatchString(l) {
			t.Fatalf("line %d does not have the documented format:\n%s", i+1, l)
		}
		if tot := percent(t, field(l, "total_hit")); tot < 75 || tot > 85 { // (3+1)/(4+1) of lookups = 80%
			t.Errorf("line %d: total hit ratio %v%%, want about 80%%:\n%s", i+1, tot, l)
		}
		if i == 0 {
			continue // rates and interval ratios need two scrapes: checked below
		}
		if r := percent(t, field(l, "hit[ticker]")); r < 70 || r > 80 {
			t.Errorf("line %d: ticker hit ratio %v%%, want about 75%%:\n%s", i+1, r, l)
		}
		if percent(t, field(l, "hit[deals]")) != 100 {
			t.Errorf("line %d: deals hit ratio, want 100%%:\n%s", i+1, l)
		}
	}
	// Rates need two scrapes: unknown on the first line, known after.
	if field(got[0], "req/s") != "-" || field(got[0], "hit[ticker]") != "-" {
		t.Errorf("first line shows rates without an earlier scrape:\n%s", got[0])
	}
	if rps, err := strconv.ParseFloat(field(got[2], "req/s"), 64); err != nil || rps <= 0 {
		t.Errorf("third line: req/s %q, want a positive rate", field(got[2], "req/s"))
	}
	if l1, err := strconv.ParseFloat(field(got[2], "l1_hits/s"), 64); err != nil || l1 <= 0 {
		t.Errorf("third line: l1_hits/s %q, want the memory store's hits per second", field(got[2], "l1_hits/s"))
	}
}

// --json gives one JSON object per frame and line, with each kind's history of interval ratios.
func TestTopJSONLines(t *testing.T) {
	app := startWorkloadApp(t)
	r := newCLI(t).run("", "top", "--metrics", app.url, "--count", "3", "--interval", "150ms", "--json").expect(t, exitOK)
	got := lines(r.stdout)
	if len(got) != 3 {
		t.Fatalf("want 3 JSON lines, got:\n%s", r.stdout)
	}
	var last topFrame
	for i, l := range got {
		last = topFrame{}
		if err := json.Unmarshal([]byte(l), &last); err != nil || last.Frame != i+1 || last.Metrics == nil || last.Store != nil {
			t.Fatalf("line %d: %v\n%s", i+1, err, l)
		}
	}
	var ticker *kindView
	for i := range last.Metrics.Kinds {
		if last.Metrics.Kinds[i].Kind == "ticker" {
			ticker = &last.Metrics.Kinds[i]
		}
	}
	if ticker == nil || len(ticker.History) != 2 || ticker.HitRatio == nil || *ticker.HitRatio < 0.7 || *ticker.HitRatio > 0.8 {
		t.Fatalf("ticker after 3 frames: %+v, want 2 interval ratios of about 0.75", ticker)
	}
	if last.Metrics.StoreUp == nil || !*last.Metrics.StoreUp || len(last.Metrics.Tiers) != 1 || last.Metrics.Tiers[0].Tier != "l1" {
		t.Errorf("store figures: up %v tiers %+v", last.Metrics.StoreUp, last.Metrics.Tiers)
	}
}

// Without --metrics, top shows the configured store's own figures and says where hit ratios come from.
func TestTopStoreOnly(t *testing.T) {
	c := newCLI(t).withSharedMemory()
	seedMarket(t, c)
	r := c.run("", "top", "--count", "2", "--interval", "50ms").expect(t, exitOK)
	got := lines(r.stdout)
	if len(got) != 2 || !regexp.MustCompile(`^time=\S+ store.ns_keys=6 store.keys=7 store.mem=[0-9]+ store.evictions=0 store.policy=tinylfu store.breakers=none$`).MatchString(got[0]) {
		t.Fatalf("store lines:\n%s", r.stdout)
	}
	if !strings.Contains(r.stderr, "per-kind hit ratios need the application's metrics: --metrics http://") {
		t.Errorf("no hint about --metrics: %q", r.stderr)
	}
}

func TestTopUsageAndScrapeErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"top", "--metrics", "ftp://x/metrics"}, `--metrics "ftp://x/metrics": want the http:// or https:// URL`},
		{[]string{"top", "--cache", "memory://", "--interval", "1ms"}, "--interval 1ms: want at least 50ms"},
		{[]string{"top", "--cache", "memory://", "--count", "-1"}, "--count -1"},
		{[]string{"top", "--metrics", "http://127.0.0.1:1/metrics", "--metrics-addr", "127.0.0.1:0"}, "--metrics-addr serves this CLI's cache"},
		{[]string{"top", "extra"}, "top takes no arguments"},
	} {
		r := newCLI(t).run("", tc.args...).expect(t, exitUsage)
		if got := lines(r.stderr); len(got) != 2 || !strings.Contains(got[0], tc.want) || !strings.HasPrefix(got[1], "hint: ") {
			t.Errorf("%q: stderr %q, want %q and a hint", tc.args, got, tc.want)
		}
	}
	// An application that never answers: each frame says so, and the run fails.
	srv := httptest.NewServer(nil)
	dead := srv.URL + "/metrics"
	srv.Close()
	r := newCLI(t).run("", "top", "--metrics", dead, "--count", "2", "--interval", "50ms").expect(t, exitError)
	if got := lines(r.stdout); len(got) != 2 || field(got[0], "error") == "" {
		t.Errorf("frames of a dead endpoint: %q", got)
	}
	if !strings.Contains(r.stderr, "no scrape of "+dead+" succeeded") {
		t.Errorf("stderr %q", r.stderr)
	}
	// Ended by Ctrl-C, it fails all the same: the exit code says whether anything was ever read.
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(300*time.Millisecond, cancel)
	r = newCLI(t).runCtx(ctx, "", "top", "--metrics", dead, "--interval", "50ms").expect(t, exitError)
	if !strings.Contains(r.stderr, "no scrape of "+dead+" succeeded") {
		t.Errorf("Ctrl-C after failed scrapes: stderr %q", r.stderr)
	}
}

// A store that never answers fails top as a dead /metrics does; Ctrl-C after good reads is exit 0 and
// SIGTERM is 130.
func TestTopExitCodes(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadRedis := "redis://" + ln.Addr().String() + "/0?dial_timeout=100ms&max_retries=0"
	ln.Close()
	r := newCLI(t).run("", "top", "--cache", deadRedis, "--count", "2", "--interval", "50ms").expect(t, exitError)
	if got := lines(r.stdout); len(got) != 2 || field(got[0], "store.error") == "" {
		t.Errorf("frames of an unreachable store: %q", got)
	}
	if !strings.Contains(r.stderr, "no read of the store") || !strings.Contains(r.stderr, ln.Addr().String()) {
		t.Errorf("unreachable store: stderr %q, want the store named", r.stderr)
	}

	end := func(cause error) result {
		ctx, cancel := context.WithCancelCause(context.Background())
		time.AfterFunc(300*time.Millisecond, func() { cancel(cause) })
		return newCLI(t).runCtx(ctx, "", "top", "--cache", "memory://", "--interval", "50ms")
	}
	if r := end(signalled{os.Interrupt}); r.code != exitOK || lines(r.stdout) == nil {
		t.Errorf("Ctrl-C on a store that answered: exit %d, stdout %q; want 0 after frames", r.code, r.stdout)
	}
	if r := end(signalled{syscall.SIGTERM}); r.code != exitInterrupted {
		t.Errorf("SIGTERM: exit %d (stderr %q), want %d", r.code, r.stderr, exitInterrupted)
	}
}

func TestSparkline(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	if got := sparkline([]*float64{f(0), f(0.5), nil, f(1)}, 6); got != "  ▁▅ █" {
		t.Errorf("sparkline %q", got)
	}
	long := make([]*float64, 70)
	for i := range long {
		long[i] = f(1)
	}
	if got := sparkline(long, historyLen); got != strings.Repeat("█", historyLen) {
		t.Errorf("sparkline of 70 samples: %q", got)
	}
}

// A Ctrl-C (a cancelled context) ends top with exit code 0.
func TestTopInterruptIsSuccess(t *testing.T) {
	c := newCLI(t).withSharedMemory()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan result, 1)
	go func() { done <- c.runCtx(ctx, "", "top", "--interval", "50ms") }()
	time.Sleep(200 * time.Millisecond)
	cancel()
	select {
	case r := <-done:
		if r.code != exitOK || len(lines(r.stdout)) == 0 {
			t.Fatalf("interrupted top: code %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("top did not end after the interrupt")
	}
}

// syncBuffer is a bytes.Buffer safe for a command writing while the test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// top reads the tiered store's series (two tiers, invalidations, circuit breakers) as cachekitprom
// names them; here from a fixed exposition whose counters grow by a known step per scrape.
func TestTopReadsTieredSeries(t *testing.T) {
	var mu sync.Mutex
	n := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		mu.Lock()
		n++
		k := float64(n)
		mu.Unlock()
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		fmt.Fprintf(w, `# TYPE cachekit_operations_total counter
cachekit_operations_total{kind="ticker",op="fetch",outcome="hit"} %v
cachekit_operations_total{kind="ticker",op="fetch",outcome="stale"} %v
cachekit_operations_total{kind="ticker",op="set",outcome="ok"} %v
# TYPE cachekit_store_hits_total counter
cachekit_store_hits_total{tier="l1"} %v
cachekit_store_hits_total{tier="l2"} %v
# TYPE cachekit_store_evictions_total counter
cachekit_store_evictions_total{tier="l1"} %v
cachekit_store_evictions_total{tier="l2"} 0
# TYPE cachekit_store_memory_bytes gauge
cachekit_store_memory_bytes{tier="l1"} 1000
cachekit_store_memory_bytes{tier="l2"} 5000
# TYPE cachekit_invalidations_received_total counter
cachekit_invalidations_received_total %v
# TYPE cachekit_breaker_state gauge
cachekit_breaker_state{endpoint="127.0.0.1:6379",state="closed"} 0
cachekit_breaker_state{endpoint="127.0.0.1:6379",state="half_open"} 0
cachekit_breaker_state{endpoint="127.0.0.1:6379",state="open"} 1
# TYPE cachekit_store_up gauge
cachekit_store_up 0
`, 300*k, 100*k, 50*k, 200*k, 100*k, 10*k, 5*k)
	}))
	defer srv.Close()
	r := newCLI(t).run("", "top", "--metrics", srv.URL+"/metrics", "--count", "2", "--interval", "100ms", "--json").expect(t, exitOK)
	got := lines(r.stdout)
	if len(got) != 2 {
		t.Fatalf("want 2 frames:\n%s", r.stdout)
	}
	var f topFrame
	if err := json.Unmarshal([]byte(got[1]), &f); err != nil {
		t.Fatal(err)
	}
	m := f.Metrics
	positive := func(name string, v *float64) {
		if v == nil || *v <= 0 {
			t.Errorf("%s: %v, want a positive rate", name, v)
		}
	}
	positive("l1_hits_per_s", m.L1HitsPerS)
	positive("l2_hits_per_s", m.L2HitsPerS)
	positive("evictions_per_s", m.EvictionsPerS)
	positive("invalidations_per_s", m.InvalidationsPerS)
	positive("stale_per_s", m.StalePerS)
	// Per scrape: 300 hits, 100 stale, 50 sets: requests 450, hit ratio 300/400.
	near := func(a, b float64) bool { return math.Abs(a-b) < 1e-9 }
	if m.HitRatio == nil || !near(*m.HitRatio, 0.75) || !near(*m.RequestsPerS / *m.StalePerS, 4.5) || !near(*m.L1HitsPerS / *m.L2HitsPerS, 2) {
		t.Errorf("ratios: hit %v requests/stale %v l1/l2 %v", m.HitRatio, *m.RequestsPerS / *m.StalePerS, *m.L1HitsPerS / *m.L2HitsPerS)
	}
	if m.MemoryBytes != 6000 || len(m.Tiers) != 2 || m.Tiers[1].Tier != "l2" || m.Tiers[1].MemoryBytes != 5000 {
		t.Errorf("memory %d tiers %+v", m.MemoryBytes, m.Tiers)
	}
	if len(m.Breakers) != 1 || m.Breakers[0] != (breakerRow{"127.0.0.1:6379", "open"}) || m.StoreUp == nil || *m.StoreUp {
		t.Errorf("breakers %+v store_up %v", m.Breakers, m.StoreUp)
	}
	r = newCLI(t).run("", "top", "--metrics", srv.URL+"/metrics", "--count", "1").expect(t, exitOK)
	if field(r.stdout, "breakers") != "127.0.0.1:6379=open" {
		t.Errorf("line: %q", r.stdout)
	}
}

// Every frame fits the terminal it is drawn on: no line wider than it, no more lines than its rows
// (and no newline after the last, which would scroll the title off a full screen), the title first,
// and, where the rows allow, the totals and breakers kept before anything else; below 40 columns, or
// when not even those fit, one summary line.
func TestTopScreenFitsTheTerminal(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	up := true
	hist := make([]*float64, historyLen)
	for i := range hist {
		hist[i] = f(float64(i%8) / 8)
	}
	var kinds []kindView
	for _, k := range []string{"", "deals", "ohlcv", "orderbook", "ticker", "a-very-long-kind-name-that-goes-on-and-on", "価格情報", "evil\x1b[2Jkind"} {
		kinds = append(kinds, kindView{Kind: k, RequestsPerS: f(1234.5), HitRatio: f(0.75), TotalHitRatio: f(0.8), StalePerS: f(0), History: hist})
	}
	brk := []breakerRow{{"10.0.0.1:6379", "open"}, {"10.0.0.2:6379", "half_open"}, {"10.0.0.3:6379", "open"}}
	full := topFrame{Time: time.Now(), Namespace: "qrl:v1:",
		Metrics: &metricsView{URL: "http://application.internal.example:9091/metrics", StoreUp: &up, RequestsPerS: f(9876.5),
			HitRatio: f(0.9), TotalHitRatio: f(0.91), StalePerS: f(1), L1HitsPerS: f(1), L2HitsPerS: f(2), EvictionsPerS: f(0),
			InvalidationsPerS: f(0), InvalidationsSentPerS: f(0), MemoryBytes: 1 << 20, Kinds: kinds, Breakers: brk,
			Tiers: []tierView{{"l1", 10, 1 << 20, 64 << 20}, {"l2", 1000, 1 << 30, 0}}},
		Store: &storeView{Target: "redis://cache.internal.example:6379/0", NamespaceKeys: 42, Keys: 1000, UsedBytes: 1 << 20,
			EvictionPolicy: "allkeys-lru", Breakers: brk}}
	failing := topFrame{Time: time.Now(), Metrics: &metricsView{URL: "http://127.0.0.1:1/metrics",
		Error: `Get "http://127.0.0.1:1/metrics": dial tcp 127.0.0.1:1: connect: connection refused`}}
	storeOnly := topFrame{Time: time.Now(), Namespace: "qrl:v1:", Store: full.Store}
	for name, fr := range map[string]topFrame{"full": full, "failing": failing, "store": storeOnly} {
		for _, size := range []screenSize{{24, 80}, {40, 140}, {50, 250}, {12, 60}, {6, 40}, {3, 80}, {1, 80}, {24, 39}, {24, 20}} {
			var b strings.Builder
			if err := writeScreen(&b, fr, time.Second, size); err != nil {
				t.Fatal(err)
			}
			out, ok := strings.CutPrefix(b.String(), escHomeClear)
			if !ok || strings.Contains(out, "\x1b") {
				t.Errorf("%s %dx%d: want one clear-screen, then no escape sequence: %q", name, size.cols, size.rows, b.String())
				continue
			}
			lines := strings.Split(out, "\n")
			if len(lines) > size.rows {
				t.Errorf("%s %dx%d: %d lines:\n%s", name, size.cols, size.rows, len(lines), out)
			}
			for _, l := range lines {
				if textWidth(l) > size.cols {
					t.Errorf("%s %dx%d: line of %d cells: %q", name, size.cols, size.rows, textWidth(l), l)
				}
			}
			summary := len(lines) == 1 && strings.HasPrefix(lines[0], "top ")
			switch {
			case size.cols < minScreenCols || size.rows < 3:
				if !summary {
					t.Errorf("%s %dx%d: want one summary line:\n%s", name, size.cols, size.rows, out)
				}
			case summary && size.rows <= 6: // the title, totals and breakers may need more rows
				if !strings.Contains(out, "hit 90.0% brk open:2") && !strings.Contains(out, "connection refused") && !strings.Contains(out, "store keys 42 brk") {
					t.Errorf("%s %dx%d: the summary lacks the hit ratio and breakers:\n%s", name, size.cols, size.rows, out)
				}
			case !strings.HasPrefix(lines[0], "cachekit top  "):
				t.Errorf("%s %dx%d: the title is not the first line:\n%s", name, size.cols, size.rows, out)
			case name == "full" && (!strings.Contains(out, "hit ratio 90.0%") || !strings.Contains(out, "10.0.0.1:6379=open")):
				t.Errorf("%s %dx%d: the hit ratio or the breakers were dropped:\n%s", name, size.cols, size.rows, out)
			case name == "failing" && !strings.Contains(out, "refused"):
				t.Errorf("%s %dx%d: the scrape error was dropped:\n%s", name, size.cols, size.rows, out)
			}
		}
	}

	// Wide enough, the sparkline shows all historyLen samples; at 80 columns what the others leave.
	var b strings.Builder
	_ = writeScreen(&b, full, time.Second, screenSize{50, 250})
	if !strings.Contains(b.String(), "hit ratio, last 60 samples") || !strings.Contains(b.String(), sparkline(hist, historyLen)) {
		t.Errorf("250 columns: want the 60-sample sparkline:\n%s", b.String())
	}
	b.Reset()
	_ = writeScreen(&b, topFrame{Time: time.Now(), Metrics: &metricsView{URL: "http://x/metrics", Kinds: kinds[4:5]}}, time.Second, defaultScreen)
	if !regexp.MustCompile(`(?m)^ticker +1234\.5 +75\.0% +80\.0% +0\.0 +[▁▂▃▄▅▆▇█]{10,}$`).MatchString(b.String()) {
		t.Errorf("80 columns: no sparkline on the ticker row:\n%s", b.String())
	}
}

// The built binary's top ends with 130 on a real SIGTERM (main keeps the signal as the context's cause).
func TestBinaryTopSIGTERM(t *testing.T) {
	cmd := exec.Command(buildCLI(t), "top", "--cache", "memory://", "--interval", "50ms")
	cmd.Env = newBinCLI(t, "").env
	out := &syncBuffer{}
	cmd.Stdout = out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	for deadline := time.Now().Add(30 * time.Second); !strings.Contains(out.String(), "\n"); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			t.Fatal("no frame within 30s")
		}
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if ee, ok := errors.AsType[*exec.ExitError](err); !ok || ee.ExitCode() != exitInterrupted {
			t.Errorf("top after SIGTERM: %v, want exit code %d", err, exitInterrupted)
		}
	case <-time.After(15 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatal("top did not end within 15s of SIGTERM")
	}
}
