package main

import (
	"io"
	"os"
	"strings"
	"unicode"

	"github.com/creack/pty"
)

// screenSize is a terminal's size in character cells.
type screenSize struct{ rows, cols int }

// defaultScreen is assumed when a terminal does not say its size: the VT100's 80x24.
var defaultScreen = screenSize{rows: 24, cols: 80}

// minScreenCols is the narrowest terminal that gets the full view; a narrower one gets one summary line.
const minScreenCols = 40

// terminalSize asks the terminal behind w for its current size (TIOCGWINSZ), defaultScreen if it does
// not answer (not a terminal, or a platform without the ioctl). It is read at every redraw, so a
// resized window is followed from the next frame on.
func terminalSize(w io.Writer) screenSize {
	f, ok := w.(*os.File)
	if !ok {
		return defaultScreen
	}
	rows, cols, err := pty.Getsize(f)
	if err != nil || rows <= 0 || cols <= 0 {
		return defaultScreen
	}
	return screenSize{rows: rows, cols: cols}
}

// Priorities of a frame's parts when the terminal has fewer rows than the frame: the lowest goes first
// (of equal ones, the lowest on screen). prioKeep parts are never dropped, only shortened where they
// can be (a list of breakers becomes counts per state); when even they do not fit, the frame is one
// summary line.
const (
	prioHint     = 10 // "per-kind hit ratios need ..."
	prioSpacer   = 15 // the blank lines between sections
	prioDetail   = 30 // the store's evictions and policy
	prioRates    = 40 // L1/L2 hits, evictions, invalidations per second
	prioMemory   = 45 // memory per tier
	prioStore    = 50 // the store's key counts and memory
	prioKinds    = 70 // the per-kind table (shrinks to its first rows before it goes)
	prioKeep     = 90 // title, totals and hit ratio, breakers, errors
	maxFlowRows  = 3  // a flowed part (a list of breakers, of tiers) takes at most this many rows
	maxErrorRows = 5  // and an error text this many
)

// screenPart is one part of a frame: lines no wider than the screen, and how much it matters.
type screenPart struct {
	lines  []string
	prio   int
	spacer bool
	// shrink, when set, returns the part in at most n lines, or nil when it cannot be that short.
	shrink func(n int) []string
}

func spacer() screenPart { return screenPart{lines: []string{""}, prio: prioSpacer, spacer: true} }

// fitRows drops the lowest-priority parts (or shrinks one) until the frame has at most rows lines. It
// reports false when even the prioKeep parts need more.
func fitRows(parts []screenPart, rows int) ([]string, bool) {
	parts = tidySpacers(append([]screenPart(nil), parts...))
	count := func() int {
		n := 0
		for _, p := range parts {
			n += len(p.lines)
		}
		return n
	}
	for count() > rows {
		i := -1 // the part to drop or shorten: the lowest priority, else a keep part that can shrink
		for j, p := range parts {
			if p.prio < prioKeep && (i < 0 || p.prio <= parts[i].prio) {
				i = j
			}
		}
		if i < 0 {
			for j, p := range parts {
				if p.shrink != nil {
					i = j
				}
			}
		}
		if i < 0 {
			return nil, false
		}
		if sh := parts[i].shrink; sh != nil {
			parts[i].shrink = nil
			if l := sh(max(1, len(parts[i].lines)-(count()-rows))); l != nil {
				parts[i].lines = l
				continue
			}
		}
		if parts[i].prio >= prioKeep {
			continue
		}
		parts = tidySpacers(append(parts[:i], parts[i+1:]...))
	}
	var out []string
	for _, p := range parts {
		out = append(out, p.lines...)
	}
	return out, true
}

// tidySpacers removes the blank lines a dropped part left at either end or next to another.
func tidySpacers(parts []screenPart) []screenPart {
	out := parts[:0]
	for _, p := range parts {
		if p.spacer && (len(out) == 0 || out[len(out)-1].spacer) {
			continue
		}
		out = append(out, p)
	}
	for len(out) > 0 && out[len(out)-1].spacer {
		out = out[:len(out)-1]
	}
	return out
}

// cellWidth is how many terminal cells a rune takes: 2 for East Asian wide and fullwidth characters
// and most emoji, 0 for combining marks, 1 otherwise.
func cellWidth(r rune) int {
	switch {
	case unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf):
		return 0
	case r >= 0x1100 && r <= 0x115F, r >= 0x2E80 && r <= 0x303E, r >= 0x3041 && r <= 0x33FF,
		r >= 0x3400 && r <= 0x4DBF, r >= 0x4E00 && r <= 0x9FFF, r >= 0xA000 && r <= 0xA4CF,
		r >= 0xAC00 && r <= 0xD7A3, r >= 0xF900 && r <= 0xFAFF, r >= 0xFE30 && r <= 0xFE4F,
		r >= 0xFF00 && r <= 0xFF60, r >= 0xFFE0 && r <= 0xFFE6, r >= 0x1F300 && r <= 0x1F64F,
		r >= 0x1F900 && r <= 0x1F9FF, r >= 0x20000 && r <= 0x3FFFD:
		return 2
	}
	return 1
}

// textWidth is how many terminal cells s takes.
func textWidth(s string) int {
	n := 0
	for _, r := range s {
		n += cellWidth(r)
	}
	return n
}

// screenText makes s safe to print: a control character (from a scraped label or an error text) could
// move the cursor or recolour the terminal, so each becomes "?".
func screenText(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return '?'
		}
		return r
	}, s)
}

// truncate cuts s to at most n cells, whole runes only, ending with "…" when something was cut.
func truncate(s string, n int) string {
	if textWidth(s) <= n {
		return s
	}
	if n <= 0 {
		return ""
	}
	var b strings.Builder
	w := 0
	for _, r := range s {
		cw := cellWidth(r)
		if w+cw > n-1 {
			break
		}
		b.WriteRune(r)
		w += cw
	}
	return b.String() + "…"
}

// flow lays fields out on lines of at most width cells, separated by sep, a new line (starting with
// indent) where the next field does not fit; past maxRows lines (0: no limit) the rest is cut with "…".
func flow(width, maxRows int, indent, sep string, fields ...string) []string {
	var out []string
	cur := ""
	for i, f := range fields {
		switch {
		case i == 0:
			cur = f
		case textWidth(cur)+textWidth(sep)+textWidth(f) <= width || (maxRows > 0 && len(out) == maxRows-1):
			cur += sep + f // the last allowed line takes the rest, cut below
		default:
			out = append(out, cur)
			cur = indent + f
		}
	}
	out = append(out, cur)
	for i := range out {
		out[i] = truncate(out[i], width)
	}
	return out
}

// wrapWords wraps prefix+text at spaces onto at most maxRows lines of width cells, continuation lines
// starting with indent.
func wrapWords(width, maxRows int, prefix, indent, text string) []string {
	words := strings.Fields(text)
	if len(words) == 0 {
		return []string{truncate(prefix, width)}
	}
	words[0] = prefix + words[0]
	return flow(width, maxRows, indent, " ", words...)
}
