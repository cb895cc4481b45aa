package chaos

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

// EnvReport names the file the fault report is written to as a markdown table (unset: t.Log only).
const EnvReport = "CACHEKIT_CHAOS_REPORT"

// row is one scenario on one backend, as the fault report shows it.
type row struct {
	scenario, backend, goal string

	calls                 int
	fetchP99              time.Duration // during the fault (from injection until Redis answers again)
	fetchBaseP99          time.Duration // healthy, before the fault
	fetchWorst            time.Duration // over the whole run
	fetchBound, fetchGoal time.Duration
	callWorst, callBound  time.Duration
	callGoal              time.Duration // 0: no goal beyond the bound
	callWorstOp           string
	errors                map[op]int
	loads, storeErrors    int64
	stale, staleCounted   int64
	corrupt               int64
	staleMaxAge           time.Duration
	staleViolations       []string
	hotServed, hotMissed  int
	opens, closes         []time.Duration // since the fault began
	openedEndpoint        string
	openCause             string // what opened the first breaker
	watching              bool
	toNormal              time.Duration
	checked, lost         int
	violations, late      int
}

func (r *row) staleViolation(format string, args ...any) {
	if len(r.staleViolations) < 5 {
		r.staleViolations = append(r.staleViolations, fmt.Sprintf(format, args...))
	}
}

// percentile returns the q-quantile (0 < q ≤ 1) of ds, 0 for none.
func percentile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(q*float64(len(s))+0.5) - 1
	return s[min(max(i, 0), len(s)-1)]
}

func ms(d time.Duration) string {
	switch {
	case d == 0:
		return "0"
	case d < 10*time.Millisecond:
		return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
	}
	return fmt.Sprintf("%d ms", d.Round(time.Millisecond).Milliseconds())
}

func times(ds []time.Duration) string {
	if len(ds) == 0 {
		return "–"
	}
	var parts []string
	for i, d := range ds {
		if i == 3 {
			parts = append(parts, fmt.Sprintf("… (%d)", len(ds)))
			break
		}
		parts = append(parts, fmt.Sprintf("%+.2fs", d.Seconds()))
	}
	return strings.Join(parts, " ")
}

func (r row) errorsText() string {
	var parts []string
	for o := range numOps {
		if n := r.errors[o]; n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", o, n))
		}
	}
	if len(parts) == 0 {
		return "0"
	}
	return strings.Join(parts, ", ")
}

var header = []string{"scenario", "backend", "Fetch p99 healthy", "Fetch p99 (fault)", "Fetch worst", "Fetch goal / bound",
	"worst other call", "call goal / bound", "breaker opened", "breaker closed", "stale serves (max age)",
	"hot keys served / not", "errors seen by caller", "time to normal", "keys: lost / violations", "goal (issue 12)"}

func (r row) cells() []string {
	opened := times(r.opens)
	if !r.watching {
		opened = "no watcher"
	} else if r.openedEndpoint != "" {
		opened += " (" + r.openedEndpoint + ")"
	}
	return []string{
		r.scenario, r.backend,
		ms(r.fetchBaseP99), ms(r.fetchP99), ms(r.fetchWorst), ms(r.fetchGoal) + " / " + ms(r.fetchBound),
		ms(r.callWorst) + " " + r.callWorstOp, goalBound(r.callGoal, r.callBound),
		opened, times(r.closes),
		fmt.Sprintf("%d (%s)", r.stale, ms(r.staleMaxAge)),
		fmt.Sprintf("%d / %d", r.hotServed, r.hotMissed),
		r.errorsText(), ms(r.toNormal),
		r.keysText(),
		r.goal,
	}
}

func (r row) keysText() string {
	s := fmt.Sprintf("%d / %d of %d reads", r.lost, r.violations, r.checked)
	if r.late > 0 {
		s += fmt.Sprintf(" (%d: an earlier write landed after a later acknowledged one)", r.late)
	}
	return s
}

func goalBound(goal, bound time.Duration) string {
	if goal == 0 {
		return "– / " + ms(bound)
	}
	return ms(goal) + " / " + ms(bound)
}

// markdown renders rows as a markdown table.
func markdown(rows []row) string {
	var b strings.Builder
	b.WriteString("| " + strings.Join(header, " | ") + " |\n|")
	for range header {
		b.WriteString("---|")
	}
	b.WriteString("\n")
	for _, r := range rows {
		b.WriteString("| " + strings.Join(r.cells(), " | ") + " |\n")
	}
	return b.String()
}

// report logs the rows (always, so CI logs carry them) and writes them to EnvReport's file when set.
func report(t *testing.T, rows []row, notes []string, elapsed time.Duration) {
	t.Helper()
	text := fmt.Sprintf("## Fault report (internal/chaos, %d workers, %v loader, %v)\n\n", workers, loaderDelay, elapsed.Round(time.Second)) +
		"Times of breaker changes are seconds since the fault began. Fetch p99 is over the fault (injection until Redis answers again); worst over the whole run. " +
		"Hot keys: tiered L1 copies past their L1 TTL during the fault, served (flagged stale) or not. " +
		"Keys: acknowledged writes the fault itself may lose (a restart, an asynchronous failover) / reads that broke the rule.\n\n" + markdown(rows)
	for _, n := range notes {
		text += "\n- " + n
	}
	t.Log("\n" + text)
	if path := os.Getenv(EnvReport); path != "" {
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Errorf("write %s=%s: %v", EnvReport, path, err)
		}
	}
}
