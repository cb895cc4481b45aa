package main

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestTableAlignsColumns(t *testing.T) {
	tb := newTable("kind", "n").alignRight(1)
	tb.row("ticker", "5")
	tb.row("orderbook", "1234")
	tb.rule()
	tb.row("total", "1239")
	var b bytes.Buffer
	if err := tb.write(&b); err != nil {
		t.Fatal(err)
	}
	want := "kind          n\n" +
		"---------------\n" +
		"ticker        5\n" +
		"orderbook  1234\n" +
		"---------------\n" +
		"total      1239\n"
	if b.String() != want {
		t.Fatalf("table:\n%s\nwant:\n%s", b.String(), want)
	}
}

func TestProgressOnTerminalRedrawsOneLine(t *testing.T) {
	var b bytes.Buffer
	p := newProgress(&b, true, "demo", time.Hour)
	p.update(0.5, "half")
	p.update(0.75, "more")
	p.finish(1, "done")
	p.update(0.1, "ignored after finish")
	out := b.String()
	if strings.Count(out, "\r\033[K") != 3 || strings.Count(out, "\n") != 1 || !strings.HasSuffix(out, "done\n") {
		t.Fatalf("terminal progress %q: want three redraws and one final newline", out)
	}
	if !strings.Contains(out, "[===============>              ]  50% half") {
		t.Fatalf("bar at 50%% drawn as %q", out)
	}
}

func TestProgressElsewherePrintsThrottledLines(t *testing.T) {
	var b bytes.Buffer
	p := newProgress(&b, false, "demo", time.Hour)
	p.update(0.1, "first")
	p.update(0.2, "throttled")
	p.finish(1, "done")
	got := lines(b.String())
	if len(got) != 2 || !strings.HasSuffix(got[0], "first") || !strings.HasSuffix(got[1], "done") || strings.Contains(b.String(), "\r") {
		t.Fatalf("non-terminal progress %q", got)
	}

	b.Reset()
	p = newProgress(&b, false, "warm", 0)
	p.update(0.5, "a")
	p.update(1, "b")
	p.close()
	if got := lines(b.String()); len(got) != 2 {
		t.Fatalf("interval 0 should print every update: %q", got)
	}
}

func TestFormatting(t *testing.T) {
	for in, want := range map[int64]string{0: "0 B", 1023: "1023 B", 1536: "1.5 KiB", 3 << 20: "3.0 MiB", -1: "unknown"} {
		if got := fmtBytes(in); got != want {
			t.Errorf("fmtBytes(%d) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[time.Duration]string{
		800 * time.Nanosecond: "800ns", 12 * time.Microsecond: "12µs", 3400 * time.Microsecond: "3.4ms", 1250 * time.Millisecond: "1.25s",
	} {
		if got := fmtLatency(in); got != want {
			t.Errorf("fmtLatency(%v) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[time.Duration]string{24 * time.Hour: "24h", 5 * time.Second: "5s", 5 * time.Minute: "5m", 90 * time.Minute: "1h30m"} {
		if got := shortDuration(in); got != want {
			t.Errorf("shortDuration(%v) = %q, want %q", in, got, want)
		}
	}
}
