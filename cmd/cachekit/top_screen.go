package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// Sizes of the kinds table on screen.
const (
	minSparkWidth = 10 // a narrower sparkline column is left out
	maxKindWidth  = 24 // a longer kind name is cut
)

// writeScreen draws one frame of the terminal view, after clearing the screen, fitted to size: no line
// wider than size.cols, at most size.rows lines and no newline after the last (which would scroll the
// title off a full screen). Below minScreenCols, or when not even the title, totals and breakers fit,
// the frame is one summary line.
func writeScreen(w io.Writer, f topFrame, interval time.Duration, size screenSize) error {
	var lines []string
	ok := false
	if size.cols >= minScreenCols {
		lines, ok = fitRows(screenParts(f, interval, size.cols), size.rows)
	}
	if !ok {
		lines = []string{summaryLine(f)}
	}
	var b strings.Builder
	b.WriteString(escHomeClear)
	for i, l := range lines {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(truncate(screenText(l), size.cols)) // every part is fitted already; this is the guarantee
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// screenParts is the whole frame for a terminal cols wide, in screen order.
func screenParts(f topFrame, interval time.Duration, cols int) []screenPart {
	parts := []screenPart{{lines: []string{titleLine(f, interval, cols)}, prio: prioKeep}, spacer()}
	if m := f.Metrics; m != nil {
		parts = append(parts, metricsParts(m, cols)...)
		parts = append(parts, spacer())
	}
	if s := f.Store; s != nil {
		parts = append(parts, storeParts(s, f.Namespace, cols)...)
		if f.Metrics == nil {
			parts = append(parts, spacer(), screenPart{prio: prioHint,
				lines: wrapWords(cols, 2, "", "", "per-kind hit ratios need the application's metrics: cachekit top --metrics http://HOST:PORT/metrics")})
		}
	}
	return parts
}

// titleLine names the sources, the interval and the time; on a narrow terminal it leaves out
// "(Ctrl-C quits)", then cuts the sources.
func titleLine(f topFrame, interval time.Duration, cols int) string {
	var src []string
	if f.Metrics != nil {
		src = append(src, f.Metrics.URL)
	}
	if f.Store != nil {
		src = append(src, f.Store.Target)
	}
	head, from := "cachekit top  ", screenText(strings.Join(src, " + "))
	tail := fmt.Sprintf("  every %v  %s", interval, f.Time.Local().Format("15:04:05"))
	const quit = "  (Ctrl-C quits)"
	switch room := cols - textWidth(head) - textWidth(tail); {
	case textWidth(from)+textWidth(quit) <= room:
		return head + from + tail + quit
	case textWidth(from) <= room:
		return head + from + tail
	case room >= 12:
		return head + truncate(from, room) + tail
	}
	return truncate("cachekit top"+tail, cols)
}

func metricsParts(m *metricsView, cols int) []screenPart {
	if m.Error != "" {
		return []screenPart{{prio: prioKeep, lines: wrapWords(cols, maxErrorRows, "metrics: ", "  ", screenText(m.Error))}}
	}
	up := "unknown"
	if m.StoreUp != nil {
		up = map[bool]string{true: "up", false: "DOWN"}[*m.StoreUp]
	}
	totals := flow(cols, 0, "", "   ",
		"requests/s "+rateText(m.RequestsPerS),
		"hit ratio "+ratioText(m.HitRatio)+" (since start "+ratioText(m.TotalHitRatio)+")",
		"stale serves/s "+rateText(m.StalePerS),
		"store "+up)
	rates := flow(cols, 0, "", "   ",
		"L1 hits/s "+rateText(m.L1HitsPerS), "L2 hits/s "+rateText(m.L2HitsPerS), "evictions/s "+rateText(m.EvictionsPerS),
		"invalidations/s "+rateText(m.InvalidationsPerS)+" received, "+rateText(m.InvalidationsSentPerS)+" sent")
	var mem []string
	for _, t := range m.Tiers {
		s := fmt.Sprintf("%s %s", screenText(t.Tier), fmtBytes(t.MemoryBytes))
		if t.MaxBytes > 0 {
			s += " of " + fmtBytes(t.MaxBytes)
		}
		mem = append(mem, s+fmt.Sprintf(", %d keys", t.Keys))
	}
	if len(mem) == 0 {
		mem = []string{"unknown"}
	}
	mem[0] = "memory     " + mem[0]
	return []screenPart{
		{prio: prioKeep, lines: totals},
		spacer(),
		kindsPart(m.Kinds, cols),
		spacer(),
		{prio: prioRates, lines: rates},
		{prio: prioMemory, lines: flow(cols, maxFlowRows, "           ", "; ", mem...)},
		breakersPart(m.Breakers, "breakers   ", cols),
	}
}

// breakersPart lists the breakers that are not closed after title; short of rows, it counts them per
// state instead.
func breakersPart(bs []breakerRow, title string, cols int) screenPart {
	list := breakerParts(bs)
	for i := range list {
		list[i] = screenText(list[i])
	}
	list[0] = title + list[0]
	p := screenPart{prio: prioKeep, lines: flow(cols, maxFlowRows, strings.Repeat(" ", textWidth(title)), ", ", list...)}
	if len(p.lines) > 1 {
		p.shrink = func(int) []string { return []string{truncate(title+breakerCounts(bs), cols)} }
	}
	return p
}

// kindsPart is the per-kind table; its sparkline takes the width the other columns leave, up to the
// historyLen samples kept, and is left out below minSparkWidth. Short of rows it keeps its first kinds.
// Columns are aligned by terminal cells (a kind may be named in wide characters).
func kindsPart(kinds []kindView, cols int) screenPart {
	header := []string{"kind", "req/s", "hit", "total", "stale/s"}
	var rows [][]string
	for _, k := range kinds {
		rows = append(rows, []string{truncate(screenText(kindLabel(k.Kind)), maxKindWidth),
			rateText(k.RequestsPerS), ratioText(k.HitRatio), ratioText(k.TotalHitRatio), rateText(k.StalePerS)})
	}
	if len(rows) == 0 {
		rows = append(rows, []string{"(no traffic yet)", "", "", "", ""})
	}
	width := make([]int, len(header))
	used := 0 // the fixed columns' width, with the two spaces after each
	for c, h := range header {
		width[c] = textWidth(h)
		for _, r := range rows {
			if len(kinds) > 0 || c > 0 { // "(no traffic yet)" may run into the empty columns
				width[c] = max(width[c], textWidth(r[c]))
			}
		}
		used += width[c] + 2
	}
	if spark := min(historyLen, cols-used); spark >= minSparkWidth && len(kinds) > 0 {
		label := "hit ratio"
		for _, l := range []string{"hit ratio, last " + strconv.Itoa(spark) + " samples", "last " + strconv.Itoa(spark) + " samples"} {
			if textWidth(l) <= spark {
				label = l
				break
			}
		}
		header = append(header, label)
		width = append(width, spark)
		for i, k := range kinds {
			rows[i] = append(rows[i], sparkline(k.History, spark))
		}
	}
	line := func(cells []string) string {
		var b strings.Builder
		for c, cell := range cells {
			if c > 0 {
				b.WriteString("  ")
			}
			pad := strings.Repeat(" ", max(0, width[c]-textWidth(cell)))
			if c == 0 || c == 5 {
				b.WriteString(cell + pad) // the kind and the sparkline (full width already) are left-aligned
			} else {
				b.WriteString(pad + cell)
			}
		}
		return truncate(strings.TrimRight(b.String(), " "), cols)
	}
	total := -2
	for _, w := range width {
		total += w + 2
	}
	lines := []string{line(header), strings.Repeat("-", min(total, cols))}
	for _, r := range rows {
		lines = append(lines, line(r))
	}
	p := screenPart{prio: prioKinds, lines: lines}
	if len(rows) > 1 {
		// header, rule, the first n-3 kinds and a line counting the others
		p.shrink = func(n int) []string {
			if n < 4 {
				return nil
			}
			keep := n - 3
			return append(lines[:2+keep:2+keep], fmt.Sprintf("(%d more kinds; a taller window shows them)", len(rows)-keep))
		}
	}
	return p
}

func storeParts(s *storeView, ns string, cols int) []screenPart {
	parts := []screenPart{{prio: prioKeep,
		lines: []string{truncate(screenText(fmt.Sprintf("store (this CLI's view of %s, namespace %s)", s.Target, ns)), cols)}}}
	if s.Error != "" {
		parts = append(parts, screenPart{prio: prioKeep, lines: wrapWords(cols, maxErrorRows, "  error: ", "    ", screenText(s.Error))})
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
	return append(parts,
		screenPart{prio: prioStore, lines: flow(cols, 0, "  ", "   ",
			"  namespace keys "+countText(s.NamespaceKeys), "keys (all) "+countText(s.Keys),
			"memory "+fmtBytes(s.UsedBytes)+" used, limit "+limit)},
		screenPart{prio: prioDetail, lines: flow(cols, 0, "  ", "   ",
			"  evictions "+countText(s.Evictions)+" ("+rateText(s.EvictionsPerS)+"/s)", "policy "+screenText(policy))},
		breakersPart(s.Breakers, "  breakers ", cols),
	)
}

// summaryLine is the whole frame on a terminal too small for the view: the application's hit ratio,
// breakers and requests/s, the store's namespace keys and breakers, then the time (what matters most
// first, as the line is cut at the terminal's width).
func summaryLine(f topFrame) string {
	parts := []string{"top"}
	if m := f.Metrics; m != nil {
		if m.Error != "" {
			parts = append(parts, "metrics: "+m.Error)
		} else {
			parts = append(parts, "hit "+ratioText(m.HitRatio), "brk "+breakerCounts(m.Breakers), "req/s "+rateText(m.RequestsPerS))
		}
	}
	if s := f.Store; s != nil {
		if s.Error != "" {
			parts = append(parts, "store: "+s.Error)
		} else {
			parts = append(parts, "store keys "+countText(s.NamespaceKeys), "brk "+breakerCounts(s.Breakers))
		}
	}
	return strings.Join(append(parts, f.Time.Local().Format("15:04:05")), " ")
}

// breakerCounts is breakersText in short: "none", "closed", or how many breakers are in each other
// state ("open:2,half_open:1").
func breakerCounts(bs []breakerRow) string {
	n := map[string]int{}
	var states []string
	for _, b := range bs {
		if b.State == "closed" {
			continue
		}
		if n[b.State] == 0 {
			states = append(states, b.State)
		}
		n[b.State]++
	}
	if len(states) == 0 {
		return breakersText(bs, ",")
	}
	for i, s := range states {
		states[i] = s + ":" + strconv.Itoa(n[s])
	}
	return strings.Join(states, ",")
}
