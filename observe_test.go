package cachekit_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cachekit/cachekit"
)

// recorder is an Observer that keeps what it hears.
type recorder struct {
	mu     sync.Mutex
	counts map[string]int // "op/kind/outcome" → n
	times  map[string]int // "op/kind" → calls timed
	stale  []time.Duration
}

func newRecorder() *recorder {
	return &recorder{counts: map[string]int{}, times: map[string]int{}}
}

func (r *recorder) Count(op cachekit.Op, kind string, o cachekit.Outcome, n int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.counts[fmt.Sprintf("%s/%s/%s", op, kind, o)] += n
}

func (r *recorder) Time(op cachekit.Op, kind string, d time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if d < 0 {
		panic("negative duration")
	}
	r.times[fmt.Sprintf("%s/%s", op, kind)]++
}

func (r *recorder) Stale(kind string, age time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stale = append(r.stale, age)
}

func (r *recorder) snapshot() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var lines []string
	for k, n := range r.counts {
		lines = append(lines, fmt.Sprintf("%s=%d", k, n))
	}
	sort.Strings(lines)
	return strings.Join(lines, " ")
}

// Every lookup, write and load reports its outcome once, under its key's kind; a corrupt entry reports
// corrupt and miss (as Counters does); a stale serve reports its age; loads are always timed.
func TestObserverHearsEveryOutcome(t *testing.T) {
	ctx := context.Background()
	clock := newFakeClock()
	c := newCache(t, cachekit.WithClock(clock.Now), cachekit.WithDefaultPolicy(cachekit.Policy{StaleWhileRevalidate: time.Minute}))
	rec := newRecorder()
	c.SetObserver(rec)

	if err := c.Set(ctx, "ticker:A", ticker{Symbol: "A"}, 0); err != nil {
		t.Fatal(err)
	}
	var tk ticker
	for range 2 {
		if err := c.Get(ctx, "ticker:A", &tk); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Get(ctx, "ticker:B", &tk); !errors.Is(err, cachekit.ErrNotFound) {
		t.Fatalf("Get of a missing key: %v", err)
	}
	var n int
	if err := c.Get(ctx, "ticker:A", &n); !errors.Is(err, cachekit.ErrTypeMismatch) {
		t.Fatalf("Get into the wrong type: %v", err)
	}
	full := "qrl:v1:ohlcv:X"
	if err := c.Store().Set(ctx, full, []byte("\x00junk"), time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := c.Get(ctx, "ohlcv:X", &tk); !errors.Is(err, cachekit.ErrNotFound) {
		t.Fatalf("Get of a corrupt entry: %v", err)
	}
	if _, err := cachekit.GetMany[ticker](ctx, c, []string{"ticker:A", "deals:none"}); err != nil {
		t.Fatal(err)
	}

	// Fetch: a miss that loads, a fresh hit, a stale serve, a failing loader and a panicking one.
	load := func(context.Context) (ticker, error) { return ticker{Symbol: "F"}, nil }
	if _, err := cachekit.Fetch(ctx, c, "book:F", time.Second, load); err != nil {
		t.Fatal(err)
	}
	// The load's write lands behind its caller: wait for it, so the next Fetch reads a hit.
	waitFor(t, 5*time.Second, func() bool {
		_, err := c.Store().Get(ctx, "qrl:v1:book:F")
		return err == nil
	})
	if _, err := cachekit.Fetch(ctx, c, "book:F", time.Second, load); err != nil {
		t.Fatal(err)
	}
	clock.Advance(3 * time.Second)
	r, err := cachekit.FetchResult(ctx, c, "book:F", time.Second, load)
	if err != nil || !r.Stale {
		t.Fatalf("Fetch past the fresh TTL: stale %v, err %v", r.Stale, err)
	}
	fail := func(context.Context) (ticker, error) { return ticker{}, errors.New("source down") }
	if _, err := cachekit.Fetch(ctx, c, "book:G", time.Second, fail); err == nil {
		t.Fatal("a failing loader's Fetch succeeded")
	}
	boom := func(context.Context) (ticker, error) { panic("boom") }
	if _, err := cachekit.Fetch(ctx, c, "book:H", time.Second, boom); err == nil {
		t.Fatal("a panicking loader's Fetch succeeded")
	}
	if err := c.SetMany(ctx, []cachekit.Entry{{Key: "deals:1", Value: 1}, {Key: "deals:2", Value: 2}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Delete(ctx, "deals:1"); err != nil {
		t.Fatal(err)
	}
	c.Close() // waits for the stale serve's background refresh, which loads once more

	got := rec.snapshot()
	for _, w := range []string{
		"set/ticker/ok=1",
		"get/ticker/hit=2",
		"get/ticker/miss=1",
		"get/ticker/type_mismatch=1",
		"get/ohlcv/corrupt=1",
		"get/ohlcv/miss=1",
		"get_many/ticker/hit=1",
		"get_many/deals/miss=1",
		"fetch/book/miss=3", // F's first Fetch, G's, H's
		"fetch/book/hit=1",
		"fetch/book/stale=1",
		"load/book/ok=2", // F, and F's background refresh
		"load/book/error=1",
		"load/book/panic=1",
		"set_many/deals/ok=2",
		"delete//ok=1",
	} {
		if !strings.Contains(" "+got+" ", " "+w+" ") {
			t.Errorf("missing %s\nheard: %s", w, got)
		}
	}
	for _, f := range strings.Fields(got) {
		if strings.Contains(f, "/error=") && !strings.HasPrefix(f, "load/") {
			t.Errorf("an error outcome no store failure caused: %s", f)
		}
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if rec.times["load/book"] != 4 {
		t.Errorf("loads timed: %d, want every one of the 4", rec.times["load/book"])
	}
	if len(rec.stale) != 1 || rec.stale[0] != 3*time.Second {
		t.Errorf("stale ages heard: %v, want [3s]", rec.stale)
	}
}

// Without an Observer nothing is reported, and SetObserver(nil) stops the reports.
func TestObserverRemoved(t *testing.T) {
	ctx := context.Background()
	c := newCache(t)
	rec := newRecorder()
	c.SetObserver(rec)
	_ = c.Set(ctx, "ticker:A", 1, 0)
	c.SetObserver(nil)
	_ = c.Set(ctx, "ticker:A", 2, 0)
	if got := rec.snapshot(); got != "set/ticker/ok=1" {
		t.Errorf("heard %q, want only the Set made while observed", got)
	}
}

// RemoveObserver removes only the Observer it is given: one installed later stays, and an Observer
// whose type is not comparable is never removed (nor does the comparison panic).
func TestRemoveObserverKeepsALaterOne(t *testing.T) {
	ctx := context.Background()
	c := newCache(t)
	first, second := newRecorder(), newRecorder()
	c.SetObserver(first)
	c.SetObserver(second)
	if c.RemoveObserver(first) {
		t.Error("RemoveObserver(first) = true after second replaced it")
	}
	_ = c.Set(ctx, "ticker:A", 1, 0)
	if got := second.snapshot(); got != "set/ticker/ok=1" {
		t.Errorf("second heard %q; want the Set (it must still be installed)", got)
	}
	if !c.RemoveObserver(second) || c.RemoveObserver(second) {
		t.Error("RemoveObserver(second): want true once, then false")
	}
	_ = c.Set(ctx, "ticker:A", 2, 0)
	if got := second.snapshot(); got != "set/ticker/ok=1" {
		t.Errorf("second heard %q after its removal; want nothing more", got)
	}
	c.SetObserver(unhashable{})
	if c.RemoveObserver(unhashable{}) {
		t.Error("RemoveObserver of a non-comparable Observer = true; want false")
	}
}

// unhashable is an Observer whose type cannot be compared.
type unhashable struct{ _ []int }

func (unhashable) Count(cachekit.Op, string, cachekit.Outcome, int) {}
func (unhashable) Time(cachekit.Op, string, time.Duration)          {}
func (unhashable) Stale(string, time.Duration)                      {}

// About one call in LatencySampleEvery is timed: over many calls the share is near 1/32, never all.
func TestObserverSamplesLatency(t *testing.T) {
	ctx := context.Background()
	c := newCache(t)
	rec := newRecorder()
	c.SetObserver(rec)
	_ = c.Set(ctx, "ticker:A", 1, 0)
	const calls = 32 * 400
	var v int
	for range calls {
		_ = c.Get(ctx, "ticker:A", &v)
	}
	rec.mu.Lock()
	timed := rec.times["get/ticker"]
	rec.mu.Unlock()
	// Binomial(12800, 1/32): mean 400, sd ≈ 19.7; ±30% is over 6 sd.
	if timed < 280 || timed > 520 {
		t.Errorf("%d of %d Gets timed, want about %d", timed, calls, calls/cachekit.LatencySampleEvery)
	}
}
