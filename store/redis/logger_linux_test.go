package redis

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/redis/go-redis/v9/logging"

	"github.com/cachekit/cachekit/internal/redistest"
)

// captureStderr returns what the process writes to file descriptor 2 while fn runs. It redirects the
// descriptor itself, not os.Stderr: go-redis' default logger holds the *os.File it was created with.
func captureStderr(t *testing.T, fn func()) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	saved, err := syscall.Dup(2)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Dup3(int(w.Fd()), 2, 0); err != nil {
		t.Fatal(err)
	}
	got := make(chan string)
	go func() {
		b, _ := io.ReadAll(r)
		got <- string(b)
	}()
	func() {
		defer func() {
			_ = syscall.Dup3(saved, 2, 0)
			_ = syscall.Close(saved)
			_ = w.Close()
		}()
		fn()
	}()
	out := <-got
	_ = r.Close()
	return out
}

// TestGoRedisLogsNothingToStderr: go-redis logs a refused dial ("connection pool: failed to dial ...")
// through its process-wide logger, on stderr by default. Once this package is imported, nothing reaches
// stderr; SetLogger routes the lines to a *slog.Logger instead (without a doubled "redis: " prefix), and
// SetLogger(nil) silences them again. The first step proves the trigger does log under go-redis' default.
func TestGoRedisLogsNothingToStderr(t *testing.T) {
	srv := redistest.Dedicated(t)
	srv.Stop(t) // a loopback address that refuses connections
	// Breakers off: their dial workaround hands the pool a failed dial as a connection, so go-redis'
	// pool never logs "failed to dial" with them on.
	s := openT(t, srv.URL+"?dial_timeout=200ms&breaker_failures=0")
	ctx := context.Background()
	trigger := func() { _, _ = s.Get(ctx, "logs:v1:k") }
	defer SetLogger(nil)

	logging.Enable() // go-redis' own default: stderr
	out := captureStderr(t, trigger)
	SetLogger(nil) // back to this package's logger
	if !strings.Contains(out, "failed to dial") {
		t.Fatalf("under go-redis' default logger a refused dial wrote %q to stderr; the trigger no longer logs, so this test proves nothing", out)
	}

	if out := captureStderr(t, trigger); out != "" {
		t.Errorf("with this package imported, go-redis wrote to stderr: %q", out)
	}

	var buf bytes.Buffer
	SetLogger(slog.New(slog.NewTextHandler(&buf, nil)))
	if out := captureStderr(t, trigger); out != "" {
		t.Errorf("with SetLogger(a buffer), go-redis wrote to stderr: %q", out)
	}
	logged := buf.String()
	if !strings.Contains(logged, "failed to dial") || !strings.Contains(logged, "level=WARN") ||
		!strings.Contains(logged, "component=go-redis") || strings.Contains(logged, "redis: redis:") {
		t.Errorf("SetLogger's logger got %q, want a WARN line with component=go-redis about the failed dial, without a doubled prefix", logged)
	}

	SetLogger(nil)
	buf.Reset()
	if out := captureStderr(t, trigger); out != "" || buf.Len() != 0 {
		t.Errorf("after SetLogger(nil): stderr %q, old logger %q; want both empty", out, buf.String())
	}
}
