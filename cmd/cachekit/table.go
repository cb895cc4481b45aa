package main

import (
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"
)

// table prints aligned columns: a header, a rule, rows, and optional rules between rows. Columns marked
// right are right-aligned (numbers); the last column carries no trailing spaces.
type table struct {
	header []string
	right  []bool
	rows   [][]string // nil row = a rule
}

func newTable(header ...string) *table {
	return &table{header: header, right: make([]bool, len(header))}
}

// alignRight right-aligns the given columns.
func (t *table) alignRight(cols ...int) *table {
	for _, c := range cols {
		t.right[c] = true
	}
	return t
}

// row adds a row; missing cells are empty, extra cells are dropped.
func (t *table) row(cells ...string) {
	r := make([]string, len(t.header))
	copy(r, cells)
	t.rows = append(t.rows, r)
}

// rule adds a horizontal rule.
func (t *table) rule() { t.rows = append(t.rows, nil) }

func (t *table) write(w io.Writer) error {
	width := make([]int, len(t.header))
	for i, h := range t.header {
		width[i] = utf8.RuneCountInString(h)
	}
	for _, r := range t.rows {
		for i, c := range r {
			width[i] = max(width[i], utf8.RuneCountInString(c))
		}
	}
	total := 0
	for _, wd := range width {
		total += wd
	}
	total += 2 * (len(width) - 1)
	var b strings.Builder
	line := func(cells []string) {
		var l strings.Builder
		for i, c := range cells {
			if i > 0 {
				l.WriteString("  ")
			}
			pad := strings.Repeat(" ", width[i]-utf8.RuneCountInString(c))
			if t.right[i] {
				l.WriteString(pad + c)
			} else {
				l.WriteString(c + pad)
			}
		}
		b.WriteString(strings.TrimRight(l.String(), " "))
		b.WriteString("\n")
	}
	line(t.header)
	b.WriteString(strings.Repeat("-", total) + "\n")
	for _, r := range t.rows {
		if r == nil {
			b.WriteString(strings.Repeat("-", total) + "\n")
			continue
		}
		line(r)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// fmtBytes formats a byte count with binary units: "512 B", "48.2 KiB", "3.1 MiB".
func fmtBytes(n int64) string {
	if n < 0 {
		return "unknown"
	}
	if n < 1024 {
		return fmt.Sprintf("%d B", n)
	}
	f := float64(n)
	for _, unit := range []string{"KiB", "MiB", "GiB", "TiB"} {
		f /= 1024
		if f < 1024 || unit == "TiB" {
			return fmt.Sprintf("%.1f %s", f, unit)
		}
	}
	return fmt.Sprintf("%d B", n) // not reached
}

// fmtLatency formats a latency compactly: "850ns", "12µs", "3.4ms", "1.25s".
func fmtLatency(d time.Duration) string {
	switch {
	case d < time.Microsecond:
		return fmt.Sprintf("%dns", d.Nanoseconds())
	case d < time.Millisecond:
		return fmt.Sprintf("%dµs", d.Microseconds())
	case d < time.Second:
		return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond))
	}
	return fmt.Sprintf("%.2fs", d.Seconds())
}

// fmtPercent formats a ratio in [0, 1] as "96.0%".
func fmtPercent(r float64) string { return fmt.Sprintf("%.1f%%", 100*r) }
