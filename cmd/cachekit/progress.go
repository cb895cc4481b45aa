package main

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// barWidth is the number of cells of the progress bar.
const barWidth = 30

// progress reports the progress of a long command on stderr. On a terminal it redraws one line in place
// ("\r" and erase-line); elsewhere (a pipe, a log file, a test buffer) it writes whole lines, at most one
// per interval (every update when interval is 0), so logs stay readable. It is safe for concurrent use.
type progress struct {
	w        io.Writer
	tty      bool
	label    string
	interval time.Duration

	mu       sync.Mutex
	lastLine time.Time
	drawn    bool
	done     bool
}

func newProgress(w io.Writer, tty bool, label string, interval time.Duration) *progress {
	return &progress{w: w, tty: tty, label: label, interval: interval}
}

// update shows frac (0..1) done and a status text.
func (p *progress) update(frac float64, status string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.done {
		return
	}
	if p.tty {
		fmt.Fprintf(p.w, "\r\033[K%s", p.render(frac, status))
		p.drawn = true
		return
	}
	if now := time.Now(); p.interval == 0 || p.lastLine.IsZero() || now.Sub(p.lastLine) >= p.interval {
		p.lastLine = now
		fmt.Fprintln(p.w, p.render(frac, status))
	}
}

// finish shows the final state and ends the line; later updates are ignored.
func (p *progress) finish(frac float64, status string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.done {
		return
	}
	p.done = true
	if p.tty {
		fmt.Fprintf(p.w, "\r\033[K%s\n", p.render(frac, status))
		return
	}
	fmt.Fprintln(p.w, p.render(frac, status))
}

// close ends a redrawn line without drawing again; later updates are ignored.
func (p *progress) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.tty && p.drawn && !p.done {
		fmt.Fprintln(p.w)
	}
	p.done = true
}

func (p *progress) render(frac float64, status string) string {
	frac = min(max(frac, 0), 1)
	filled := int(frac * barWidth)
	bar := strings.Repeat("=", filled)
	if filled < barWidth {
		bar += ">" + strings.Repeat(" ", barWidth-filled-1)
	}
	return fmt.Sprintf("%s [%s] %3.0f%% %s", p.label, bar, 100*frac, status)
}
