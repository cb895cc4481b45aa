package main

import (
	"io"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"
)

// tickerRow is the ticker line of top's table: kind, req/s, interval hit ratio, total hit ratio,
// stale/s and the sparkline.
var tickerRow = regexp.MustCompile(`(?m)^ticker +([0-9.]+) +([0-9.]+)% +([0-9.]+)% +[0-9.]+ +[ ▁▂▃▄▅▆▇█]*([▁▂▃▄▅▆▇█])\r?$`)

// TestTopUnderPseudoTerminal runs the built binary on a real pseudo-terminal against an application's
// /metrics: it must take the alternate screen, hide the cursor, redraw frames showing the kinds with
// the workload's hit ratio and a sparkline, and on Ctrl-C (the terminal's interrupt character) exit 0
// with the cursor shown and the alternate screen left.
func TestTopUnderPseudoTerminal(t *testing.T) {
	app := startWorkloadApp(t)
	bin := buildCLI(t)
	cmd := exec.Command(bin, "top", "--metrics", app.url, "--interval", "200ms")
	cmd.Env = append(newBinCLI(t, bin).env, "TERM=xterm")
	ptmx, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 40, Cols: 140})
	if err != nil {
		t.Fatalf("starting top on a pty: %v", err)
	}
	defer ptmx.Close()
	var screen syncBuffer
	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		_, _ = io.Copy(&screen, ptmx) // ends with EIO once the child has exited and closed the pty
	}()
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	ended := false
	defer func() {
		if !ended {
			_ = cmd.Process.Kill() // a failed test must not leave top running
		}
	}()

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

	if _, err := ptmx.Write([]byte{0x03}); err != nil { // Ctrl-C, as typed
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		ended = true
		if err != nil {
			t.Fatalf("top after Ctrl-C: %v (want exit code 0)", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("top did not end within 15s of Ctrl-C")
	}
	select {
	case <-readDone:
	case <-time.After(5 * time.Second):
		t.Log("pty reader still open; checking what was read")
	}
	out = screen.String()
	if !strings.HasSuffix(strings.TrimRight(out, "\r\n"), escCursorShow+escAltScreenLeave) {
		t.Errorf("top did not end by showing the cursor and leaving the alternate screen; last bytes %q", out[max(0, len(out)-60):])
	}
}
