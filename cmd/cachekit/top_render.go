package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// Terminal control sequences of the live view (VT100/xterm, understood by every terminal in use).
const (
	escAltScreenEnter = "\x1b[?1049h"
	escAltScreenLeave = "\x1b[?1049l"
	escCursorHide     = "\x1b[?25l"
	escCursorShow     = "\x1b[?25h"
	escHomeClear      = "\x1b[H\x1b[2J"
)

// sparkChars are the eight levels of a sparkline, lowest first.
var sparkChars = []rune("▁▂▃▄▅▆▇█")

// sparkline draws ratios (0..1) as one character each, right-aligned in width cells; a nil ratio (no
// lookups in that interval) is a blank.
func sparkline(h []*float64, width int) string {
	if len(h) > width {
		h = h[len(h)-width:]
	}
	var b strings.Builder
	b.WriteString(strings.Repeat(" ", width-len(h)))
	for _, r := range h {
		if r == nil {
			b.WriteByte(' ')
			continue
		}
		i := int(*r * float64(len(sparkChars)))
		b.WriteRune(sparkChars[min(max(i, 0), len(sparkChars)-1)])
	}
	return b.String()
}

// kindLabel shows the kind of calls over several keys ("") readably.
func kindLabel(k string) string {
	if k == "" {
		return "(multi-key)"
	}
	return k
}

func rateText(r *float64) string {
	if r == nil {
		return "-"
	}
	return strconv.FormatFloat(*r, 'f', 1, 64)
}

func ratioText(r *float64) string {
	if r == nil {
		return "-"
	}
	return pct(*r)
}

// breakersText summarises circuit breakers: "none", "closed" when all are, else the others' states.
func breakersText(bs []breakerRow, sep string) string {
	if len(bs) == 0 {
		return "none"
	}
	var odd []string
	for _, b := range bs {
		if b.State != "closed" {
			odd = append(odd, b.Endpoint+"="+b.State)
		}
	}
	if len(odd) == 0 {
		return "closed"
	}
	return strings.Join(odd, sep)
}

// writeScreen draws one frame of the terminal view (after clearing the screen).
func writeScreen(w io.Writer, f topFrame, interval time.Duration) error {
	var b strings.Builder
	b.WriteString(escHomeClear)
	src := []string{}
	if f.Metrics != nil {
		src = append(src, f.Metrics.URL)
	}
	if f.Store != nil {
		src = append(src, f.Store.Target)
	}
	fmt.Fprintf(&b, "cachekit top  %s  every %v  %s  (Ctrl-C quits)\n\n", strings.Join(src, " + "), interval, f.Time.Local().Format("15:04:05"))
	if m := f.Metrics; m != nil {
		writeMetricsScreen(&b, m)
	}
	if s := f.Store; s != nil {
		writeStoreScreen(&b, s, f.Namespace)
		if f.Metrics == nil {
			b.WriteString("\nper-kind hit ratios need the application's metrics: cachekit top --metrics http://HOST:PORT/metrics\n")
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func writeMetricsScreen(b *strings.Builder, m *metricsView) {
	if m.Error != "" {
		fmt.Fprintf(b, "metrics: %s\n\n", m.Error)
		return
	}
	up := "unknown"
	if m.StoreUp != nil {
		up = map[bool]string{true: "up", false: "DOWN"}[*m.StoreUp]
	}
	fmt.Fprintf(b, "requests/s %s   hit ratio %s (since start %s)   stale serves/s %s   store %s\n\n",
		rateText(m.RequestsPerS), ratioText(m.HitRatio), ratioText(m.TotalHitRatio), rateText(m.StalePerS), up)
	t := newTable("kind", "req/s", "hit", "total", "stale/s", "hit ratio, last "+strconv.Itoa(historyLen)+" samples").alignRight(1, 2, 3, 4)
	for _, k := range m.Kinds {
		t.row(kindLabel(k.Kind), rateText(k.RequestsPerS), ratioText(k.HitRatio), ratioText(k.TotalHitRatio), rateText(k.StalePerS), sparkline(k.History, historyLen))
	}
	if len(m.Kinds) == 0 {
		t.row("(no traffic yet)")
	}
	_ = t.write(b)
	fmt.Fprintf(b, "\nL1 hits/s %s   L2 hits/s %s   evictions/s %s   invalidations/s %s received, %s sent\n",
		rateText(m.L1HitsPerS), rateText(m.L2HitsPerS), rateText(m.EvictionsPerS), rateText(m.InvalidationsPerS), rateText(m.InvalidationsSentPerS))
	var mem []string
	for _, t := range m.Tiers {
		s := fmt.Sprintf("%s %s", t.Tier, fmtBytes(t.MemoryBytes))
		if t.MaxBytes > 0 {
			s += " of " + fmtBytes(t.MaxBytes)
		}
		mem = append(mem, s+fmt.Sprintf(", %d keys", t.Keys))
	}
	if len(mem) == 0 {
		mem = []string{"unknown"}
	}
	fmt.Fprintf(b, "memory     %s\n", strings.Join(mem, "; "))
	fmt.Fprintf(b, "breakers   %s\n\n", breakersText(m.Breakers, ", "))
}

func writeStoreScreen(b *strings.Builder, s *storeView, ns string) {
	fmt.Fprintf(b, "store (this CLI's view of %s, namespace %s)\n", s.Target, ns)
	if s.Error != "" {
		fmt.Fprintf(b, "  error: %s\n", s.Error)
	}
	limit := "unlimited"
	if s.MaxBytes > 0 {
		limit = fmtBytes(s.MaxBytes)
	} else if s.MaxBytes < 0 {
		limit = "unknown"
	}
	policy := s.EvictionPolicy
	if policy == "" {
		policy = "unknown"
	}
	fmt.Fprintf(b, "  namespace keys %s   keys (all) %s   memory %s used, limit %s\n", countText(s.NamespaceKeys), countText(s.Keys), fmtBytes(s.UsedBytes), limit)
	fmt.Fprintf(b, "  evictions %s (%s/s)   policy %s   breakers %s\n", countText(s.Evictions), rateText(s.EvictionsPerS), policy, breakersText(s.Breakers, ", "))
}

// writeLine writes one frame as one line of space-separated NAME=VALUE fields (the documented
// non-terminal format; "-" is an unknown value).
func writeLine(w io.Writer, f topFrame) error {
	fields := []string{"time=" + f.Time.Format(time.RFC3339)}
	add := func(name, value string) { fields = append(fields, name+"="+value) }
	if m := f.Metrics; m != nil {
		if m.Error != "" {
			add("error", strconv.Quote(m.Error))
		} else {
			add("req/s", rateText(m.RequestsPerS))
			add("hit", ratioText(m.HitRatio))
			add("total_hit", ratioText(m.TotalHitRatio))
			add("stale/s", rateText(m.StalePerS))
			add("l1_hits/s", rateText(m.L1HitsPerS))
			add("l2_hits/s", rateText(m.L2HitsPerS))
			add("evictions/s", rateText(m.EvictionsPerS))
			add("mem", strconv.FormatInt(m.MemoryBytes, 10))
			add("inval/s", rateText(m.InvalidationsPerS))
			add("breakers", breakersText(m.Breakers, ","))
			for _, k := range m.Kinds {
				add("hit["+kindLabel(k.Kind)+"]", ratioText(k.HitRatio))
			}
		}
	}
	if s := f.Store; s != nil {
		if s.Error != "" {
			add("store.error", strconv.Quote(s.Error))
		}
		add("store.ns_keys", strconv.FormatInt(s.NamespaceKeys, 10))
		add("store.keys", strconv.FormatInt(s.Keys, 10))
		add("store.mem", strconv.FormatInt(s.UsedBytes, 10))
		add("store.evictions", strconv.FormatInt(s.Evictions, 10))
		policy := s.EvictionPolicy
		if policy == "" {
			policy = "-"
		}
		add("store.policy", policy)
		add("store.breakers", breakersText(s.Breakers, ","))
	}
	_, err := io.WriteString(w, strings.Join(fields, " ")+"\n")
	return err
}

// writeJSONLine writes one frame as one compact JSON object and a newline (JSON Lines).
func writeJSONLine(w io.Writer, f topFrame) error {
	return json.NewEncoder(w).Encode(f)
}
