package chaos

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cachekit/cachekit"
	"github.com/cachekit/cachekit/store"
)

// TestLedgerRule checks the read rule the scenarios rely on, case by case: it must pass what the
// contract allows and catch everything else.
func TestLedgerRule(t *testing.T) {
	now := time.Now()
	unavailable := fmt.Errorf("redis set: %w", store.ErrUnavailable)
	refused := fmt.Errorf("redis set: %w", errors.Join(store.ErrCircuitOpen, store.ErrUnavailable))
	// write 1 acknowledged, write 2 failed (unknown), write 3 refused by the breaker, write 4 acknowledged
	// ... then the read: what was read, and whether it breaks the rule.
	setup := func(l *ledger) {
		for i, err := range []error{nil, unavailable, refused} {
			l.wrote("k", l.next("k"), err, now.Add(time.Duration(i)*time.Millisecond), "Set")
		}
	}
	cases := []struct {
		name    string
		more    []error // further writes after the setup
		read    int64   // 0: a miss
		mayLose bool
		violate bool
		late    bool
	}{
		{name: "the acknowledged value", read: 1},
		{name: "a later write of unknown outcome", read: 2},
		{name: "a write the breaker refused", read: 3, violate: true},
		{name: "a value never written", read: 9, violate: true},
		{name: "a miss after an acknowledged write", read: 0, violate: true},
		{name: "a miss the fault may cause", read: 0, mayLose: true},
		{name: "an older acknowledged value", more: []error{nil}, read: 1, violate: true, late: true},
		{name: "an unknown write landing after a later acknowledged one", more: []error{nil}, read: 2, violate: true, late: true},
		{name: "an older value the fault may cause", more: []error{nil}, read: 1, mayLose: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l := newLedger()
			setup(l)
			for _, err := range c.more {
				l.wrote("k", l.next("k"), err, now.Add(time.Second), "Set")
			}
			if c.mayLose {
				l.mayLose = func(time.Time) bool { return true }
			}
			var err error
			if c.read == 0 {
				err = fmt.Errorf("redis get: %w", cachekit.ErrNotFound)
			}
			if cerr := l.read("k", fval{Seq: c.read}, err, now.Add(2*time.Second)); cerr != nil {
				t.Fatalf("read returned the caller error %v for a miss or a value", cerr)
			}
			if got := l.nviol > 0; got != c.violate {
				t.Errorf("violation = %v, want %v (%v)", got, c.violate, l.violations)
			}
			if got := l.late > 0; got != c.late {
				t.Errorf("late landing = %v, want %v", got, c.late)
			}
			if c.mayLose && l.lost != 1 {
				t.Errorf("lost = %d, want 1 (counted, not failed)", l.lost)
			}
		})
	}
	// A store error is the caller's, not a value to judge.
	l := newLedger()
	if err := l.read("k", fval{}, unavailable, now); !errors.Is(err, store.ErrUnavailable) || l.checked != 0 {
		t.Errorf("read of a failed Get = %v (checked %d), want the error back and nothing checked", err, l.checked)
	}
}

// TestStaleWindows checks checkStale: values past their fresh TTL must be flagged and within the stale
// window; flagged copies within the TTL (the tiered fail-safe's) are fine.
func TestStaleWindows(t *testing.T) {
	cases := []struct {
		name string
		s    sample
		bad  bool
	}{
		{"fresh, unflagged", sample{op: opFetch, cached: true, fresh: true, age: 200 * time.Millisecond}, false},
		{"past its TTL, flagged, in the window", sample{op: opFetch, cached: true, stale: true, age: fetchTTL + fetchSWR/2}, false},
		{"past its window", sample{op: opFetch, cached: true, stale: true, age: fetchTTL + fetchSWR + time.Second}, true},
		{"past its TTL, unflagged", sample{op: opFetch, cached: true, age: fetchTTL + 300*time.Millisecond}, true},
		{"a tiered fail-safe copy", sample{op: opHotFetch, cached: true, stale: true, fresh: true, age: 8 * time.Second}, false},
		{"loaded, not judged", sample{op: opFetch, age: time.Hour}, false},
	}
	for _, c := range cases {
		var r row
		checkStale(&r, c.s)
		if got := len(r.staleViolations) > 0; got != c.bad {
			t.Errorf("%s: violation = %v, want %v (%v)", c.name, got, c.bad, r.staleViolations)
		}
	}
}

// TestReportTable checks the markdown report: one header, one row per backend, the figures in place.
func TestReportTable(t *testing.T) {
	rows := []row{{
		scenario: "pause 5s", backend: "redis", fetchP99: 69 * time.Millisecond, fetchGoal: fetchGoal,
		fetchBound: fetchBound, watching: true, opens: []time.Duration{50 * time.Millisecond},
		closes: []time.Duration{5 * time.Second}, openedEndpoint: "127.0.0.1:6379", errors: map[op]int{opSet: 3},
	}}
	md := markdown(rows)
	lines := strings.Split(strings.TrimSpace(md), "\n")
	if len(lines) != 3 {
		t.Fatalf("table has %d lines, want header, rule and one row:\n%s", len(lines), md)
	}
	for _, want := range []string{"| pause 5s | redis |", "69 ms", "+0.05s (127.0.0.1:6379)", "+5.00s", "set 3"} {
		if !strings.Contains(lines[2], want) {
			t.Errorf("row %q lacks %q", lines[2], want)
		}
	}
	if got, want := strings.Count(lines[0], "|"), strings.Count(lines[2], "|"); got != want {
		t.Errorf("header has %d cells, row %d", got-1, want-1)
	}
}
