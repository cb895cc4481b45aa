package cachekit_test

import (
	"context"
	"errors"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/cachekit/cachekit"
	"github.com/cachekit/cachekit/internal/redistest"
	"github.com/cachekit/cachekit/store/tiered"
)

// logRecorder is a slog.Handler that keeps every record.
type logRecorder struct {
	mu      sync.Mutex
	records []slog.Record
}

func (h *logRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (h *logRecorder) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.records = append(h.records, r.Clone())
	return nil
}
func (h *logRecorder) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *logRecorder) WithGroup(string) slog.Handler      { return h }

// lines returns "LEVEL msg k=v ..." for every record whose message contains sub.
func (h *logRecorder) lines(sub string) []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for _, r := range h.records {
		if !strings.Contains(r.Message, sub) {
			continue
		}
		var b strings.Builder
		b.WriteString(r.Level.String() + " " + r.Message)
		r.Attrs(func(a slog.Attr) bool {
			b.WriteString(" " + a.Key + "=" + a.Value.String())
			return true
		})
		out = append(out, b.String())
	}
	return out
}

// A flood of corrupt entries of one kind logs the first at once, with its key, and the rest as one
// summary line (at Close here, being within WarnEvery); a type mismatch and a loader panic are logged
// too; no line carries a value.
func TestLoggerWarnsOncePerEventKind(t *testing.T) {
	ctx := context.Background()
	h := &logRecorder{}
	c := newCache(t, cachekit.WithLogger(slog.New(h)))
	const secret = "s3cr3t-value"
	for i := range 50 {
		key := "ohlcv:K" + string(rune('A'+i%26)) + string(rune('a'+i/26))
		if err := c.Store().Set(ctx, "qrl:v1:"+key, []byte("\x00"+secret), time.Minute); err != nil {
			t.Fatal(err)
		}
		var v []int
		if err := c.Get(ctx, key, &v); !errors.Is(err, cachekit.ErrNotFound) {
			t.Fatalf("Get of a corrupt entry: %v", err)
		}
	}
	if err := c.Set(ctx, "ticker:A", secret, 0); err != nil {
		t.Fatal(err)
	}
	var n int
	for range 3 {
		if err := c.Get(ctx, "ticker:A", &n); !errors.Is(err, cachekit.ErrTypeMismatch) {
			t.Fatalf("Get into the wrong type: %v", err)
		}
	}
	_, _ = cachekit.Fetch(ctx, c, "book:X", time.Minute, func(context.Context) (int, error) { panic("boom") })

	corrupt := h.lines("undecodable entry deleted")
	if len(corrupt) != 1 || !strings.Contains(corrupt[0], "key=ohlcv:KAa") || !strings.HasPrefix(corrupt[0], "WARN") {
		t.Errorf("corrupt lines before Close = %q; want one WARN naming the first key", corrupt)
	}
	if got := h.lines("does not fit"); len(got) != 1 || !strings.Contains(got[0], "key=ticker:A") {
		t.Errorf("type mismatch lines = %q; want one naming ticker:A", got)
	}
	if got := h.lines("loader panicked"); len(got) != 1 || !strings.HasPrefix(got[0], "ERROR") || !strings.Contains(got[0], "key=book:X") {
		t.Errorf("loader panic lines = %q; want one ERROR naming book:X", got)
	}
	c.Close()
	summary := h.lines("repeated warnings")
	var sawCorrupt, sawMismatch bool
	for _, l := range summary {
		sawCorrupt = sawCorrupt || strings.Contains(l, "event=corrupt") && strings.Contains(l, "count=49") && strings.Contains(l, "kind=ohlcv")
		sawMismatch = sawMismatch || strings.Contains(l, "event=type_mismatch") && strings.Contains(l, "count=2")
	}
	if !sawCorrupt || !sawMismatch {
		t.Errorf("summaries at Close = %q; want 49 more corrupt ohlcv entries and 2 more mismatches", summary)
	}
	for _, l := range h.lines("") {
		if strings.Contains(l, secret) {
			t.Errorf("a log line carries a stored value: %s", l)
		}
	}
}

// A Redis pause opens the breaker and its recovery closes it: both logged once, from the store; the
// tiered store's lost and restored invalidation subscription are logged too.
func TestLoggerReportsBreakerAndSubscription(t *testing.T) {
	srv := redistest.Dedicated(t)
	ns := redistest.Namespace(t)
	h := &logRecorder{}
	raw := "tiered://?l1=" + url.QueryEscape("memory://") + "&l2=" + url.QueryEscape(srv.URL+"?breaker_failures=2")
	c, err := cachekit.Open(context.Background(), raw, cachekit.WithNamespace(ns), cachekit.WithLogger(slog.New(h)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	ctx := context.Background()
	if err := c.Store().(*tiered.Store).Ready(ctx); err != nil {
		t.Fatal(err)
	}
	srv.Pause(t)
	var v int
	for i := range 6 {
		_ = c.Get(ctx, "ticker:K"+string(rune('A'+i)), &v) // L1 misses go to the paused L2
	}
	waitFor(t, 10*time.Second, func() bool { return len(h.lines("circuit breaker opened")) > 0 })
	srv.Resume(t)
	waitFor(t, 10*time.Second, func() bool { return len(h.lines("circuit breaker closed")) > 0 })
	opened := h.lines("circuit breaker opened")
	if len(opened) != 1 || !strings.HasPrefix(opened[0], "WARN") || !strings.Contains(opened[0], "endpoint=127.0.0.1:") {
		t.Errorf("breaker open lines = %q; want one WARN naming the endpoint", opened)
	}

	// The invalidation subscription cut by the server: logged lost (Warn), then restored (Info).
	before := len(h.lines("subscription lost"))
	bare := goredis.NewClient(&goredis.Options{Addr: srv.Addr})
	defer bare.Close()
	if n, err := bare.ClientKillByFilter(ctx, "TYPE", "pubsub").Result(); err != nil || n != 1 {
		t.Fatalf("CLIENT KILL TYPE pubsub = %d, %v; want the one subscription killed", n, err)
	}
	waitFor(t, 10*time.Second, func() bool { return len(h.lines("subscription restored")) > before })
	lost := h.lines("subscription lost")
	if len(lost) <= before || !strings.HasPrefix(lost[len(lost)-1], "WARN") {
		t.Errorf("subscription lost lines = %q; want a WARN for the kill", lost)
	}
}

// waitFor polls cond until it holds or the timeout passes.
func waitFor(t *testing.T, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("condition not met within %v", timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
