package main

import (
	"io"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/creack/pty"
)

// tickerRow is the ticker line of top's table: kind, req/s, interval hit ratio, total hit ratio,
// stale/s and the sparkline.
var tickerRow = regexp.MustCompile(`(?m)^ticker +([0-9.]+) +([0-9.]+)% +([0-9.]+)% +[0-9.]+ +[ ▁▂▃▄▅▆▇█]*([▁▂▃▄▅▆▇█])\r?$`)

// ptyTop is the built binary's top running on a real pseudo-terminal, everything it wrote read into
// screen; a test that ends without interrupting it kills it.
type ptyTop struct {
	ptmx     *os.File
	screen   *syncBuffer
	readDone chan struct{} // closed once the pty reader ends (EIO after the child closed the pty)
	exited   chan error
	ended    bool
}

// startTop runs `cachekit top args...` on a rows x cols pseudo-terminal with TERM=xterm.
func startTop(t *testing.T, bin string, rows, cols uint16, args ...string) *ptyTop {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"top"}, args...)...)
	cmd.Env = append(newBinCLI(t, bin).env, "TERM=xterm")
	ptmx, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: rows, Cols: cols})
	if err != nil {
		t.Fatalf("starting top on a pty: %v", err)
	}
	p := &ptyTop{ptmx: ptmx, screen: &syncBuffer{}, readDone: make(chan struct{}), exited: make(chan error, 1)}
	go func() {
		defer close(p.readDone)
		_, _ = io.Copy(p.screen, ptmx)
	}()
	go func() { p.exited <- cmd.Wait() }()
	t.Cleanup(func() {
		if !p.ended {
			_ = cmd.Process.Kill() // a failed test must not leave top running
		}
		_ = ptmx.Close()
	})
	return p
}

// interrupt types Ctrl-C (the terminal's interrupt character) and fails the test unless top then
// exits 0 within 15 s.
func (p *ptyTop) interrupt(t *testing.T) {
	t.Helper()
	if _, err := p.ptmx.Write([]byte{0x03}); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-p.exited:
		p.ended = true
		if err != nil {
			t.Fatalf("top after Ctrl-C: %v (want exit code 0)", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("top did not end within 15s of Ctrl-C")
	}
}

// TestTopUnderPseudoTerminal runs the built binary on a real pseudo-terminal against an application's
// /metrics: it must take the alternate screen, hide the cursor, redraw frames showing the kinds with
// the workload's hit ratio and a sparkline, and on Ctrl-C (the terminal's interrupt character) exit 0
// with the cursor shown and the alternate screen left.
func TestTopUnderPseudoTerminal(t *testing.T) {
	app := startWorkloadApp(t)
	top := startTop(t, buildCLI(t), 40, 140, "--metrics", app.url, "--interval", "200ms")
	screen := top.screen

	// The latest frame is what follows the last clear-screen.
	var frame string
	var m []string
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		out := screen.String()
		if i := strings.LastIndex(out, escHomeClear); i >= 0 {
			frame = out[i:]
			// A frame is complete once the breakers line is written.
			if strings.Contains(frame, "breakers") {
				m = tickerRow.FindStringSubmatch(frame)
				if m != nil {
					break
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no frame with a ticker row and a sparkline within 30s; screen so far:\n%q", out)
		}
	}
	out := screen.String()
	if !strings.HasPrefix(out, escAltScreenEnter+escCursorHide) {
		t.Errorf("top did not start by entering the alternate screen and hiding the cursor: %q", out[:min(len(out), 40)])
	}
	for _, want := range []string{"requests/s", "deals", "ticker", "L1 hits/s", "memory", "breakers"} {
		if !strings.Contains(frame, want) {
			t.Errorf("frame lacks %q:\n%s", want, frame)
		}
	}
	interval, _ := strconv.ParseFloat(m[2], 64)
	total, _ := strconv.ParseFloat(m[3], 64)
	if interval < 70 || interval > 80 || total < 74 || total > 76 {
		t.Errorf("ticker hit ratio %v%% (interval), %v%% (total); the workload's is 75%%:\n%s", interval, total, frame)
	}

	top.interrupt(t)
	select {
	case <-top.readDone:
	case <-time.After(5 * time.Second):
		t.Log("pty reader still open; checking what was read")
	}
	out = screen.String()
	if !strings.HasSuffix(strings.TrimRight(out, "\r\n"), escCursorShow+escAltScreenLeave) {
		t.Errorf("top did not end by showing the cursor and leaving the alternate screen; last bytes %q", out[max(0, len(out)-60):])
	}
}

// TestTopFitsA80x24Terminal runs the built binary on an 80x24 pseudo-terminal, with both an
// application's /metrics and a store: every frame fits (no line wider than the terminal, no more lines
// than it has rows, so nothing wraps or scrolls) and after several redraws the title is still the top
// line. Resized to 60x12 (a SIGWINCH, as a terminal emulator sends), the frames follow the new size and
// keep the title, the hit ratio and the breakers; at 30 columns a frame is one summary line.
func TestTopFitsA80x24Terminal(t *testing.T) {
	app := startWorkloadApp(t)
	top := startTop(t, buildCLI(t), 24, 80, "--metrics", app.url, "--cache", "memory://", "--interval", "100ms")
	screen, ptmx := top.screen, top.ptmx

	// frames waits for n complete frames (each followed by the next clear-screen) written after byte
	// offset from, and returns them; the first, possibly partial, piece after from is not counted.
	frames := func(from, n int) []string {
		t.Helper()
		for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			pieces := strings.Split(screen.String()[from:], escHomeClear)
			if len(pieces) >= n+2 {
				return pieces[1 : len(pieces)-1]
			}
			if time.Now().After(deadline) {
				t.Fatalf("fewer than %d frames within 30s; output since offset %d:\n%q", n, from, screen.String()[from:])
			}
		}
	}
	// check asserts that a frame fits rows x cols by its own lines and as a terminal shows it.
	check := func(frame string, rows, cols int) *vtScreen {
		t.Helper()
		lines := strings.Split(strings.ReplaceAll(frame, "\r", ""), "\n")
		if len(lines) > rows {
			t.Errorf("frame of %d lines on a %d-row terminal:\n%s", len(lines), rows, frame)
		}
		for _, l := range lines {
			if n := utf8.RuneCountInString(l); n > cols {
				t.Errorf("line of %d columns on a %d-column terminal: %q", n, cols, l)
			}
		}
		v := newVTScreen(rows, cols)
		v.write(escHomeClear + frame)
		if v.wrapped > 0 || v.scrolled > 0 {
			t.Errorf("frame wrapped %d and scrolled %d times on %dx%d:\n%s", v.wrapped, v.scrolled, cols, rows, v)
		}
		return v
	}

	// 80x24: the whole stream so far, replayed on one 80x24 screen, after at least 6 redraws.
	got := frames(0, 6)
	for _, f := range got {
		check(f, 24, 80)
	}
	last := got[len(got)-1]
	for _, want := range []string{"requests/s", "hit ratio", "ticker", "deals", "memory", "breakers", "store ("} {
		if !strings.Contains(last, want) {
			t.Errorf("80x24 frame lacks %q:\n%s", want, last)
		}
	}
	whole := screen.String()
	v := newVTScreen(24, 80)
	v.write(whole[:strings.LastIndex(whole, escHomeClear)])
	if v.scrolled > 0 || v.wrapped > 0 || !strings.HasPrefix(v.line(0), "cachekit top  http://") {
		t.Errorf("after %d redraws at 80x24 (wrapped %d, scrolled %d) the top line is %q; screen:\n%s",
			strings.Count(whole, escHomeClear)-1, v.wrapped, v.scrolled, v.line(0), v)
	}

	// 60x12: the size is read again; low-priority parts go, the title, hit ratio and breakers stay. The
	// first two frames after the resize may have read the old size.
	mark := len(screen.String())
	if err := pty.Setsize(ptmx, &pty.Winsize{Rows: 12, Cols: 60}); err != nil {
		t.Fatal(err)
	}
	got = frames(mark, 5)
	for _, f := range got[2:] {
		v := check(f, 12, 60)
		if !strings.HasPrefix(v.line(0), "cachekit top  ") || !strings.Contains(f, "hit ratio") || !strings.Contains(f, "breakers") {
			t.Errorf("60x12 frame without its title, hit ratio or breakers:\n%s", v)
		}
	}

	// 30 columns: one summary line.
	mark = len(screen.String())
	if err := pty.Setsize(ptmx, &pty.Winsize{Rows: 10, Cols: 30}); err != nil {
		t.Fatal(err)
	}
	got = frames(mark, 4)
	for _, f := range got[2:] {
		check(f, 10, 30)
		if strings.Contains(f, "\n") || !strings.HasPrefix(f, "top ") {
			t.Errorf("30-column frame is not one summary line: %q", f)
		}
	}

	top.interrupt(t)
}

// vtScreen is the little of a VT100/xterm screen the tests need to see what a terminal shows: printable
// characters with autowrap at the right margin (a character past the last column continues on the next
// line), CR, LF (scrolling at the bottom), cursor home and clear-screen; other escape sequences are
// ignored. wrapped and scrolled count the autowraps and scrolls.
type vtScreen struct {
	rows, cols        int
	cells             [][]rune
	r, c              int
	pendingWrap       bool
	wrapped, scrolled int
}

func newVTScreen(rows, cols int) *vtScreen {
	v := &vtScreen{rows: rows, cols: cols}
	v.clear()
	return v
}

func (v *vtScreen) clear() {
	v.cells = make([][]rune, v.rows)
	for i := range v.cells {
		v.cells[i] = []rune(strings.Repeat(" ", v.cols))
	}
}

func (v *vtScreen) lineFeed() {
	if v.r < v.rows-1 {
		v.r++
		return
	}
	v.scrolled++
	v.cells = append(v.cells[1:], []rune(strings.Repeat(" ", v.cols)))
}

func (v *vtScreen) write(s string) {
	for i := 0; i < len(s); {
		if s[i] == 0x1b {
			if i+1 < len(s) && s[i+1] == '[' { // CSI parameters final-byte
				j := i + 2
				for j < len(s) && (s[j] < 0x40 || s[j] > 0x7e) {
					j++
				}
				if j < len(s) {
					switch s[j] {
					case 'H':
						v.r, v.c, v.pendingWrap = 0, 0, false
					case 'J':
						if s[i+2:j] == "2" {
							v.clear()
						}
					}
				}
				i = j + 1
				continue
			}
			i += 2
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		i += n
		switch r {
		case '\r':
			v.c, v.pendingWrap = 0, false
		case '\n':
			v.pendingWrap = false
			v.lineFeed()
		default:
			if r < 0x20 {
				continue
			}
			if v.pendingWrap {
				v.wrapped++
				v.c, v.pendingWrap = 0, false
				v.lineFeed()
			}
			v.cells[v.r][v.c] = r
			if v.c == v.cols-1 {
				v.pendingWrap = true
			} else {
				v.c++
			}
		}
	}
}

// line is screen row i without trailing blanks.
func (v *vtScreen) line(i int) string { return strings.TrimRight(string(v.cells[i]), " ") }

func (v *vtScreen) String() string {
	var b strings.Builder
	for i := range v.cells {
		b.WriteString(v.line(i) + "\n")
	}
	return b.String()
}
