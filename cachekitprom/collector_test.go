package cachekitprom_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/cachekit/cachekit"
	"github.com/cachekit/cachekit/cachekitprom"
	"github.com/cachekit/cachekit/store"
	_ "github.com/cachekit/cachekit/store/memory"
)

type quote struct {
	Symbol string `json:"symbol"`
	Last   string `json:"last"`
}

// openMemory opens a memory Cache, closed at the end of the test.
func openMemory(t *testing.T, opts ...cachekit.Option) *cachekit.Cache {
	t.Helper()
	c, err := cachekit.Open(context.Background(), "memory://", opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// op is the operations_total series of op, kind and outcome.
func op(o, kind, outcome string) string {
	return series("cachekit_operations_total", map[string]string{"op": o, "kind": kind, "outcome": outcome})
}

// A scripted workload on a memory Cache, scraped through promhttp: every operation counter has exactly
// the value the workload implies (and no other series exists), loads and stale serves fill their
// histograms, and the store gauges carry tier="l1" and the eviction policy.
func TestScrapeMemoryWorkload(t *testing.T) {
	ctx := context.Background()
	clock := newFakeClock()
	c := openMemory(t, cachekit.WithClock(clock.Now),
		cachekit.WithPolicy("book", cachekit.Policy{StaleWhileRevalidate: time.Minute}))
	reg := prometheus.NewRegistry()
	col := cachekitprom.New(c)
	reg.MustRegister(col)

	for i := range 3 {
		if err := c.Set(ctx, "ticker:A", quote{Symbol: "A", Last: fmt.Sprint(i)}, time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	var q quote
	for range 2 {
		if err := c.Get(ctx, "ticker:A", &q); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Get(ctx, "ticker:B", &q); !errors.Is(err, cachekit.ErrNotFound) {
		t.Fatalf("Get of a missing key: %v", err)
	}
	if err := c.Store().Set(ctx, c.Keyspace().Prefix()+"ohlcv:X", []byte("\x00junk"), time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := c.Get(ctx, "ohlcv:X", &q); !errors.Is(err, cachekit.ErrNotFound) {
		t.Fatalf("Get of a corrupt entry: %v", err)
	}
	var n int
	if err := c.Get(ctx, "ticker:A", &n); !errors.Is(err, cachekit.ErrTypeMismatch) {
		t.Fatalf("Get into the wrong type: %v", err)
	}
	fail := func(context.Context) (quote, error) { return quote{}, errors.New("exchange down") }
	if _, err := cachekit.Fetch(ctx, c, "deals:E", time.Second, fail); err == nil {
		t.Fatal("Fetch with a failing loader succeeded")
	}
	boom := func(context.Context) (quote, error) { panic("boom") }
	if _, err := cachekit.Fetch(ctx, c, "deals:P", time.Second, boom); err == nil {
		t.Fatal("Fetch with a panicking loader succeeded")
	}
	load := func(context.Context) (quote, error) { return quote{Symbol: "S"}, nil }
	if _, err := cachekit.Fetch(ctx, c, "book:S", time.Second, load); err != nil {
		t.Fatal(err)
	}
	// Fetch writes behind the call: wait for the value, or the next Fetch finds nothing and loads.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
		if found, err := c.Exists(ctx, "book:S"); err == nil && found {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("Fetch's write of book:S never landed")
		}
	}
	clock.Advance(3 * time.Second)
	r, err := cachekit.FetchResult(ctx, c, "book:S", time.Second, load)
	if err != nil || !r.Stale {
		t.Fatalf("Fetch past the fresh TTL: stale %v, err %v", r.Stale, err)
	}

	// The stale serve's refresh loads in the background: wait for it (counted, then timed), then check
	// everything.
	got := eventually(t, reg, "the background refresh's load", func(r scrapeResult) bool {
		return r.samples[op("load", "book", "ok")].value == 2 &&
			r.samples[`cachekit_load_duration_seconds{kind="book"}`].count == 2 &&
			r.samples[`cachekit_operation_duration_seconds{op="load"}`].count == 4
	})
	want := map[string]float64{
		op("set", "ticker", "ok"):            3,
		op("get", "ticker", "hit"):           2,
		op("get", "ticker", "miss"):          1,
		op("get", "ticker", "type_mismatch"): 1,
		op("get", "ohlcv", "corrupt"):        1,
		op("get", "ohlcv", "miss"):           1,
		op("fetch", "deals", "miss"):         2,
		op("load", "deals", "error"):         1,
		op("load", "deals", "panic"):         1,
		op("fetch", "book", "miss"):          1,
		op("fetch", "book", "stale"):         1,
		op("load", "book", "ok"):             2,
	}
	keys := got.withPrefix("cachekit_operations_total")
	if len(keys) != len(want) {
		t.Errorf("operations_total series: %d, want %d:\n%s", len(keys), len(want), strings.Join(keys, "\n"))
	}
	for k, v := range want {
		if g := got.value(t, k); g != v {
			t.Errorf("%s = %v, want %v", k, g, v)
		}
		if typ := got.samples[k].typ; typ != "COUNTER" {
			t.Errorf("%s is a %s, want a counter", k, typ)
		}
	}

	// Histograms: every load timed (per kind and as op="load"), the stale serve's age exactly 3 s.
	if h := got.hist(t, `cachekit_load_duration_seconds{kind="deals"}`); h.count != 2 {
		t.Errorf("deals loads timed: %d, want 2", h.count)
	}
	if h := got.hist(t, `cachekit_load_duration_seconds{kind="book"}`); h.count != 2 {
		t.Errorf("book loads timed: %d, want 2", h.count)
	}
	if h := got.hist(t, `cachekit_operation_duration_seconds{op="load"}`); h.count != 4 {
		t.Errorf("op=load timed: %d, want 4", h.count)
	}
	if h := got.hist(t, `cachekit_stale_age_seconds{kind="book"}`); h.count != 1 || h.sum != 3 {
		t.Errorf("stale ages: count %d sum %v, want 1 and 3", h.count, h.sum)
	}
	// Cache calls are sampled about 1 in 32: 10 calls of set/get/fetch may or may not be timed, but a
	// series exists for every operation (all children are made up front), never more than were made.
	if h := got.hist(t, `cachekit_operation_duration_seconds{op="get"}`); h.count > 5 {
		t.Errorf("op=get timed %d times, more than the 5 Gets made", h.count)
	}

	// Counters without I/O, and the store's figures.
	for _, k := range []string{"cachekit_fetch_coalesced_total{}", "cachekit_fetch_store_errors_total{}",
		"cachekit_leases_taken_total{}", "cachekit_lease_waits_total{}", "cachekit_encode_errors_total{}"} {
		if v := got.value(t, k); v != 0 {
			t.Errorf("%s = %v, want 0", k, v)
		}
	}
	if v := got.value(t, "cachekit_store_up{}"); v != 1 {
		t.Errorf("store_up = %v, want 1", v)
	}
	if v := got.value(t, "cachekit_namespace_keys{}"); v != 2 { // ticker:A and book:S (the corrupt entry was deleted)
		t.Errorf("namespace_keys = %v, want 2", v)
	}
	l1 := `{tier="l1"}`
	if v := got.value(t, "cachekit_store_keys"+l1); v != 2 {
		t.Errorf("store_keys{l1} = %v, want 2", v)
	}
	if v := got.value(t, "cachekit_store_memory_max_bytes"+l1); v != 64<<20 {
		t.Errorf("store_memory_max_bytes{l1} = %v, want the 64 MiB default", v)
	}
	if v := got.value(t, "cachekit_store_memory_bytes"+l1); v <= 0 {
		t.Errorf("store_memory_bytes{l1} = %v, want > 0", v)
	}
	for _, k := range []string{"cachekit_store_evictions_total", "cachekit_store_rejected_sets_total",
		"cachekit_store_hits_total", "cachekit_store_misses_total"} {
		got.value(t, k+l1)
		if typ := got.samples[k+l1].typ; typ != "COUNTER" {
			t.Errorf("%s is a %s, want a counter", k, typ)
		}
	}
	if v := got.value(t, `cachekit_store_eviction_policy_info{policy="tinylfu",tier="l1"}`); v != 1 {
		t.Errorf("eviction_policy_info = %v, want 1", v)
	}
	if k := got.withPrefix("cachekit_store_keys"); len(k) != 1 {
		t.Errorf("store_keys series %v, want only tier l1 (a memory store has one tier)", k)
	}
	// No tiered store, no breaker: those metrics are absent.
	for _, name := range []string{"cachekit_breaker_state", "cachekit_invalidations_sent_total"} {
		if k := got.withPrefix(name); len(k) != 0 {
			t.Errorf("%s on a memory store: %v", name, k)
		}
	}

	for _, line := range []string{
		"# HELP cachekit_operations_total Cache operations by key: op, the key's kind (first segment, bounded) and outcome.",
		"# TYPE cachekit_operations_total counter",
		"# TYPE cachekit_operation_duration_seconds histogram",
		"# TYPE cachekit_load_duration_seconds histogram",
		"# TYPE cachekit_stale_age_seconds histogram",
		"# TYPE cachekit_store_keys gauge",
		"# TYPE cachekit_store_evictions_total counter",
		"# TYPE cachekit_store_eviction_policy_info gauge",
		"# TYPE cachekit_store_up gauge",
		"# TYPE cachekit_invalidation_lag_seconds histogram",
		"# TYPE cachekit_invalidation_subscription_losses_total counter",
	} {
		if !strings.Contains(got.text, line+"\n") {
			t.Errorf("scrape lacks the line %q", line)
		}
	}
	t.Logf("scrape:\n%s", got.text)

	// Close: the Collector hears nothing more, and what it counted stays exported.
	col.Close()
	_ = c.Get(ctx, "ticker:A", &q)
	after := scrape(t, reg)
	if v := after.value(t, op("get", "ticker", "hit")); v != 2 {
		t.Errorf("after Close: get/ticker/hit = %v, want still 2", v)
	}
}

// Close of a Collector that is no longer the Cache's Observer leaves the later one installed; closing
// it while it still is removes it.
func TestCloseKeepsALaterObserver(t *testing.T) {
	ctx := context.Background()
	c := openMemory(t)
	first := cachekitprom.New(c)
	second := cachekitprom.New(c)
	reg := prometheus.NewRegistry()
	reg.MustRegister(second)
	first.Close()
	var q quote
	_ = c.Get(ctx, "ticker:A", &q)
	if v := scrape(t, reg).value(t, op("get", "ticker", "miss")); v != 1 {
		t.Errorf("after closing the replaced Collector: get/ticker/miss = %v on the later one, want 1", v)
	}
	second.Close()
	_ = c.Get(ctx, "ticker:A", &q)
	if v := scrape(t, reg).value(t, op("get", "ticker", "miss")); v != 1 {
		t.Errorf("after closing the later Collector too: get/ticker/miss = %v, want still 1", v)
	}
}

// WithMaxKinds(2): the first two kinds keep their label, the other three are counted as kind="other";
// a real kind named "other" shares that series, and a call over several keys has kind "".
func TestKindBound(t *testing.T) {
	ctx := context.Background()
	c := openMemory(t)
	reg := prometheus.NewRegistry()
	reg.MustRegister(cachekitprom.New(c, cachekitprom.WithMaxKinds(2)))
	for _, kind := range []string{"a", "b", "c", "d", "e", "a", "other"} {
		if err := c.Set(ctx, kind+":1", 1, time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.Delete(ctx, "a:1", "b:1"); err != nil {
		t.Fatal(err)
	}
	got := scrape(t, reg)
	want := map[string]float64{
		op("set", "a", "ok"):     2,
		op("set", "b", "ok"):     1,
		op("set", "other", "ok"): 4, // c, d, e and "other" itself
		op("delete", "", "ok"):   1,
	}
	keys := got.withPrefix("cachekit_operations_total")
	if len(keys) != len(want) {
		t.Errorf("series %v, want exactly %d", keys, len(want))
	}
	for k, v := range want {
		if g := got.value(t, k); g != v {
			t.Errorf("%s = %v, want %v", k, g, v)
		}
	}
}

// WithMaxKinds(0) counts every kind as "other"; WithConstLabels tells two Caches apart in one registry.
func TestNoKindsAndConstLabels(t *testing.T) {
	ctx := context.Background()
	a, b := openMemory(t), openMemory(t)
	reg := prometheus.NewRegistry()
	reg.MustRegister(cachekitprom.New(a, cachekitprom.WithMaxKinds(0), cachekitprom.WithConstLabels(prometheus.Labels{"cache": "a"})))
	reg.MustRegister(cachekitprom.New(b, cachekitprom.WithConstLabels(prometheus.Labels{"cache": "b"})))
	_ = a.Set(ctx, "ticker:1", 1, time.Minute)
	_ = b.Set(ctx, "ticker:1", 1, time.Minute)
	got := scrape(t, reg)
	lbl := func(cache, kind string) string {
		return series("cachekit_operations_total", map[string]string{"cache": cache, "op": "set", "kind": kind, "outcome": "ok"})
	}
	if v := got.value(t, lbl("a", "other")); v != 1 {
		t.Errorf("cache a: %v, want 1 under other", v)
	}
	if v := got.value(t, lbl("b", "ticker")); v != 1 {
		t.Errorf("cache b: %v, want 1 under ticker", v)
	}
	if v := got.value(t, `cachekit_store_up{cache="b"}`); v != 1 {
		t.Errorf("store_up{cache=b} = %v", v)
	}
}

// Registration errors are errors, never panics: two Collectors with the same labels, a const label
// that clashes with a metric's own, a nil Cache.
func TestRegisterErrors(t *testing.T) {
	c := openMemory(t)
	reg := prometheus.NewRegistry()
	reg.MustRegister(cachekitprom.New(c))
	second := cachekitprom.New(openMemory(t))
	if err := reg.Register(second); err == nil {
		t.Error("a second Collector without const labels registered: its series would collide")
	}
	clash := cachekitprom.New(openMemory(t), cachekitprom.WithConstLabels(prometheus.Labels{"kind": "x"}))
	if err := prometheus.NewRegistry().Register(clash); err == nil || !strings.Contains(err.Error(), "kind") {
		t.Errorf("a const label named kind: %v, want an error naming it", err)
	}
	if err := prometheus.NewRegistry().Register(cachekitprom.New(nil)); err == nil || !strings.Contains(err.Error(), "nil") {
		t.Errorf("New(nil): %v, want an error naming the nil Cache", err)
	}
}

// A closed Cache still exports its counters; the store is reported down and its gauges left out.
func TestScrapeClosedCache(t *testing.T) {
	ctx := context.Background()
	c := openMemory(t)
	reg := prometheus.NewRegistry()
	reg.MustRegister(cachekitprom.New(c))
	_ = c.Set(ctx, "ticker:1", 1, time.Minute)
	_ = c.Close()
	got := scrape(t, reg)
	if v := got.value(t, "cachekit_store_up{}"); v != 0 {
		t.Errorf("store_up = %v after Close, want 0", v)
	}
	if k := got.withPrefix("cachekit_store_keys"); len(k) != 0 {
		t.Errorf("store gauges of a closed Cache: %v", k)
	}
	if v := got.value(t, op("set", "ticker", "ok")); v != 1 {
		t.Errorf("set/ticker/ok = %v, want 1", v)
	}
}

// slowScan is a memory store whose Scan (the namespace key count) takes a second and a half: a large
// database, as far as the count is concerned. Every other call is the real store's.
type slowScan struct{ store.Store }

func (s slowScan) Scan(ctx context.Context, pattern string, fn func(key string) bool) error {
	select {
	case <-time.After(1500 * time.Millisecond):
	case <-ctx.Done():
		return ctx.Err()
	}
	return s.Store.Scan(ctx, pattern, fn)
}

// A store that reports its Stats is up, even while the first namespace key count outlasts the scrape:
// cachekit_store_up is 1 at once, the store's gauges are there, and the key count appears once done.
func TestStoreUpWhileTheKeyCountRuns(t *testing.T) {
	ctx := context.Background()
	mem, err := store.Open(ctx, "memory://")
	if err != nil {
		t.Fatal(err)
	}
	c, err := cachekit.New(slowScan{mem})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	if err := c.Set(ctx, "ticker:A", quote{Symbol: "A"}, time.Hour); err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(cachekitprom.New(c, cachekitprom.WithScrapeTimeout(200*time.Millisecond)))
	got := scrape(t, reg)
	if v := got.value(t, "cachekit_store_up{}"); v != 1 {
		t.Errorf("cachekit_store_up = %v while the key count runs; want 1", v)
	}
	if v := got.value(t, series("cachekit_store_keys", map[string]string{"tier": "l1"})); v != 1 {
		t.Errorf("cachekit_store_keys{tier=l1} = %v; want 1", v)
	}
	if strings.Contains(got.text, "cachekit_namespace_keys ") {
		t.Errorf("namespace key count exported before it was counted:\n%s", got.text)
	}
}
